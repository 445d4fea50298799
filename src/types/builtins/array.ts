/**
 * Arrays of any element type, in the binary array format (array_send):
 *
 *   Int32 ndim, Int32 flags (1 = has NULLs), Int32 element type OID,
 *   ndim x (Int32 size, Int32 lower bound),
 *   then every element in row-major order as Int32 length (-1 = NULL) + bytes.
 *
 * A multi-dimensional array maps to nested JS arrays and a NULL element to
 * null. Lower bounds other than the default ('[0:2]={1,2,3}') are kept in a
 * non-enumerable property of the outermost array (see lowerBoundsOf and
 * withLowerBounds), so such an array round-trips while comparing and
 * serialising like any other array.
 */
import { InterfaceError, ProtocolError } from '../../errors/client.js';
import type { Codec } from '../codec.js';
import { describeValue, encodeError, sizeError } from '../codec.js';
import type { Writer } from '../../protocol/writer.js';
import { arrayLiteral } from './literal.js';

/** A PostgreSQL array as JS: elements, NULLs, or sub-arrays one level down. */
export type PgArray<T> = (T | null | PgArray<T>)[];

/** Options of {@link arrayCodec}. */
export interface ArrayCodecOptions {
  /**
   * The element's own JS value may be an array (json, jsonb): then only the
   * outermost JS array is a dimension, and arrays inside it are elements.
   * Such arrays encode as one-dimensional.
   */
  readonly elementsMayBeArrays?: boolean;
  /**
   * The lower bound written for every dimension: 1 for ordinary arrays, 0 for
   * int2vector and oidvector, whose input functions insist on it.
   */
  readonly lowerBound?: number;
  /** The element type's delimiter in text literals (typdelim): ',' except for box (';'). */
  readonly delimiter?: string;
}

/** PostgreSQL's MAXDIM. */
const MAX_DIMENSIONS = 6;

/** Where an array keeps its lower bounds; Symbol.for so copies of this module agree. */
const LOWER_BOUNDS: unique symbol = Symbol.for('pgjet.arrayLowerBounds');

/**
 * The lower bound of each dimension of an array read from the server, when
 * one is not the default (1; 0 for int2vector and oidvector): `[0:2]={7,8,9}`
 * reads as [7, 8, 9] with lowerBoundsOf() = [0]. Undefined for an ordinary array.
 */
export function lowerBoundsOf(array: readonly unknown[]): readonly number[] | undefined {
  return (array as { [LOWER_BOUNDS]?: readonly number[] })[LOWER_BOUNDS];
}

/**
 * Mark `array` (the outermost level) to be sent with these lower bounds, one
 * per dimension, and return it: `withLowerBounds([7, 8, 9], [0])` is
 * `'[0:2]={7,8,9}'`. The mark is a non-enumerable property: it does not show
 * in JSON, comparisons or iteration, and a copy of the array does not keep it.
 * @throws RangeError when a bound is not a 32-bit integer.
 */
export function withLowerBounds<T extends unknown[]>(array: T, lowerBounds: readonly number[]): T {
  for (const b of lowerBounds) {
    if (!Number.isInteger(b) || b < -2147483648 || b > 2147483647) {
      throw new RangeError(`array lower bounds must be 32-bit integers, got ${String(b)}`);
    }
  }
  Object.defineProperty(array, LOWER_BOUNDS, { value: Object.freeze([...lowerBounds]), enumerable: false, configurable: true, writable: false });
  return array;
}

/** The lower bounds to write for `value`: its own (checked against the shape) or the default for every dimension. */
function boundsFor(name: string, value: readonly unknown[], dims: readonly number[], lowerBound: number): readonly number[] | number {
  const own = lowerBoundsOf(value);
  if (own === undefined) return lowerBound;
  if (own.length !== dims.length) {
    throw new InterfaceError(`${name}: the array has ${dims.length} dimension(s) but withLowerBounds gave ${own.length} lower bound(s)`);
  }
  for (let i = 0; i < dims.length; i++) {
    if (own[i]! + dims[i]! - 1 > 2147483647) throw new InterfaceError(`${name}: dimension ${i + 1} runs past the largest array subscript (2147483647)`);
  }
  return own;
}

