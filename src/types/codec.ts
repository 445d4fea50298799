/**
 * The codec contract: one PostgreSQL type's wire format as plain data plus two
 * functions. The connection owns the length words; a codec only ever sees the
 * value's own bytes.
 */
import { InterfaceError, ProtocolError } from '../errors/client.js';
import type { FormatCode } from '../protocol/messages.js';
import type { Writer } from '../protocol/writer.js';

/**
 * How values of one PostgreSQL type are written to and read from the wire.
 *
 * `T` is the JavaScript type that `decode` returns. `encode` takes `unknown`
 * because parameters arrive untyped from user code; it checks the value itself.
 */
export interface Codec<T = unknown> {
  /** The type's OID (pg_type.oid). */
  readonly oid: number;
  /** The type's name, used in error messages ('int4', 'timestamptz', 'int4[]'). */
  readonly name: string;
  /** The format both functions speak: 1 binary, 0 text. */
  readonly format: FormatCode;
  /**
   * Write the value's bytes (no length word) into w.
   * @throws InterfaceError naming the expected JavaScript type or range when
   *   the value cannot be encoded.
   */
  encode(value: unknown, w: Writer): void;
  /**
   * Decode buf[start, end), straight from the read buffer. Never keeps a
   * reference to buf: the buffer is reused for the next message.
   * @throws ProtocolError when the bytes are not a valid value of the type;
   *   RangeError when a valid value has no form in this mapping (an int8 past
   *   2^53 decoded as number, a timestamp past a JS Date's range).
   */
  decode(buf: Uint8Array, start: number, end: number): T;
  /**
   * The value's text form, when the codec knows one better than toText()'s
   * (a composite's record literal, an array literal with its elements' own
   * text): used when a value goes in text format instead of binary.
   */
  encodeText?(value: unknown): string;
  /**
   * True for codecs made from setTypeCodec()'s functions: a number or boolean
   * they reject stays an error, instead of going to the server as its text.
   */
  readonly userDefined?: boolean;
  /** Set on a codec that reuses another type's (a domain's, over its base type): that type's OID. */
  readonly aliasOf?: number;
}

/** A short, safe description of a value for error messages: its type and a clipped rendering. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string': {
      const clipped = value.length > 40 ? `${value.slice(0, 40)}...` : value;
      return `string ${JSON.stringify(clipped)}`;
    }
    case 'number':
      return Object.is(value, -0) ? 'number -0' : `number ${String(value)}`;
    case 'bigint':
      return `bigint ${String(value)}n`;
    case 'boolean':
      return `boolean ${String(value)}`;
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      break;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : `Date ${value.toISOString()}`;
  if (value instanceof Uint8Array) return `a ${value.constructor.name} of ${value.length} bytes`;
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  const ctorName = typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : null;
  return ctorName === null || ctorName === 'Object' ? 'an object' : `an object of class ${ctorName}`;
}

/** The InterfaceError every codec throws for a value it cannot encode. */
export function encodeError(typeName: string, expected: string, value: unknown): InterfaceError {
  return new InterfaceError(`${typeName} expects ${expected}, got ${describeValue(value)}`);
}

/** The ProtocolError a decoder throws when the server's bytes have the wrong size. */
export function sizeError(typeName: string, expected: string, got: number): ProtocolError {
  return new ProtocolError(`${typeName} value from the server has ${got} byte(s), expected ${expected}`);
}
