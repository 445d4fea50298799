/**
 * Ranges and multiranges of any subtype, built-in (int4range, tstzrange ...)
 * or user-defined.
 *
 * Binary format (range_send): UInt8 flags, then the lower bound and the upper
 * bound that are present, each as Int32 length + the subtype's binary value.
 * A multirange (multirange_send) is Int32 count, then each range as Int32
 * length + its range_send bytes.
 */
import { InterfaceError, ProtocolError } from '../../errors/client.js';
import type { Codec } from '../codec.js';
import { encodeError, sizeError } from '../codec.js';
import { Writer } from '../../protocol/writer.js';
import { decodeUtf8 } from './text.js';

const EMPTY = 0x01;
const LB_INC = 0x02;
const UB_INC = 0x04;
const LB_INF = 0x08;
const UB_INF = 0x10;

/** Which bounds are inclusive, as PostgreSQL's range constructors write it. */
export type RangeBounds = '[)' | '[]' | '(]' | '()';

/** Bounds by (lower inclusive ? 1 : 0) | (upper inclusive ? 2 : 0). */
const BOUNDS: readonly RangeBounds[] = ['()', '[)', '(]', '[]'];

/**
 * A range value. An unbounded side is null (and never inclusive); an empty
 * range has `empty` true and both bounds null. Discrete ranges (int4range,
 * int8range, daterange) come back from the server in canonical '[)' form.
 *
 * @example
 * new Range(1, 10);            // [1,10)
 * new Range(1, 10, '[]');      // [1,10], the server stores [1,11)
 * new Range(null, new Date()); // (,2024-...)
 * Range.empty();               // empty
 */
export class Range<T> {
  /** The lower bound, or null when unbounded below (or empty). */
  readonly lower: T | null;
  /** The upper bound, or null when unbounded above (or empty). */
  readonly upper: T | null;
  /** Whether the lower bound is part of the range. */
  readonly lowerInclusive: boolean;
  /** Whether the upper bound is part of the range. */
  readonly upperInclusive: boolean;
  /** Whether the range is empty. */
  readonly empty: boolean;

  /**
   * @param lower the lower bound; null or undefined for none
   * @param upper the upper bound; null or undefined for none
   * @param bounds which bounds are inclusive, '[)' by default (as in SQL)
   */
  constructor(lower: T | null = null, upper: T | null = null, bounds: RangeBounds = '[)') {
    if (bounds !== '[)' && bounds !== '[]' && bounds !== '(]' && bounds !== '()') {
      throw new RangeError(`Range bounds must be '[)', '[]', '(]' or '()', got ${String(bounds)}`);
    }
    this.lower = lower;
    this.upper = upper;
    this.lowerInclusive = lower !== null && bounds.charCodeAt(0) === 0x5b;
    this.upperInclusive = upper !== null && bounds.charCodeAt(1) === 0x5d;
    this.empty = false;
  }

  /** The empty range. */
  static empty<T>(): Range<T> {
    const r = new Range<T>(null, null);
    (r as { empty: boolean }).empty = true;
    return r;
  }

  /** Whether the range is unbounded below (and not empty). */
  get lowerInfinite(): boolean {
    return !this.empty && this.lower === null;
  }

  /** Whether the range is unbounded above (and not empty). */
  get upperInfinite(): boolean {
    return !this.empty && this.upper === null;
  }

  /** The literal form, '[1,10)', '(,5]', 'empty'; bounds shown with String() (toISOString() for a Date). */
  toString(): string {
    if (this.empty) return 'empty';
    const show = (v: T | null): string => {
      if (v === null) return '';
      const s = v instanceof Date ? v.toISOString() : String(v);
      return /^$|[",()[\]\\\s]/.test(s) ? '"' + s.replace(/["\\]/g, '\\$&') + '"' : s;
    };
    return `${this.lowerInclusive ? '[' : '('}${show(this.lower)},${show(this.upper)}${this.upperInclusive ? ']' : ')'}`;
  }

  /** toString(), so JSON shows the literal. */
  toJSON(): string {
    return this.toString();
  }

  /** toString(): the text form used when a Range is sent in text format. */
  toPostgres(): string {
    return this.toString();
  }
}

/** A parameter as a Range: a Range, or an object with the same fields. */
function toRange(name: string, value: unknown): Range<unknown> {
  if (value instanceof Range) return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const v = value as Partial<Range<unknown>>;
    const keys = Object.keys(v);
    if (keys.every((k) => k === 'lower' || k === 'upper' || k === 'lowerInclusive' || k === 'upperInclusive' || k === 'empty')) {
      if (v.empty === true) return Range.empty();
      const lower = v.lower ?? null;
      const upper = v.upper ?? null;
      const lowerInc = v.lowerInclusive ?? lower !== null;
      const upperInc = v.upperInclusive ?? false;
      return new Range(lower, upper, `${lowerInc ? '[' : '('}${upperInc ? ']' : ')'}` as RangeBounds);
    }
  }
  throw encodeError(name, "a Range, or an object { lower, upper, lowerInclusive?, upperInclusive?, empty? } (or a literal string such as '[1,10)')", value);
}

