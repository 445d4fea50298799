/**
 * json, jsonb and jsonpath. json's binary form is its text; jsonb's and
 * jsonpath's are a version byte (1) followed by the text. A json or jsonb
 * parameter is always JSON-encoded, so a JS string becomes a JSON string:
 * pass JSON.parse(text) to send a document you hold as text. Numbers past
 * 2^53 lose precision in JSON.parse, as anywhere in JS (a JSON library that
 * keeps them can be plugged in with the jsonParse option).
 */
import { ProtocolError } from '../../errors/client.js';
import type { Codec } from '../codec.js';
import { encodeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';
import { decodeUtf8 } from './text.js';

const VERSION = 1;
const EXPECTED = 'a value JSON.stringify can encode (not undefined, a function, a symbol, a bigint or a cyclic object)';

/** Parses JSON text from the server. */
export type JsonParse = (text: string) => unknown;
/** Turns a parameter into JSON text; returns undefined for a value with no JSON form. */
export type JsonStringify = (value: unknown) => string | undefined;

/** JSON text of a parameter, with the stringify function's failures turned into InterfaceErrors. */
function stringify(name: string, value: unknown, fn: JsonStringify): string {
  let s: string | undefined;
  try {
    s = fn(value);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const e = encodeError(name, EXPECTED, value);
    e.message += ` (JSON.stringify: ${reason})`;
    throw e;
  }
  // undefined, functions and symbols have no JSON form: stringify returns undefined.
  if (typeof s !== 'string') throw encodeError(name, EXPECTED, value);
  return s;
}

/** Parse JSON text from the server. */
function parse(name: string, buf: Uint8Array, start: number, end: number, fn: JsonParse): unknown {
  const s = decodeUtf8(buf, start, end);
  try {
    return fn(s);
  } catch (err) {
    throw new ProtocolError(`${name} value from the server could not be parsed as JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Check the version byte of jsonb or jsonpath. */
function checkVersion(name: string, buf: Uint8Array, start: number, end: number): void {
  if (end - start < 1 || buf[start] !== VERSION) {
    const got = end - start < 1 ? 'no version byte' : `version ${buf[start]}`;
    throw new ProtocolError(`${name} value from the server has ${got}; this client reads ${name} version ${VERSION}`);
  }
}

const defaultStringify: JsonStringify = (v) => JSON.stringify(v);
const defaultParse: JsonParse = (s) => JSON.parse(s) as unknown;

/**
 * The json and jsonb codecs with the given parse and stringify functions
 * (JSON.parse and JSON.stringify by default).
 */
export function jsonCodecs(parseFn: JsonParse = defaultParse, stringifyFn: JsonStringify = defaultStringify): { json: Codec<unknown>; jsonb: Codec<unknown> } {
  return {
    json: {
      oid: Oid.json,
      name: 'json',
      format: 1,
      encode(value: unknown, w: Writer): void {
        w.string(stringify('json', value, stringifyFn));
      },
      decode(buf: Uint8Array, start: number, end: number): unknown {
        return parse('json', buf, start, end, parseFn);
      },
    },
    jsonb: {
      oid: Oid.jsonb,
      name: 'jsonb',
      format: 1,
      encode(value: unknown, w: Writer): void {
        const s = stringify('jsonb', value, stringifyFn);
        w.int8(VERSION);
        w.string(s);
      },
      decode(buf: Uint8Array, start: number, end: number): unknown {
        checkVersion('jsonb', buf, start, end);
        return parse('jsonb', buf, start + 1, end, parseFn);
      },
    },
  };
}

const defaults = jsonCodecs();
/** json <-> the parsed value. */
export const json: Codec<unknown> = defaults.json;
/** jsonb <-> the parsed value. */
export const jsonb: Codec<unknown> = defaults.jsonb;

/** jsonpath <-> string: the path expression as the server prints it ('$."a"[*]?(@ > 1)'). */
export const jsonpath: Codec<string> = {
  oid: Oid.jsonpath,
  name: 'jsonpath',
  format: 1,
  encode(value: unknown, w: Writer): void {
    if (typeof value !== 'string') throw encodeError('jsonpath', 'a JSON path string such as \'$.a[*] ? (@ > 1)\'', value);
    w.int8(VERSION);
    w.string(value);
  },
  decode(buf: Uint8Array, start: number, end: number): string {
    checkVersion('jsonpath', buf, start, end);
    return decodeUtf8(buf, start + 1, end);
  },
};
