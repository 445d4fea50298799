/**
 * Text literals of structured values (arrays, records) for the text-format
 * fallback: each element's text comes from its own codec where that codec
 * speaks text, so nested composites and ranges are written the way their
 * input functions read them.
 */
import { InterfaceError } from '../../errors/client.js';
import { Writer } from '../../protocol/writer.js';
import type { Codec } from '../codec.js';
import { toText } from '../text.js';
import { decodeUtf8 } from './text.js';

/** A field's text for a record or array literal, always double-quoted (so '' is not NULL). */
export function quoteField(s: string): string {
  return '"' + s.replace(/["\\]/g, '\\$&') + '"';
}

/** The text form of a value of `codec`'s type: its encodeText, its text encoder, else toText(). */
export function valueText(codec: Codec, value: unknown): string {
  if (codec.encodeText !== undefined) return codec.encodeText(value);
  if (codec.format === 0) {
    const w = new Writer(64);
    codec.encode(value, w);
    return decodeUtf8(w.buf, 0, w.length);
  }
  return toText(value);
}

/**
 * An array literal: '{"a","b",NULL}', '{{"1","2"},{"3","4"}}', with a
 * '[lb:ub]=' prefix when the array carries lower bounds. `nested` false
 * treats inner JS arrays as element values (json).
 */
export function arrayLiteral(
  element: Codec,
  name: string,
  value: readonly unknown[],
  delimiter: string,
  nested: boolean,
  bounds: readonly number[] | undefined,
): string {
  const level = (arr: readonly unknown[], path: string): string => {
    let out = '{';
    for (let i = 0; i < arr.length; i++) {
      if (i > 0) out += delimiter;
      const v = arr[i];
      if (v === null) out += 'NULL';
      else if (v === undefined) throw new InterfaceError(`${name} element ${path}[${i}] is undefined; use null for NULL`);
      else if (nested && Array.isArray(v)) out += level(v, `${path}[${i}]`);
      else {
        try {
          out += quoteField(valueText(element, v));
        } catch (err) {
          if (!(err instanceof Error)) throw err;
          throw new InterfaceError(`${name} element ${path}[${i}]: ${err.message}`, { cause: err });
        }
      }
    }
    return out + '}';
  };
  let prefix = '';
  if (bounds !== undefined && value.length > 0) {
    let arr: unknown = value;
    for (const lb of bounds) {
      const len = Array.isArray(arr) ? arr.length : 0;
      prefix += `[${lb}:${lb + len - 1}]`;
      arr = Array.isArray(arr) ? arr[0] : undefined;
    }
    prefix += '=';
  }
  return prefix + level(value, '');
}
