/**
 * bit and varbit as strings of '0' and '1', the way the server prints them.
 * Binary format (bit_send): Int32 number of bits, then the bits packed most
 * significant first, the last byte padded with zeros.
 */
import { ProtocolError } from '../../errors/client.js';
import type { Codec } from '../codec.js';
import { encodeError, sizeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';

const BITS = /^[01]*$/;

/** A bit-string codec for bit or varbit. */
function bitCodec(oid: number, name: string): Codec<string> {
  return {
    oid,
    name,
    format: 1,
    encode(value: unknown, w: Writer): void {
      if (typeof value !== 'string' || !BITS.test(value)) {
        throw encodeError(name, "a string of '0' and '1' characters", value);
      }
      const n = value.length;
      w.int32(n);
      const bytes = (n + 7) >> 3;
      w.ensure(bytes);
      for (let i = 0; i < bytes; i++) {
        let b = 0;
        for (let k = 0; k < 8; k++) {
          const at = i * 8 + k;
          b = (b << 1) | (at < n && value.charCodeAt(at) === 49 ? 1 : 0);
        }
        w.int8(b);
      }
    },
    decode(buf: Uint8Array, start: number, end: number): string {
      if (end - start < 4) throw sizeError(name, 'at least 4', end - start);
      const n = ((buf[start]! << 24) | (buf[start + 1]! << 16) | (buf[start + 2]! << 8) | buf[start + 3]!) >>> 0;
      if (end - start !== 4 + Math.ceil(n / 8)) {
        throw new ProtocolError(`${name} value from the server claims ${n} bits in ${end - start - 4} bytes`);
      }
      const codes = new Array<number>(n);
      for (let i = 0; i < n; i++) codes[i] = 48 + ((buf[start + 4 + (i >> 3)]! >> (7 - (i & 7))) & 1);
      // fromCharCode in slices: one call with a huge argument list overflows the stack.
      let out = '';
      for (let i = 0; i < n; i += 8192) out += String.fromCharCode(...codes.slice(i, i + 8192));
      return out;
    },
  };
}

/** bit(n) <-> string of '0' and '1' (the server checks the length). */
export const bit: Codec<string> = bitCodec(Oid.bit, 'bit');
/** varbit <-> string of '0' and '1'. */
export const varbit: Codec<string> = bitCodec(Oid.varbit, 'varbit');
