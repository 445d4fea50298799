/**
 * How one Bind parameter is written, given the type the server described for
 * it (ParameterDescription). The choice of format is per parameter: binary
 * where a codec exists, text where the server's own parser is the better judge
 * (a JS string) or the only one (no codec).
 */
import { InterfaceError } from '../errors/client.js';
import type { FormatCode } from '../protocol/messages.js';
import type { Writer } from '../protocol/writer.js';
import type { Codec } from './codec.js';
import { Oid, TYPE_NAME } from './oids.js';
import type { TypeRegistry } from './registry.js';
import { toText } from './text.js';

/**
 * Types whose binary input is the same UTF-8 text their text input reads, so
 * a string can go binary and keep a Bind's formats uniform. Not name: its
 * binary input rejects 64+ bytes where its text input truncates.
 */
const TEXT_LIKE: ReadonlySet<number> = new Set([Oid.text, Oid.varchar, Oid.bpchar]);

/** Whether a (nested) array holds a string anywhere. */
function hasStringLeaf(value: readonly unknown[]): boolean {
  for (const v of value) {
    if (typeof v === 'string') return true;
    if (Array.isArray(v) && hasStringLeaf(v)) return true;
  }
  return false;
}

/** An InterfaceError that names the parameter and its type around the underlying message. */
function parameterError(index: number, oid: number, codec: Codec | undefined, err: unknown): InterfaceError {
  const typeName = codec?.name ?? TYPE_NAME[oid] ?? `the type with OID ${oid}`;
  const message = err instanceof Error ? err.message : String(err);
  // Codec messages already start with the type name ('int4 expects ...').
  const prefix = message.startsWith(`${typeName} `) ? `parameter $${index + 1}: ` : `parameter $${index + 1} (${typeName}): `;
  return new InterfaceError(prefix + message, { cause: err });
}

/** Write s as a text-format parameter: Int32 length, UTF-8 bytes. */
function writeText(w: Writer, s: string): FormatCode {
  const at = w.reserveLength();
  w.string(s);
  w.patchLength(at, false);
  return 0;
}

/**
 * Write one Bind parameter value, Int32 length word included (-1 for NULL),
 * and return the format code to send for it. The rules:
 *
 * - null is NULL; undefined is an error (it is almost always a bug).
 * - json and jsonb always go through their codec: a JS string becomes a JSON string.
 * - Any other JS string is sent as text for the server to parse (for text,
 *   varchar and bpchar the bytes are the same and go as binary).
 * - Otherwise the registry's codec for `oid`. An array that the binary codec
 *   rejects but that holds strings falls back to a text array literal, so
 *   ['2024-01-01T00:00:00Z'] works for timestamptz[] as a string does for timestamptz.
 * - With no codec, the text form from toText().
 *
 * On error nothing is left in `w`: its length is restored.
 *
 * @param index the parameter's zero-based position; messages call it $index+1.
 * @throws InterfaceError naming the parameter ($N), the type and the value given.
 */
export function encodeParameter(
  w: Writer,
  value: unknown,
  oid: number,
  registry: TypeRegistry,
  index: number,
): FormatCode {
  if (value === null) {
    w.int32(-1);
    return 1;
  }
  if (value === undefined) {
    const typeName = registry.get(oid)?.name ?? TYPE_NAME[oid] ?? `OID ${oid}`;
    throw new InterfaceError(
      `parameter $${index + 1} (${typeName}) is undefined; pass null for SQL NULL ` +
        '(undefined usually means a missing argument or a misspelled property)',
    );
  }
  const start = w.length;
  const codec = registry.get(oid);
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
        if (!(codec.format === 1 && Array.isArray(value) && hasStringLeaf(value))) {
          throw parameterError(index, oid, codec, err);
        }
      }
    }
  }
  try {
    return writeText(w, toText(value));
  } catch (err) {
    w.length = start;
    throw parameterError(index, oid, codec, err);
  }
}
