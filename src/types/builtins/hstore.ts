/**
 * hstore (the extension type): an object whose values are strings or null.
 * Its OID differs per database, so the connection finds it by introspection
 * and uses this codec when the type's binary functions are hstore's own.
 *
 * Binary format (hstore_send): Int32 pair count, then per pair Int32 key
 * length, key bytes, Int32 value length (-1 for NULL), value bytes.
 */
import { InterfaceError, ProtocolError } from '../../errors/client.js';
import type { Codec } from '../codec.js';
import { encodeError, sizeError } from '../codec.js';
import type { Writer } from '../../protocol/writer.js';
import { decodeUtf8 } from './text.js';

function readInt32(buf: Uint8Array, i: number): number {
  return (buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!;
}

function writeString(name: string, what: string, s: string, w: Writer): void {
  if (s.includes('\0')) throw new InterfaceError(`${name} ${what} ${JSON.stringify(s.slice(0, 40))} contains a NUL character (U+0000), which PostgreSQL text cannot store`);
  const at = w.reserveLength();
  w.string(s);
  w.patchLength(at, false);
}

/** The hstore codec under a database's hstore OID. */
export function hstoreCodec(oid: number, name = 'hstore'): Codec<Record<string, string | null>> {
  return {
    oid,
    name,
    format: 1,
    encode(value: unknown, w: Writer): void {
      let entries: [unknown, unknown][];
      if (value instanceof Map) entries = [...(value as Map<unknown, unknown>).entries()];
      else if (typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !ArrayBuffer.isView(value)) {
        entries = Object.entries(value);
      } else {
        throw encodeError(name, 'an object (or Map) of string keys to string or null values', value);
      }
      w.int32(entries.length);
      for (const [k, v] of entries) {
        if (typeof k !== 'string') throw encodeError(name, 'string keys', k);
        writeString(name, 'key', k, w);
        if (v === null || v === undefined) w.int32(-1);
        else if (typeof v === 'string') writeString(name, `value of key ${JSON.stringify(k)}`, v, w);
        else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') writeString(name, `value of key ${JSON.stringify(k)}`, String(v), w);
        else throw new InterfaceError(`${name} value of key ${JSON.stringify(k)} must be a string or null, got ${typeof v}`);
      }
    },
    decode(buf: Uint8Array, start: number, end: number): Record<string, string | null> {
      if (end - start < 4) throw sizeError(name, 'at least 4', end - start);
      const n = readInt32(buf, start);
      if (n < 0 || n * 8 > end - start - 4) throw new ProtocolError(`${name} value from the server claims ${n} pairs in ${end - start - 4} bytes`);
      const out: Record<string, string | null> = {};
      let p = start + 4;
      for (let i = 0; i < n; i++) {
        let key = '';
        let value: string | null = null;
        // Field 0 is the key (never NULL), field 1 the value.
        for (let f = 0; f < 2; f++) {
          if (end - p < 4) throw new ProtocolError(`${name} value from the server ends inside a length`);
          const len = readInt32(buf, p);
          p += 4;
          if (len === -1 && f === 1) continue;
          if (len < 0 || len > end - p) throw new ProtocolError(`${name} value from the server has a string of length ${len} with ${end - p} bytes left`);
          const s = decodeUtf8(buf, p, p + len);
          p += len;
          if (f === 0) key = s;
          else value = s;
        }
        if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
        else out[key] = value;
      }
      if (p !== end) throw new ProtocolError(`${name} value from the server has ${end - p} bytes after its last pair`);
      return out;
    },
  };
}