function readInt32(buf: Uint8Array, i: number): number {
  return (buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!;
}

/** Write one bound as Int32 length + the subtype's bytes. */
function writeBound(name: string, side: string, subtype: Codec, value: unknown, w: Writer): void {
  const at = w.reserveLength();
  try {
    subtype.encode(value, w);
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    throw new InterfaceError(`${name} ${side} bound: ${err.message}`, { cause: err });
  }
  w.patchLength(at, false);
}

/** Write range_send bytes for a Range. */
function encodeRange(name: string, subtype: Codec, r: Range<unknown>, w: Writer): void {
  if (r.empty) {
    w.int8(EMPTY);
    return;
  }
  let flags = 0;
  if (r.lower === null) flags |= LB_INF;
  else if (r.lowerInclusive) flags |= LB_INC;
  if (r.upper === null) flags |= UB_INF;
  else if (r.upperInclusive) flags |= UB_INC;
  w.int8(flags);
  if (r.lower !== null) writeBound(name, 'lower', subtype, r.lower, w);
  if (r.upper !== null) writeBound(name, 'upper', subtype, r.upper, w);
}

/** Read range_send bytes buf[start, end). */
function decodeRange<T>(name: string, subtype: Codec<T>, buf: Uint8Array, start: number, end: number): Range<T> {
  if (end - start < 1) throw sizeError(name, 'at least 1', 0);
  const flags = buf[start]!;
  if (flags & EMPTY) {
    if (end - start !== 1) throw sizeError(name, '1 for an empty range', end - start);
    return Range.empty();
  }
  let pos = start + 1;
  let lower: T | null = null;
  let upper: T | null = null;
  // Bound 0 is the lower, bound 1 the upper; each is present unless its side is unbounded.
  for (let side = 0; side < 2; side++) {
    if (flags & (side === 0 ? LB_INF : UB_INF)) continue;
    if (end - pos < 4) throw new ProtocolError(`${name} value from the server ends inside a bound's length`);
    const len = readInt32(buf, pos);
    pos += 4;
    if (len < 0 || len > end - pos) throw new ProtocolError(`${name} value from the server has a bound of length ${len} with ${end - pos} bytes left`);
    const v = subtype.decode(buf, pos, pos + len);
    pos += len;
    if (side === 0) lower = v;
    else upper = v;
  }
  if (pos !== end) throw new ProtocolError(`${name} value from the server has ${end - pos} bytes after its bounds`);
  return new Range(lower, upper, BOUNDS[((flags & LB_INC) >> 1) | ((flags & UB_INC) >> 1)]!);
}

/** The codec for a range type over `subtype` (which must be a binary codec). */
export function rangeCodec<T>(subtype: Codec<T>, oid: number, name: string): Codec<Range<T>> {
  return {
    oid,
    name,
    format: 1,
    encode(value: unknown, w: Writer): void {
      encodeRange(name, subtype, toRange(name, value), w);
    },
    decode(buf: Uint8Array, start: number, end: number): Range<T> {
      return decodeRange(name, subtype, buf, start, end);
    },
  };
}

/** The codec for a multirange type over `subtype`: an array of Range values, in the server's order. */
export function multirangeCodec<T>(subtype: Codec<T>, oid: number, name: string): Codec<Range<T>[]> {
  return {
    oid,
    name,
    format: 1,
    encode(value: unknown, w: Writer): void {
      if (!Array.isArray(value)) throw encodeError(name, 'an array of Range values', value);
      w.int32(value.length);
      for (let i = 0; i < value.length; i++) {
        const at = w.reserveLength();
        let r: Range<unknown>;
        try {
          r = toRange(name, value[i]);
        } catch (err) {
          throw new InterfaceError(`${name} element [${i}]: ${(err as Error).message}`, { cause: err });
        }
        encodeRange(`${name} element [${i}]`, subtype, r, w);
        w.patchLength(at, false);
      }
    },
    decode(buf: Uint8Array, start: number, end: number): Range<T>[] {
      if (end - start < 4) throw sizeError(name, 'at least 4', end - start);
      const n = readInt32(buf, start);
      if (n < 0 || n * 5 > end - start - 4) throw new ProtocolError(`${name} value from the server claims ${n} ranges in ${end - start - 4} bytes`);
      const out = new Array<Range<T>>(n);
      let pos = start + 4;
      for (let i = 0; i < n; i++) {
        if (end - pos < 4) throw new ProtocolError(`${name} value from the server ends inside a range's length`);
        const len = readInt32(buf, pos);
        pos += 4;
        if (len < 0 || len > end - pos) throw new ProtocolError(`${name} value from the server has a range of length ${len} with ${end - pos} bytes left`);
        out[i] = decodeRange(name, subtype, buf, pos, pos + len);
        pos += len;
      }
      if (pos !== end) throw new ProtocolError(`${name} value from the server has ${end - pos} bytes after its last range`);
      return out;
    },
  };
}

// --- text format, for subtypes without a binary codec ---------------------------

/** The literal of one bound, quoted when needed, from the subtype's text encoder. */
function boundText(name: string, side: string, subtype: Codec, value: unknown): string {
  const w = new Writer(64);
  try {
    subtype.encode(value, w);
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    throw new InterfaceError(`${name} ${side} bound: ${err.message}`, { cause: err });
  }
  return '"' + decodeUtf8(w.buf, 0, w.length).replace(/["\\]/g, '\\$&') + '"';
}

function rangeLiteral(name: string, subtype: Codec, r: Range<unknown>): string {
  if (r.empty) return 'empty';
  const lower = r.lower === null ? '' : boundText(name, 'lower', subtype, r.lower);
  const upper = r.upper === null ? '' : boundText(name, 'upper', subtype, r.upper);
  return `${r.lowerInclusive ? '[' : '('}${lower},${upper}${r.upperInclusive ? ']' : ')'}`;
}

/** Parse one range literal starting at s[i]; returns the range and the index after it. */
function parseRangeLiteral<T>(name: string, subtype: Codec<T>, s: string, i: number): [Range<T>, number] {
  const fail = (): never => {
    throw new ProtocolError(`${name} value from the server is not a valid range literal: ${JSON.stringify(s.slice(0, 100))}`);
  };
  if (s.startsWith('empty', i)) return [Range.empty(), i + 5];
  const open = s[i];
  if (open !== '[' && open !== '(') fail();
  i++;
  const bound = (stops: string): string | null => {
    if (stops.includes(s[i] ?? '')) return null;
    let out = '';
    let quoted = false;
    while (i < s.length) {
      const c = s[i]!;
      if (!quoted && stops.includes(c)) return out;
      if (c === '\\') {
        out += s[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (c === '"') {
        if (quoted && s[i + 1] === '"') {
          out += '"';
          i += 2;
          continue;
        }
        quoted = !quoted;
        i++;
        continue;
      }
      out += c;
      i++;
    }
    return fail();
  };
  const decodeText = (t: string | null): T | null => {
    if (t === null) return null;
    const bytes = new TextEncoder().encode(t);
    return subtype.decode(bytes, 0, bytes.length);
  };
  const lower = decodeText(bound(','));
  if (s[i] !== ',') fail();
  i++;
  const upper = decodeText(bound(')]'));
  const close = s[i];
  if (close !== ')' && close !== ']') fail();
  return [new Range(lower, upper, `${open}${close}` as RangeBounds), i + 1];
}

/** A range codec in text format, for a subtype that has only a text codec. */
export function textRangeCodec<T>(subtype: Codec<T>, oid: number, name: string): Codec<Range<T>> {
  return {
    oid,
    name,
    format: 0,
    encode(value: unknown, w: Writer): void {
      w.string(rangeLiteral(name, subtype, toRange(name, value)));
    },
    decode(buf: Uint8Array, start: number, end: number): Range<T> {
      const s = decodeUtf8(buf, start, end);
      const [r, next] = parseRangeLiteral(name, subtype, s, 0);
      if (next !== s.length) throw new ProtocolError(`${name} value from the server has text after its range literal`);
      return r;
    },
  };
}

/** A multirange codec in text format ('{[1,3),[5,7)}'), for a subtype that has only a text codec. */
export function textMultirangeCodec<T>(subtype: Codec<T>, oid: number, name: string): Codec<Range<T>[]> {
  return {
    oid,
    name,
    format: 0,
    encode(value: unknown, w: Writer): void {
      if (!Array.isArray(value)) throw encodeError(name, 'an array of Range values', value);
      w.string('{' + value.map((v) => rangeLiteral(name, subtype, toRange(name, v))).join(',') + '}');
    },
    decode(buf: Uint8Array, start: number, end: number): Range<T>[] {
      const s = decodeUtf8(buf, start, end);
      if (s[0] !== '{' || s[s.length - 1] !== '}') throw new ProtocolError(`${name} value from the server is not a multirange literal`);
      const out: Range<T>[] = [];
      let i = 1;
      while (i < s.length - 1) {
        const [r, next] = parseRangeLiteral(name, subtype, s, i);
        out.push(r);
        i = next;
        if (s[i] === ',') i++;
      }
      return out;
    },
  };
}
