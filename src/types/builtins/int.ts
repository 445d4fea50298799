/**
 * Integer types: int2, int4, int8 and the unsigned system integers oid, xid,
 * cid, xid8. All big-endian two's complement (unsigned for the system types).
 *
 * Encoders accept a number (an integer in range), a bigint, or an integer
 * string with optional sign and surrounding whitespace, as the server's own
 * input functions do. Decoders read bytes with bit operations: no DataView and
 * no allocation for 16- and 32-bit values.
 */
import type { Codec } from '../codec.js';
import { encodeError, sizeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';

const INTEGER_STRING = /^\s*[+-]?\d+\s*$/;
const UNSIGNED_STRING = /^\s*\+?\d+\s*$/;
const TWO_32 = 4294967296;
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;
const UINT8_MAX = 2n ** 64n - 1n;

/** A value checked to be an integer in [min, max] for the 16- and 32-bit types. */
function smallInteger(value: unknown, name: string, min: number, max: number): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = value >= BigInt(min) && value <= BigInt(max) ? Number(value) : NaN;
  else if (typeof value === 'string' && INTEGER_STRING.test(value)) n = Number(value);
  else n = NaN;
  if (Number.isInteger(n) && n >= min && n <= max) return n;
  throw encodeError(name, `an integer from ${min} to ${max} (a number, bigint or integer string)`, value);
}

/** A value checked to be an integer in [min, max] for the 64-bit types, as a bigint. */
function bigInteger(value: unknown, name: string, min: bigint, max: bigint, pattern: RegExp): bigint {
  let n: bigint | null = null;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && pattern.test(value)) n = BigInt(value.trim());
  if (n !== null && n >= min && n <= max) return n;
  const hint = typeof value === 'number' && Number.isInteger(value) ? '; pass integers past 2^53 as a bigint' : '';
  throw encodeError(name, `an integer from ${min} to ${max} (a bigint, safe integer number or integer string)${hint}`, value);
}

/** Signed 32-bit big-endian integer at buf[i]. */
function readInt32(buf: Uint8Array, i: number): number {
  return (buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!;
}

/** Unsigned 32-bit big-endian integer at buf[i]. */
function readUint32(buf: Uint8Array, i: number): number {
  return readInt32(buf, i) >>> 0;
}

/** Signed 64-bit big-endian integer at buf[i], as a bigint. */
function readInt64(buf: Uint8Array, i: number): bigint {
  const hi = readInt32(buf, i);
  const lo = readUint32(buf, i + 4);
  // Within +-2^53 the double is exact and one BigInt() beats shifts and ors.
  if (hi >= -0x200000 && hi < 0x200000) return BigInt(hi * TWO_32 + lo);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Write a safe integer as Int64 without allocating a bigint. */
function writeSafeInt64(w: Writer, n: number): void {
  const hi = Math.floor(n / TWO_32);
  w.int32(hi);
  w.uint32(n - hi * TWO_32);
}

/** int2 <-> number. */
export const int2: Codec<number> = {
  oid: Oid.int2,
  name: 'int2',
  format: 1,
  encode(value: unknown, w: Writer): void {
    w.int16(smallInteger(value, 'int2', -32768, 32767));
  },
  decode(buf: Uint8Array, start: number, end: number): number {
    if (end - start !== 2) throw sizeError('int2', '2', end - start);
    return (((buf[start]! << 8) | buf[start + 1]!) << 16) >> 16;
  },
};

/** int4 <-> number. */
export const int4: Codec<number> = {
  oid: Oid.int4,
  name: 'int4',
  format: 1,
  encode(value: unknown, w: Writer): void {
    w.int32(smallInteger(value, 'int4', -2147483648, 2147483647));
  },
  decode(buf: Uint8Array, start: number, end: number): number {
    if (end - start !== 4) throw sizeError('int4', '4', end - start);
    return readInt32(buf, start);
  },
};

/** Encode any int8 parameter form; shared by the three int8 mappings. */
function encodeInt8(value: unknown, w: Writer): void {
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    writeSafeInt64(w, value);
    return;
  }
  w.int64(bigInteger(value, 'int8', INT8_MIN, INT8_MAX, INTEGER_STRING));
}

/** int8 <-> bigint, the default mapping: exact over the whole range. */
export const int8: Codec<bigint> = {
  oid: Oid.int8,
  name: 'int8',
  format: 1,
  encode: encodeInt8,
  decode(buf: Uint8Array, start: number, end: number): bigint {
    if (end - start !== 8) throw sizeError('int8', '8', end - start);
    return readInt64(buf, start);
  },
};

/**
 * int8 <-> number, for users who know their values stay within 2^53 (counts,
 * serial ids). A value past Number.MAX_SAFE_INTEGER throws RangeError rather
 * than silently rounding.
 */
export const int8AsNumber: Codec<number> = {
  oid: Oid.int8,
  name: 'int8',
  format: 1,
  encode: encodeInt8,
  decode(buf: Uint8Array, start: number, end: number): number {
    if (end - start !== 8) throw sizeError('int8', '8', end - start);
    const hi = readInt32(buf, start);
    const lo = readUint32(buf, start + 4);
    const n = hi * TWO_32 + lo;
    // hi * 2^32 + lo is exact exactly when the result is a safe integer.
    if (Number.isSafeInteger(n)) return n;
    throw new RangeError(
      `int8 value ${readInt64(buf, start)} is outside JavaScript's safe integer range; ` +
        'decode int8 as bigint (the default) or as a string',
    );
  },
};

/** int8 <-> decimal string, for JSON output without bigint handling. */
export const int8AsString: Codec<string> = {
  oid: Oid.int8,
  name: 'int8',
  format: 1,
  encode: encodeInt8,
  decode(buf: Uint8Array, start: number, end: number): string {
    if (end - start !== 8) throw sizeError('int8', '8', end - start);
    return String(readInt64(buf, start));
  },
};

/** An unsigned 32-bit system type (oid, xid, cid) <-> number. */
function uint32Codec(oid: number, name: string): Codec<number> {
  return {
    oid,
    name,
    format: 1,
    encode(value: unknown, w: Writer): void {
      w.uint32(smallInteger(value, name, 0, 4294967295));
    },
    decode(buf: Uint8Array, start: number, end: number): number {
      if (end - start !== 4) throw sizeError(name, '4', end - start);
      return readUint32(buf, start);
    },
  };
}

/** oid <-> number (unsigned 32-bit). */
export const oid: Codec<number> = uint32Codec(Oid.oid, 'oid');
/** xid <-> number (unsigned 32-bit transaction id). */
export const xid: Codec<number> = uint32Codec(Oid.xid, 'xid');
/** cid <-> number (unsigned 32-bit command id). */
export const cid: Codec<number> = uint32Codec(Oid.cid, 'cid');

/** xid8 <-> bigint (unsigned 64-bit full transaction id). */
export const xid8: Codec<bigint> = {
  oid: Oid.xid8,
  name: 'xid8',
  format: 1,
  encode(value: unknown, w: Writer): void {
    w.int64(BigInt.asIntN(64, bigInteger(value, 'xid8', 0n, UINT8_MAX, UNSIGNED_STRING)));
  },
  decode(buf: Uint8Array, start: number, end: number): bigint {
    if (end - start !== 8) throw sizeError('xid8', '8', end - start);
    const hi = readUint32(buf, start);
    const lo = readUint32(buf, start + 4);
    if (hi < 0x200000) return BigInt(hi * TWO_32 + lo);
    return (BigInt(hi) << 32n) | BigInt(lo);
  },
};
