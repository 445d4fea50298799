/**
 * Connection- and pool-wide choices for the common type mappings, given to
 * connect() as `types: { ... }`. Per-type changes go through
 * conn.setTypeCodec() instead.
 */
import { InterfaceError } from '../errors/client.js';

/** How int8 (bigint) values are read. */
export type Int8Mode = 'bigint' | 'number' | 'string';

/** How timestamp and timestamptz values are read. */
export type TimestampMode = 'date' | 'string';

/** The `types` connection option. */
export interface TypeOptions {
  /**
   * int8 as `bigint` (the default, exact), `number` (a RangeError for a
   * value past 2^53 rather than a silently rounded one) or `string`.
   * Also applies to int8[] and int8range. Parameters accept all three forms
   * whatever is chosen.
   */
  int8?: Int8Mode;
  /**
   * A function from numeric's exact decimal text ('12.50', 'NaN',
   * 'Infinity') to your value, such as `(s) => new Decimal(s)`. A numeric
   * parameter accepts any object whose toString() gives a decimal string, so
   * those values go back as they came.
   */
  numericDecoder?: (text: string) => unknown;
  /** Parses json and jsonb text. Default JSON.parse. */
  jsonParse?: (text: string) => unknown;
  /** Turns a json or jsonb parameter into JSON text (undefined: no JSON form). Default JSON.stringify. */
  jsonStringify?: (value: unknown) => string | undefined;
  /**
   * timestamp and timestamptz as `date` (the default: a Date, or a
   * PreciseDate when there are microseconds below the millisecond; ±Infinity
   * for infinity) or `string` (the server's ISO text in UTC, such as
   * '2024-05-06 07:08:09.123456+00', covering the whole range of the type).
   */
  timestamps?: TimestampMode;
}

const KEYS: ReadonlySet<string> = new Set(['int8', 'numericDecoder', 'jsonParse', 'jsonStringify', 'timestamps']);

/**
 * Check a `types` option and return it frozen.
 * @throws InterfaceError naming the key and what it accepts.
 */
export function validateTypeOptions(value: unknown): Readonly<TypeOptions> {
  if (value === undefined) return Object.freeze({});
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InterfaceError('the types option must be an object such as { int8: "number" }');
  }
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!KEYS.has(key)) {
      throw new InterfaceError(`unknown key "${key}" in the types option; the keys are ${[...KEYS].join(', ')}`);
    }
  }
  const out: TypeOptions = {};
  if (v['int8'] !== undefined) {
    if (v['int8'] !== 'bigint' && v['int8'] !== 'number' && v['int8'] !== 'string') {
      throw new InterfaceError(`types.int8 must be 'bigint', 'number' or 'string', got ${JSON.stringify(v['int8'])}`);
    }
    out.int8 = v['int8'];
  }
  if (v['timestamps'] !== undefined) {
    if (v['timestamps'] !== 'date' && v['timestamps'] !== 'string') {
      throw new InterfaceError(`types.timestamps must be 'date' or 'string', got ${JSON.stringify(v['timestamps'])}`);
    }
    out.timestamps = v['timestamps'];
  }
  for (const key of ['numericDecoder', 'jsonParse', 'jsonStringify'] as const) {
    const f = v[key];
    if (f === undefined) continue;
    if (typeof f !== 'function') throw new InterfaceError(`types.${key} must be a function, got ${typeof f}`);
    out[key] = f as never;
  }
  return Object.freeze(out);
}

/** Whether the options change nothing from the defaults. */
export function isDefaultTypeOptions(options: TypeOptions): boolean {
  return (
    (options.int8 === undefined || options.int8 === 'bigint') &&
    (options.timestamps === undefined || options.timestamps === 'date') &&
    options.numericDecoder === undefined &&
    options.jsonParse === undefined &&
    options.jsonStringify === undefined
  );
}
