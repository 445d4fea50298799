/**
 * numeric: arbitrary precision decimal, carried as an exact decimal string.
 *
 * Binary format (numeric_send): Int16 ndigits, Int16 weight, UInt16 sign,
 * Int16 dscale, then ndigits base-10000 digits, most significant first. The
 * value is sum(digit[i] * 10000^(weight - i)); dscale is the number of decimal
 * places to display, so '1.50' keeps its trailing zero. Trailing zero digits
 * are left out of the array and restored on output.
 */
import { ProtocolError } from '../../errors/client.js';
import type { Codec } from '../codec.js';
import { encodeError, sizeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';

const SIGN_POS = 0x0000;
const SIGN_NEG = 0x4000;
const SIGN_NAN = 0xc000;
const SIGN_PINF = 0xd000;
const SIGN_NINF = 0xf000;
/** PostgreSQL's limits for numeric: digits before the point, and the display scale. */
const MAX_INTEGER_DIGITS = 131072;
const MAX_DSCALE = 0x3fff;

const NUMERIC_STRING = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;
const SPECIAL_STRING = /^\s*(?:(nan)|([+-]?)inf(?:inity)?)\s*$/i;
const EXPECTED = "a decimal string ('-12.50', '1e-3', 'NaN', 'Infinity'), a number, a bigint or a decimal library's object";

/** A base-10000 digit as exactly four decimal characters. */
function pad4(d: number): string {
  return String(d + 10000).slice(1);
}

function readUint16(buf: Uint8Array, i: number): number {
  return (buf[i]! << 8) | buf[i + 1]!;
}

/** Base-10000 digit i of the digit array at buf[first]; digits outside the array are zeros. */
function digitAt(buf: Uint8Array, first: number, ndigits: number, i: number): number {
  if (i < 0 || i >= ndigits) return 0;
  const d = readUint16(buf, first + 2 * i);
  if (d >= 10000) throw new ProtocolError(`numeric value from the server has an invalid base-10000 digit ${d}`);
  return d;
}

/** Decode numeric_send bytes to the string numeric_out would print. */
function decodeNumeric(buf: Uint8Array, start: number, end: number): string {
  if (end - start < 8) throw sizeError('numeric', 'at least 8', end - start);
  const ndigits = readUint16(buf, start);
  const weight = (readUint16(buf, start + 2) << 16) >> 16;
  const sign = readUint16(buf, start + 4);
  const dscale = readUint16(buf, start + 6);
  if (end - start !== 8 + 2 * ndigits) throw sizeError('numeric', `${8 + 2 * ndigits} for ${ndigits} digits`, end - start);
  if (sign === SIGN_NAN) return 'NaN';
  if (sign === SIGN_PINF) return 'Infinity';
  if (sign === SIGN_NINF) return '-Infinity';
  if (sign !== SIGN_POS && sign !== SIGN_NEG) {
    throw new ProtocolError(`numeric value from the server has an unknown sign word 0x${sign.toString(16)}`);
  }
  const first = start + 8;
  let out = sign === SIGN_NEG && ndigits > 0 ? '-' : '';
  if (weight < 0) {
    out += '0';
  } else {
    out += String(digitAt(buf, first, ndigits, 0));
    for (let i = 1; i <= weight; i++) out += pad4(digitAt(buf, first, ndigits, i));
  }
  if (dscale > 0) {
    let frac = '';
    for (let i = weight + 1; frac.length < dscale; i++) frac += pad4(digitAt(buf, first, ndigits, i));
    out += '.' + (frac.length > dscale ? frac.slice(0, dscale) : frac);
  }
  return out;
}

/** Write the header of a value with no digits (zero or a special value). */
function writeEmpty(w: Writer, sign: number, dscale: number): void {
  w.int16(0);
  w.int16(0);
  w.uint16(sign);
  w.int16(dscale);
}

function outOfRange(value: unknown): Error {
  const range = `up to ${MAX_INTEGER_DIGITS} digits before the decimal point and ${MAX_DSCALE} after`;
  return encodeError('numeric', `a value within numeric's range (${range})`, value);
}

/** Encode a decimal string; `original` is what the caller passed, for the error message. */
function encodeString(s: string, original: unknown, w: Writer): void {
  const m = NUMERIC_STRING.exec(s);
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) {
    const special = SPECIAL_STRING.exec(s);
    if (special === null) throw encodeError('numeric', EXPECTED, original);
    writeEmpty(w, special[1] !== undefined ? SIGN_NAN : special[2] === '-' ? SIGN_NINF : SIGN_PINF, 0);
    return;
  }
  const negative = m[1] === '-';
  const intPart = m[2]!;
  const fracPart = m[3] ?? '';
  const exponent = m[4] === undefined ? 0 : Number(m[4]);
  // A huge exponent would otherwise make us build a huge string before noticing.
  if (Math.abs(exponent) > 2 * (MAX_INTEGER_DIGITS + MAX_DSCALE)) throw outOfRange(original);

  const digits = intPart + fracPart;
  let first = 0;
  while (first < digits.length && digits.charCodeAt(first) === 48) first++;
  let last = digits.length;
  while (last > first && digits.charCodeAt(last - 1) === 48) last--;
  const dscale = Math.max(0, fracPart.length - exponent);
  if (dscale > MAX_DSCALE) throw outOfRange(original);
  if (first === last) {
    writeEmpty(w, SIGN_POS, dscale);
    return;
  }
  // Decimal digits before the point, counted from the first significant digit (<= 0 for 0.00x).
  const before = intPart.length + exponent - first;
  if (before > MAX_INTEGER_DIGITS) throw outOfRange(original);
  const weight = Math.floor((before - 1) / 4);
  // Zeros in front of the first significant digit inside its base-10000 group.
  const lead = (weight + 1) * 4 - before;
  const count = last - first;
  const ndigits = Math.ceil((lead + count) / 4);
  w.int16(ndigits);
  w.int16(weight);
  w.uint16(negative ? SIGN_NEG : SIGN_POS);
  w.int16(dscale);
  for (let g = 0; g < ndigits; g++) {
    let d = 0;
    for (let k = g * 4 - lead, stop = k + 4; k < stop; k++) {
      d = d * 10 + (k >= 0 && k < count ? digits.charCodeAt(first + k) - 48 : 0);
    }
    w.int16(d);
  }
}