function readInt32(buf: Uint8Array, i: number): number {
  return (buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!;
}

/** Read position while decoding nested levels; one per decoded array. */
interface Cursor {
  pos: number;
}

/** Decode `count` elements starting at cursor.pos. */
function decodeElements<T>(
  element: Codec<T>,
  name: string,
  buf: Uint8Array,
  cursor: Cursor,
  end: number,
  count: number,
): (T | null)[] {
  const out = new Array<T | null>(count);
  let pos = cursor.pos;
  for (let i = 0; i < count; i++) {
    if (end - pos < 4) throw new ProtocolError(`${name} value from the server ends inside an element's length`);
    const len = readInt32(buf, pos);
    pos += 4;
    if (len === -1) {
      out[i] = null;
      continue;
    }
    if (len < 0 || len > end - pos) {
      throw new ProtocolError(`${name} value from the server has an element of length ${len} with ${end - pos} bytes left`);
    }
    out[i] = element.decode(buf, pos, pos + len);
    pos += len;
  }
  cursor.pos = pos;
  return out;
}

/** Decode the sub-arrays of dimension `level` and below. */
function decodeLevel<T>(
  element: Codec<T>,
  name: string,
  buf: Uint8Array,
  cursor: Cursor,
  end: number,
  dims: readonly number[],
  level: number,
): PgArray<T> {
  const size = dims[level]!;
  if (level === dims.length - 1) return decodeElements(element, name, buf, cursor, end, size);
  const out = new Array<PgArray<T>>(size);
  for (let i = 0; i < size; i++) out[i] = decodeLevel(element, name, buf, cursor, end, dims, level + 1);
  return out;
}

/** Where an element sits, for error messages: '[1][0]'. */
function pathOf(indices: readonly number[], depth: number): string {
  let s = '';
  for (let i = 0; i < depth; i++) s += `[${indices[i]}]`;
  return s;
}

/** State of one encode call, passed down the levels. */
interface EncodeState {
  readonly element: Codec;
  readonly name: string;
  readonly dims: readonly number[];
  readonly w: Writer | null;
  readonly indices: number[];
  readonly nested: boolean;
  hasNull: boolean;
}

/** Check one level's shape and (when state.w is set) write its elements. */
function encodeLevel(state: EncodeState, arr: readonly unknown[], level: number): void {
  const { dims, indices, name } = state;
  const last = level === dims.length - 1;
  for (let i = 0; i < arr.length; i++) {
    indices[level] = i;
    const v = arr[i];
    if (!last) {
      if (!Array.isArray(v) || v.length !== dims[level + 1]) {
        const shape = Array.isArray(v) ? `has length ${v.length}` : `is ${describeValue(v)}`;
        throw new InterfaceError(
          `${name} needs a rectangular array (every sub-array of a level the same length, no NULL sub-arrays): ` +
            `element ${pathOf(indices, level + 1)} ${shape}, expected an array of length ${dims[level + 1]}`,
        );
      }
      encodeLevel(state, v, level + 1);
      continue;
    }
    if (v === undefined) {
      throw new InterfaceError(`${name} element ${pathOf(indices, level + 1)} is undefined; use null for NULL`);
    }
    if (state.nested && Array.isArray(v)) {
      throw new InterfaceError(
        `${name} needs a rectangular array: element ${pathOf(indices, level + 1)} is an array, ` +
          `deeper than the first element's nesting; nest every element to the same depth`,
      );
    }
    const w = state.w;
    if (v === null) {
      state.hasNull = true;
      if (w !== null) w.int32(-1);
      continue;
    }
    if (w === null) continue;
    const at = w.reserveLength();
    try {
      state.element.encode(v, w);
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      throw new InterfaceError(`${name} element ${pathOf(indices, level + 1)}: ${err.message}`, { cause: err });
    }
    w.patchLength(at, false);
  }
}

/**
 * The codec for arrays of `element`, named e.g. 'int4[]'. Decodes to nested
 * JS arrays; encodes a nested JS array after checking it is rectangular and
 * at most 6 levels deep (PostgreSQL's limit). An empty array, at any depth,
 * is the server's empty array '{}'.
 */
export function arrayCodec<T>(
  element: Codec<T>,
  arrayOid: number,
  name: string,
  options: ArrayCodecOptions = {},
): Codec<PgArray<T>> {
  const nested = options.elementsMayBeArrays !== true;
  const lowerBound = options.lowerBound ?? 1;
  const delimiter = options.delimiter ?? ',';
  return {
    oid: arrayOid,
    name,
    format: 1,
    encodeText(value: unknown): string {
      if (!Array.isArray(value)) throw encodeError(name, 'an array (nested arrays for more dimensions)', value);
      return arrayLiteral(element, name, value, delimiter, nested, lowerBoundsOf(value));
    },
    encode(value: unknown, w: Writer): void {
      if (!Array.isArray(value)) throw encodeError(name, 'an array (nested arrays for more dimensions)', value);
      const dims: number[] = [];
      let level: unknown[] = value;
      let count = 1;
      while (true) {
        dims.push(level.length);
        count *= level.length;
        const first: unknown = level[0];
        if (!nested || !Array.isArray(first)) break;
        if (dims.length === MAX_DIMENSIONS) {
          throw new InterfaceError(`${name} arrays have at most ${MAX_DIMENSIONS} dimensions; the value is nested deeper`);
        }
        level = first;
      }
      const state: EncodeState = { element, name, dims, w: null, indices: [], nested, hasNull: false };
      if (count === 0) {
        // Only the shape matters ([[], [1]] is still an error); the server has one empty array.
        encodeLevel(state, value, 0);
        w.int32(0);
        w.int32(0);
        w.int32(element.oid);
        return;
      }
      const bounds = boundsFor(name, value, dims, lowerBound);
      w.int32(dims.length);
      const flagsAt = w.length;
      w.int32(0);
      w.int32(element.oid);
      for (let i = 0; i < dims.length; i++) {
        w.int32(dims[i]!);
        w.int32(typeof bounds === 'number' ? bounds : bounds[i]!);
      }
      const writing: EncodeState = { ...state, w };
      encodeLevel(writing, value, 0);
      // w.buf may have been replaced while growing: index it only now.
      if (writing.hasNull) w.buf[flagsAt + 3] = 1;
    },
    decode(buf: Uint8Array, start: number, end: number): PgArray<T> {
      if (end - start < 12) throw sizeError(name, 'at least 12', end - start);
      const ndim = readInt32(buf, start);
      if (ndim === 0) return [];
      if (ndim < 0 || ndim > MAX_DIMENSIONS) {
        throw new ProtocolError(`${name} value from the server has ${ndim} dimensions; PostgreSQL allows 1 to ${MAX_DIMENSIONS}`);
      }
      const header = 12 + 8 * ndim;
      if (end - start < header) throw sizeError(name, `at least ${header} for ${ndim} dimensions`, end - start);
      const dims = new Array<number>(ndim);
      let count = 1;
      let defaultBounds = true;
      for (let i = 0; i < ndim; i++) {
        const d = readInt32(buf, start + 12 + 8 * i);
        if (d < 0) throw new ProtocolError(`${name} value from the server has a dimension of size ${d}`);
        dims[i] = d;
        count *= d;
        if (readInt32(buf, start + 16 + 8 * i) !== lowerBound) defaultBounds = false;
      }
      // Every element takes at least its 4-byte length: refuse sizes the bytes cannot hold before allocating.
      if (count * 4 > end - start - header) {
        throw new ProtocolError(`${name} value from the server claims ${count} elements in ${end - start - header} bytes`);
      }
      const cursor: Cursor = { pos: start + header };
      const out = decodeLevel(element, name, buf, cursor, end, dims, 0);
      if (cursor.pos !== end) throw new ProtocolError(`${name} value from the server has ${end - cursor.pos} bytes after its last element`);
      if (!defaultBounds) {
        const bounds = new Array<number>(ndim);
        for (let i = 0; i < ndim; i++) bounds[i] = readInt32(buf, start + 16 + 8 * i);
        withLowerBounds(out, bounds);
      }
      return out;
    },
  };
}
