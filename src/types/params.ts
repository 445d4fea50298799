/**
 * How one Bind parameter is written, given the type the server described for
 * it (ParameterDescription). The choice of format is per parameter: binary
 * where a codec exists, text where the server's own parser is the better judge
 * (a JS string) or the only one (no binary codec).
 */
import { InterfaceError } from '../errors/client.js';
import type { FormatCode } from '../protocol/messages.js';
import type { Writer } from '../protocol/writer.js';
import type { Codec } from './codec.js';
import { ParameterError } from './errors.js';
import { Oid, TYPE_NAME } from './oids.js';
import type { TypeRegistry } from './registry.js';
import { toText } from './text.js';

/**
 * Types whose binary input is the same UTF-8 text their text input reads, so
 * a string can go binary and keep a Bind's formats uniform. Not name: its
 * binary input rejects 64+ bytes where its text input truncates.
 */
const TEXT_LIKE: ReadonlySet<number> = new Set([Oid.text, Oid.varchar, Oid.bpchar]);

/**
 * Types whose codec judges a number, bigint or boolean itself (range,
 * integer-ness, what JSON.stringify can write) and whose verdict stands. For every other built-in type a number, bigint or boolean
 * the binary codec does not take goes as its text, read by the server's own
 * input function: 1 for bool is '1'::bool, 20240101 for date is
 * '20240101'::date. That is also exactly what a statement's first run sends
 * before its parameter types are known, so the first run and every later one
 * mean the same thing.
 */
const PRIMITIVE_CHECKED: ReadonlySet<number> = new Set([
  Oid.int2,
  Oid.int4,
  Oid.int8,
  Oid.float4,
  Oid.float8,
  Oid.numeric,
  Oid.oid,
  Oid.xid,
  Oid.xid8,
  Oid.cid,
  Oid.json,
  Oid.jsonb,
]);

/** Whether a rejected `value` goes as text instead (see PRIMITIVE_CHECKED). */
function primitiveAsText(value: unknown, codec: Codec): boolean {
  const t = typeof value;
  return (t === 'number' || t === 'bigint' || t === 'boolean') && codec.userDefined !== true && !PRIMITIVE_CHECKED.has(codec.aliasOf ?? codec.oid);
}

/** Whether a (nested) array or a plain object holds a string anywhere. */
function hasStringLeaf(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return true;
  if (depth > 32 || typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (const v of value) if (hasStringLeaf(v, depth + 1)) return true;
    return false;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const v of Object.values(value)) if (hasStringLeaf(v, depth + 1)) return true;
  return false;
}

/** The type's name for messages. */
function typeNameOf(oid: number, codec: Codec | undefined): string {
  return codec?.name ?? TYPE_NAME[oid] ?? `the type with OID ${oid}`;
}

/** A ParameterError that names the parameter and its type around the underlying message. */
function parameterError(n: number, oid: number, codec: Codec | undefined, err: unknown): ParameterError {
  const typeName = typeNameOf(oid, codec);
  const message = err instanceof Error ? err.message : String(err);
  // Codec messages usually start with the type name ('int4 expects ...').
  const prefix = message.startsWith(`${typeName} `) ? `parameter $${n}: ` : `parameter $${n} (${typeName}): `;
  return new ParameterError(prefix + message, { parameterNumber: n, typeName, typeOid: oid }, { cause: err });
}

/** Write s as a text-format parameter: Int32 length, UTF-8 bytes. */
function writeText(w: Writer, s: string): FormatCode {
  if (s.includes('\0')) throw new InterfaceError('the text contains a NUL character (U+0000), which PostgreSQL text cannot store');
  const at = w.reserveLength();
  w.string(s);
  w.patchLength(at, false);
  return 0;
}

/**
 * Write one Bind parameter value, Int32 length word included (-1 for NULL),
 * and return the format code to send for it. The rules:
 *
 * - null is NULL; undefined is an InterfaceError (it is almost always a bug).
 * - json and jsonb always go through their codec: a JS string becomes a JSON string.
 * - Any other JS string is sent as text for the server to parse (for text,
 *   varchar and bpchar the bytes are the same and go as binary).
 * - Otherwise the registry's codec for `oid`. A number, bigint or boolean that
 *   a built-in codec does not take goes as its text (for the numeric types
 *   the codec's range check stands). An array or plain object that
 *   the binary codec rejects but that holds strings falls back to its text
 *   literal (the codec's encodeText, else toText), so
 *   ['2024-01-01T00:00:00Z'] works for timestamptz[] as a string does for
 *   timestamptz, and { during: '1 day' } for a composite with an interval.
 * - With no codec, the text form from toText().
 *
 * On error nothing is left in `w`: its length is restored.
 *
 * @param index the parameter's zero-based position; messages call it $index+1.
 * @throws ParameterError (a DataError) naming the parameter ($n), the type
 *   and the problem, for a value that cannot be sent as the type.
 * @throws InterfaceError for undefined.
 */
export function encodeParameter(w: Writer, value: unknown, oid: number, registry: TypeRegistry, index: number): FormatCode {
  const n = index + 1;
  if (value === null) {
    w.int32(-1);
    return 1;
  }
  const codec = registry.get(oid);
  if (value === undefined) {
    throw new InterfaceError(
      `parameter $${n} (${typeNameOf(oid, codec)}) is undefined; pass null for SQL NULL ` +
        '(undefined usually means a missing argument or a misspelled property)',
    );
  }
  const start = w.length;
  if (codec !== undefined) {
    const isString = typeof value === 'string';
    if (!isString || oid === Oid.json || oid === Oid.jsonb || TEXT_LIKE.has(oid)) {
      try {
        const at = w.reserveLength();
        codec.encode(value, w);
        w.patchLength(at, false);
        return codec.format;
      } catch (err) {
        w.length = start;
        if (!(codec.format === 1 && typeof value === 'object' && hasStringLeaf(value)) && !primitiveAsText(value, codec)) {
          throw parameterError(n, oid, codec, err);
        }
      }
    }
  }
  try {
    return writeText(w, codec?.encodeText !== undefined && typeof value !== 'string' ? codec.encodeText(value) : toText(value));
  } catch (err) {
    w.length = start;
    throw parameterError(n, oid, codec, err);
  }
}
