/**
 * System types that read best as the server's text: tid ('(0,1)'), pg_lsn
 * ('16/B374D848'), pg_snapshot and txid_snapshot ('10:20:10,14,15'), and
 * void, which has no value (null).
 */
import { ProtocolError } from '../../errors/client.js';
import type { Codec } from '../codec.js';
import { encodeError, sizeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';

const TWO_32 = 4294967296;

function readUint32(buf: Uint8Array, i: number): number {
  return ((buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!) >>> 0;
}

/** Unsigned 64-bit integer at buf[i] as decimal text. */
function uint64Text(buf: Uint8Array, i: number): string {
  const hi = readUint32(buf, i);
  const lo = readUint32(buf, i + 4);
  if (hi < 0x200000) return String(hi * TWO_32 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

const TID = /^\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*$/;

/** tid <-> string '(block,offset)', a row's physical location (ctid). */
export const tid: Codec<string> = {
  oid: Oid.tid,
  name: 'tid',
  format: 1,
  encode(value: unknown, w: Writer): void {
    const m = typeof value === 'string' ? TID.exec(value) : null;
    const block = m === null ? -1 : Number(m[1]);
    const offset = m === null ? -1 : Number(m[2]);
    if (block < 0 || block > 0xffffffff || offset < 0 || offset > 0xffff) {
      throw encodeError('tid', "a string '(block,offset)' with a 32-bit block and a 16-bit offset", value);
    }
    w.uint32(block);
    w.uint16(offset);
  },
  decode(buf: Uint8Array, start: number, end: number): string {
    if (end - start !== 6) throw sizeError('tid', '6', end - start);
    return `(${readUint32(buf, start)},${(buf[start + 4]! << 8) | buf[start + 5]!})`;
  },
};

const LSN = /^\s*([0-9a-f]{1,8})\/([0-9a-f]{1,8})\s*$/i;

/** pg_lsn <-> string 'XXXXXXXX/XXXXXXXX' in upper-case hex, as the server prints it; a bigint is also accepted. */
export const pg_lsn: Codec<string> = {
  oid: Oid.pg_lsn,
  name: 'pg_lsn',
  format: 1,
  encode(value: unknown, w: Writer): void {
    if (typeof value === 'bigint' && value >= 0n && value < 2n ** 64n) {
      w.uint32(Number(value >> 32n));
      w.uint32(Number(value & 0xffffffffn));
      return;
    }
    const m = typeof value === 'string' ? LSN.exec(value) : null;
    if (m === null) throw encodeError('pg_lsn', "a WAL location string such as '16/B374D848', or a bigint", value);
    w.uint32(parseInt(m[1]!, 16));
    w.uint32(parseInt(m[2]!, 16));
  },
  decode(buf: Uint8Array, start: number, end: number): string {
    if (end - start !== 8) throw sizeError('pg_lsn', '8', end - start);
    return `${readUint32(buf, start).toString(16).toUpperCase()}/${readUint32(buf, start + 4).toString(16).toUpperCase()}`;
  },
};

const SNAPSHOT = /^\s*(\d+):(\d+):((?:\d+(?:,\d+)*)?)\s*$/;

/** A snapshot codec (pg_snapshot, txid_snapshot): Int32 count, Int64 xmin, Int64 xmax, then the in-progress ids. */
function snapshotCodec(oid: number, name: string): Codec<string> {
  return {
    oid,
    name,
    format: 1,
    encode(value: unknown, w: Writer): void {
      const m = typeof value === 'string' ? SNAPSHOT.exec(value) : null;
      if (m === null) throw encodeError(name, "a snapshot string 'xmin:xmax:xip,...' such as '10:20:10,14,15'", value);
      const xips = m[3] === '' ? [] : m[3]!.split(',');
      w.int32(xips.length);
      for (const x of [m[1]!, m[2]!, ...xips]) w.int64(BigInt.asIntN(64, BigInt(x)));
    },
    decode(buf: Uint8Array, start: number, end: number): string {
      if (end - start < 20) throw sizeError(name, 'at least 20', end - start);
      const n = readUint32(buf, start);
      if (end - start !== 20 + 8 * n) throw new ProtocolError(`${name} value from the server claims ${n} transaction ids in ${end - start} bytes`);
      let out = `${uint64Text(buf, start + 4)}:${uint64Text(buf, start + 12)}:`;
      for (let k = 0; k < n; k++) out += (k > 0 ? ',' : '') + uint64Text(buf, start + 20 + 8 * k);
      return out;
    },
  };
}

/** pg_snapshot <-> string 'xmin:xmax:xip,...'. */
export const pg_snapshot: Codec<string> = snapshotCodec(Oid.pg_snapshot, 'pg_snapshot');
/** txid_snapshot <-> string 'xmin:xmax:xip,...' (the older name of pg_snapshot). */
export const txid_snapshot: Codec<string> = snapshotCodec(Oid.txid_snapshot, 'txid_snapshot');

/** void -> null: what a function returning void gives. It has no values to send. */
export const voidCodec: Codec<null> = {
  oid: Oid.void,
  name: 'void',
  format: 1,
  encode(value: unknown): void {
    throw encodeError('void', 'nothing: void has no values (pass null)', value);
  },
  decode(): null {
    return null;
  },
};