/** Encode a numeric parameter in any of its accepted forms. */
function encodeNumeric(value: unknown, w: Writer): void {
  if (typeof value === 'string') encodeString(value, value, w);
  else if (typeof value === 'number') {
    if (Number.isNaN(value)) writeEmpty(w, SIGN_NAN, 0);
    else if (value === Infinity) writeEmpty(w, SIGN_PINF, 0);
    else if (value === -Infinity) writeEmpty(w, SIGN_NINF, 0);
    // String() gives the shortest decimal that reads back as the same double.
    else encodeString(String(value), value, w);
  } else if (typeof value === 'bigint') encodeString(value.toString(), value, w);
  else if (isDecimalObject(value)) encodeString(String(value), value, w);
  else throw encodeError('numeric', EXPECTED, value);
}

/**
 * A decimal library's value (Decimal.js, Big.js, BigNumber ...): an object
 * with its own toString, whose text the string encoder then checks.
 */
function isDecimalObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) return false;
  const toString = (value as { toString?: unknown }).toString;
  return typeof toString === 'function' && toString !== Object.prototype.toString;
}

/** numeric <-> exact decimal string ('NaN', 'Infinity' and '-Infinity' included). */
export const numeric: Codec<string> = {
  oid: Oid.numeric,
  name: 'numeric',
  format: 1,
  encode: encodeNumeric,
  decode: decodeNumeric,
};

/**
 * numeric read through a user function of its exact decimal text (for a
 * decimal library: `(s) => new Decimal(s)`); parameters as for numeric,
 * including the library's own objects.
 */
export function numericWithDecoder(decoder: (text: string) => unknown): Codec<unknown> {
  return {
    oid: Oid.numeric,
    name: 'numeric',
    format: 1,
    encode: encodeNumeric,
    decode(buf: Uint8Array, start: number, end: number): unknown {
      return decoder(decodeNumeric(buf, start, end));
    },
  };
}
