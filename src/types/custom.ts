/**
 * Codecs users supply: setTypeCodec()'s encoder and decoder functions, and
 * setBuiltinTypeCodec()'s choice of a codec pgjet already has.
 */
import { Buffer } from 'node:buffer';
import { InterfaceError } from '../errors/client.js';
import type { Writer } from '../protocol/writer.js';
import { BUILTIN_CODECS } from './builtins/index.js';
import { hstoreCodec } from './builtins/hstore.js';
import { decodeUtf8, utf8Codec } from './builtins/text.js';
import type { Codec } from './codec.js';
import { describeValue, encodeError } from './codec.js';
import { aliasCodec } from './introspect.js';

/** A text-format custom codec: values travel as the type's text input and output. */
export interface TextTypeCodec {
  /** The type's schema; default: the name is resolved through search_path (it may be 'schema.name'). */
  schema?: string;
  /** 'text' (the default). */
  format?: 'text';
  /** Turns a parameter into the text the type's input function reads. */
  encoder: (value: unknown) => string;
  /** Turns the type's text output into your value. */
  decoder: (text: string) => unknown;
}

/** A binary-format custom codec: values travel in the type's binary send/receive format. */
export interface BinaryTypeCodec {
  /** The type's schema; default: the name is resolved through search_path (it may be 'schema.name'). */
  schema?: string;
  /** 'binary'. */
  format: 'binary';
  /** Turns a parameter into the bytes the type's receive function reads. */
  encoder: (value: unknown) => Uint8Array;
  /** Turns the bytes of the type's send function into your value (the Buffer is a copy, safe to keep). */
  decoder: (data: Buffer) => unknown;
}

/** The options of setTypeCodec(). */
export type TypeCodecOptions = TextTypeCodec | BinaryTypeCodec;

/** The options of setBuiltinTypeCodec(). */
export interface BuiltinTypeCodecOptions {
  /** The type's schema; default: the name is resolved through search_path. */
  schema?: string;
  /**
   * The codec to use: 'hstore', 'text' (the binary form is UTF-8 text, as for
   * citext), or the name of any built-in codec ('int4', 'jsonb', 'uuid' ...)
   * whose binary format the type shares.
   */
  codecName: string;
}

/**
 * Check setTypeCodec()'s options.
 * @throws InterfaceError naming what is wrong.
 */
export function checkTypeCodecOptions(typeName: unknown, options: unknown): asserts options is TypeCodecOptions {
  if (typeof typeName !== 'string' || typeName === '') throw new InterfaceError('setTypeCodec(): the type name must be a non-empty string');
  if (typeof options !== 'object' || options === null) {
    throw new InterfaceError('setTypeCodec(): pass options { encoder, decoder, format?, schema? }');
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!['schema', 'format', 'encoder', 'decoder'].includes(key)) {
      throw new InterfaceError(`setTypeCodec(): unknown option "${key}"; the options are encoder, decoder, format and schema`);
    }
  }
  if (o['format'] !== undefined && o['format'] !== 'text' && o['format'] !== 'binary') {
    throw new InterfaceError(`setTypeCodec(): format must be 'text' or 'binary', got ${JSON.stringify(o['format'])}`);
  }
  if (typeof o['encoder'] !== 'function' || typeof o['decoder'] !== 'function') {
    throw new InterfaceError('setTypeCodec(): encoder and decoder must be functions');
  }
  if (o['schema'] !== undefined && (typeof o['schema'] !== 'string' || o['schema'] === '')) {
    throw new InterfaceError('setTypeCodec(): schema must be a non-empty string');
  }
}

/** The codec for setTypeCodec()'s functions under the type's OID and name. */
export function userCodec(oid: number, name: string, options: TypeCodecOptions): Codec {
  if (options.format === 'binary') {
    const { encoder, decoder } = options;
    return {
      oid,
      name,
      format: 1,
      userDefined: true,
      encode(value: unknown, w: Writer): void {
        const bytes = callEncoder(name, () => encoder(value), value);
        if (!(bytes instanceof Uint8Array)) {
          throw new InterfaceError(`${name}: the binary encoder given to setTypeCodec() returned ${describeValue(bytes)}, not a Buffer or Uint8Array`);
        }
        w.bytes(bytes);
      },
      decode(buf: Uint8Array, start: number, end: number): unknown {
        return decoder(Buffer.copyBytesFrom(buf, start, end - start));
      },
    };
  }
  const { encoder, decoder } = options;
  return {
    oid,
    name,
    format: 0,
    userDefined: true,
    encode(value: unknown, w: Writer): void {
      const text = callEncoder(name, () => encoder(value), value);
      if (typeof text !== 'string') {
        throw new InterfaceError(`${name}: the text encoder given to setTypeCodec() returned ${describeValue(text)}, not a string`);
      }
      if (text.includes('\0')) throw encodeError(name, 'text without NUL characters (U+0000) from the encoder', value);
      w.string(text);
    },
    decode(buf: Uint8Array, start: number, end: number): unknown {
      return decoder(decodeUtf8(buf, start, end));
    },
  };
}

/** Run a user encoder; its own error becomes the cause of an error that names the type. */
function callEncoder<T>(name: string, fn: () => T, value: unknown): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InterfaceError) throw err;
    const e = encodeError(name, 'a value the encoder given to setTypeCodec() accepts', value);
    e.message += ` (the encoder threw: ${err instanceof Error ? err.message : String(err)})`;
    (e as { cause?: unknown }).cause = err;
    throw e;
  }
}

/** The codec names setBuiltinTypeCodec() accepts. */
export function builtinCodecNames(): string[] {
  const names = new Set<string>(['hstore', 'text']);
  for (const c of BUILTIN_CODECS) if (c.format === 1 && !c.name.endsWith('[]')) names.add(c.name);
  return [...names].sort();
}

/**
 * A codec pgjet has, by name, under the type's OID and name.
 * @throws InterfaceError for an unknown codec name, listing the known ones.
 */
export function namedCodec(codecName: string, oid: number, name: string): Codec {
  if (codecName === 'hstore') return hstoreCodec(oid, name);
  if (codecName === 'text') return utf8Codec(oid, name);
  const builtin = BUILTIN_CODECS.find((c) => c.name === codecName && c.format === 1);
  if (builtin === undefined || codecName.endsWith('[]')) {
    throw new InterfaceError(`setBuiltinTypeCodec(): unknown codec "${codecName}"; the codecs are ${builtinCodecNames().join(', ')}`);
  }
  return aliasCodec(builtin, oid, name);
}
