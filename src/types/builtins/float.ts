/**
 * float4 and float8: IEEE 754 big-endian. NaN, Infinity, -Infinity and -0 are
 * carried exactly. A float4 decodes to the double holding the same value
 * (0.1::float4 reads as 0.10000000149011612), never a rounded decimal.
 */
import type { Codec } from '../codec.js';
import { encodeError, sizeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';

// Scratch bytes for reinterpreting bits: a fresh DataView per value costs ~7x
// more on the hot path. Every call writes all the bytes it reads, synchronously,
// so nothing is carried between calls; the arrays hold no state of their own.
const scratch = new Uint8Array(8);
const scratch64 = new Float64Array(scratch.buffer);
const scratch32 = new Float32Array(scratch.buffer);
// Typed arrays use the platform's byte order; the wire is big-endian.
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** float8 at buf[i]. */
export function readFloat64(buf: Uint8Array, i: number): number {
  if (littleEndian) {
    scratch[7] = buf[i]!;
    scratch[6] = buf[i + 1]!;
    scratch[5] = buf[i + 2]!;
    scratch[4] = buf[i + 3]!;
    scratch[3] = buf[i + 4]!;
    scratch[2] = buf[i + 5]!;
    scratch[1] = buf[i + 6]!;
    scratch[0] = buf[i + 7]!;
  } else {
    for (let k = 0; k < 8; k++) scratch[k] = buf[i + k]!;
  }
  return scratch64[0]!;
}

/** float4 at buf[i]. */
export function readFloat32(buf: Uint8Array, i: number): number {
  if (littleEndian) {
    scratch[3] = buf[i]!;
    scratch[2] = buf[i + 1]!;
    scratch[1] = buf[i + 2]!;
    scratch[0] = buf[i + 3]!;
  } else {
    for (let k = 0; k < 4; k++) scratch[k] = buf[i + k]!;
  }
  return scratch32[0]!;
}

const FLOAT_STRING = /^\s*[+-]?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|nan|inf|infinity)\s*$/i;
const SPECIAL: Readonly<Record<string, number>> = Object.freeze({
  nan: NaN,
  '+nan': NaN,
  '-nan': NaN,
  inf: Infinity,
  '+inf': Infinity,
  infinity: Infinity,
  '+infinity': Infinity,
  '-inf': -Infinity,
  '-infinity': -Infinity,
});

const EXPECTED = 'a number, a bigint that is exact as a double, or a numeric string (also NaN, Infinity, -Infinity)';

/** The number a float parameter stands for. */
function toFloat(value: unknown, name: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') {
    const n = Number(value);
    if (BigInt(n) === value) return n;
  } else if (typeof value === 'string' && FLOAT_STRING.test(value)) {
    const t = value.trim();
    const special = SPECIAL[t.toLowerCase()];
    return special ?? Number(t);
  }
  throw encodeError(name, EXPECTED, value);
}

/** float8 <-> number. */
export const float8: Codec<number> = {
  oid: Oid.float8,
  name: 'float8',
  format: 1,
  encode(value: unknown, w: Writer): void {
    // A string such as '1e999' overflows to Infinity in Number(); the server rejects it, so do we.
    const n = toFloat(value, 'float8');
    if (typeof value === 'string' && !Number.isFinite(n) && !Number.isNaN(n) && !/inf/i.test(value)) {
      throw encodeError('float8', `${EXPECTED} within the float8 range`, value);
    }
    w.float64(n);
  },
  decode(buf: Uint8Array, start: number, end: number): number {
    if (end - start !== 8) throw sizeError('float8', '8', end - start);
    return readFloat64(buf, start);
  },
};

/** float4 <-> number. A finite value outside float4's range is an error, as it is on the server. */
export const float4: Codec<number> = {
  oid: Oid.float4,
  name: 'float4',
  format: 1,
  encode(value: unknown, w: Writer): void {
    const n = toFloat(value, 'float4');
    const f = Math.fround(n);
    const overflow = Number.isFinite(n) ? !Number.isFinite(f) : typeof value === 'string' && !/inf|nan/i.test(value);
    if (overflow || (f === 0 && n !== 0)) {
      throw encodeError('float4', `${EXPECTED} within the float4 range (magnitude at most about 3.4e38, and not so small that it rounds to 0)`, value);
    }
    w.float32(f);
  },
  decode(buf: Uint8Array, start: number, end: number): number {
    if (end - start !== 4) throw sizeError('float4', '4', end - start);
    return readFloat32(buf, start);
  },
};
