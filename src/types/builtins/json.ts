/**
 * json and jsonb. json's binary form is its text; jsonb's is a version byte
 * (1) followed by the text. A parameter is always JSON-encoded, so a JS string
 * becomes a JSON string: pass JSON.parse(text) to send a document you hold as
 * text. Numbers past 2^53 lose precision in JSON.parse, as anywhere in JS.
 */
import { ProtocolError } from '../../errors/client.js';
import type { Codec } from '../codec.js';
import { encodeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';
import { decodeUtf8 } from './text.js';

const JSONB_VERSION = 1;
const EXPECTED = 'a value JSON.stringify can encode (not undefined, a function, a symbol, a bigint or a cyclic object)';

/** JSON text of a parameter, with JSON.stringify's failures turned into InterfaceErrors. */
function stringify(name: string, value: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(value);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const e = encodeError(name, EXPECTED, value);
    e.message += ` (JSON.stringify: ${reason})`;
    throw e;
  }
  // undefined, functions and symbols have no JSON form: stringify returns undefined.
  if (s === undefined) throw encodeError(name, EXPECTED, value);
  return s;
}

/** Parse JSON text from the server. */
function parse(name: string, buf: Uint8Array, start: number, end: number): unknown {
  const s = decodeUtf8(buf, start, end);
  try {
    return JSON.parse(s) as unknown;
  } catch (err) {
    throw new ProtocolError(`${name} value from the server is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** json <-> the parsed value. */
export const json: Codec<unknown> = {
  oid: Oid.json,
  name: 'json',
  format: 1,
  encode(value: unknown, w: Writer): void {
    w.string(stringify('json', value));
  },
  decode(buf: Uint8Array, start: number, end: number): unknown {
    return parse('json', buf, start, end);
  },
};

/** jsonb <-> the parsed value. */
export const jsonb: Codec<unknown> = {
  oid: Oid.jsonb,
  name: 'jsonb',
  format: 1,
  encode(value: unknown, w: Writer): void {
    const s = stringify('jsonb', value);
    w.int8(JSONB_VERSION);
    w.string(s);
  },
  decode(buf: Uint8Array, start: number, end: number): unknown {
    if (end - start < 1 || buf[start] !== JSONB_VERSION) {
      const got = end - start < 1 ? 'no version byte' : `version ${buf[start]}`;
      throw new ProtocolError(`jsonb value from the server has ${got}; this client reads jsonb version ${JSONB_VERSION}`);
    }
    return parse('jsonb', buf, start + 1, end);
  },
};
