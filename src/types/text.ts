/**
 * The text form of a JS value, for a parameter whose type has no binary codec:
 * the server parses the text with the type's input function, so the form
 * chosen is one every input function in question accepts, and one that does
 * not depend on the process time zone.
 */
import { Buffer } from 'node:buffer';
import { InterfaceError } from '../errors/client.js';
import { PreciseDate } from './builtins/precise-date.js';
import { describeValue } from './codec.js';

/** UTC fields of a Date as PostgreSQL's ISO output, with an explicit +00 offset and BC suffix; a PreciseDate's microseconds included. */
function formatDate(d: Date): string {
  const year = d.getUTCFullYear();
  const two = (n: number): string => (n < 10 ? '0' : '') + String(n);
  const ms = d.getUTCMilliseconds();
  const us = d instanceof PreciseDate ? String(d.microseconds + 1000).slice(1) : '';
  // JS year 0 is 1 BC; PostgreSQL has no year 0 and writes 'BC' after the offset.
  const y = String(year > 0 ? year : 1 - year).padStart(4, '0');
  return (
    `${y}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(ms).padStart(3, '0')}${us}+00` +
    (year > 0 ? '' : ' BC')
  );
}

/** Bytes in bytea's hex input form: \x0a1b... */
function formatBytes(value: ArrayBufferView | ArrayBuffer): string {
  const b =
    value instanceof ArrayBuffer
      ? Buffer.from(value)
      : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return '\\x' + b.toString('hex');
}

/** JSON text of an object, with stringify's failures as InterfaceErrors. */
function formatJson(value: object): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(value);
  } catch (err) {
    throw new InterfaceError(
      `cannot send ${describeValue(value)} as text: JSON.stringify failed (${(err as Error).message})`,
      { cause: err },
    );
  }
  if (s === undefined) throw new InterfaceError(`cannot send ${describeValue(value)} as text: it has no JSON form`);
  return s;
}

/** One array element inside an array literal: NULL, a nested literal, or a double-quoted string. */
function formatElement(value: unknown, path: string): string {
  if (value === null) return 'NULL';
  if (value === undefined) throw new InterfaceError(`array element ${path} is undefined; use null for NULL`);
  if (Array.isArray(value)) return formatArray(value, path);
  const s = toText(value);
  // Quoting every element is always valid and spares deciding which need it.
  return '"' + s.replace(/["\\]/g, '\\$&') + '"';
}

/** An array literal: {"a","b",NULL} and {{"1","2"},{"3","4"}} for nested arrays. */
function formatArray(value: readonly unknown[], path: string): string {
  let out = '{';
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out += ',';
    out += formatElement(value[i], `${path}[${i}]`);
  }
  return out + '}';
}

/**
 * The text form of a parameter value:
 * - string: itself; boolean: 't' or 'f'; number: decimal, '-0', 'NaN', 'Infinity', '-Infinity';
 * - bigint: decimal;
 * - Date: 'YYYY-MM-DD HH:MM:SS.mmm+00' in UTC ('... BC' before year 1);
 * - Buffer, typed array, ArrayBuffer: bytea hex form '\x...';
 * - array: an array literal with every element quoted, nested arrays as more
 *   dimensions, null as NULL (the delimiter is ',': box arrays need their own codec);
 * - an object with a toPostgres() method returning a string (Interval, Range):
 *   that string;
 * - any other object: its JSON text.
 * @throws InterfaceError for undefined, null (send NULL instead), symbols,
 *   functions, invalid Dates and objects JSON cannot encode.
 */
export function toText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 't' : 'f';
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      throw new InterfaceError(`${describeValue(value)} has no PostgreSQL text form`);
  }
  if (value === null) throw new InterfaceError('null has no text form; it is sent as SQL NULL');
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InterfaceError('an invalid Date has no PostgreSQL text form');
    return formatDate(value);
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return formatBytes(value);
  if (Array.isArray(value)) return formatArray(value, '');
  const toPostgres = (value as { toPostgres?: unknown }).toPostgres;
  if (typeof toPostgres === 'function') {
    const s: unknown = toPostgres.call(value);
    if (typeof s === 'string') return s;
  }
  return formatJson(value);
}
