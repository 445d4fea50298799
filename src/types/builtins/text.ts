/**
 * The character types: text, varchar, bpchar, name, xml, unknown (binary is
 * the UTF-8 bytes, as client_encoding is UTF8) and the one-byte "char".
 */
import { Buffer } from 'node:buffer';
import type { Codec } from '../codec.js';
import { encodeError, sizeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';
import { toText } from '../text.js';

// ignoreBOM keeps a leading U+FEFF: it is part of the stored value.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
/**
 * Buffer's own UTF-8 slice works on any Uint8Array without the view that
 * TextDecoder needs (subarray), about twice as fast per value; it keeps a BOM
 * and replaces invalid bytes exactly as the TextDecoder above does. The
 * TextDecoder stays as the fallback should a Node release drop the method.
 */
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice?: (this: Uint8Array, start: number, end: number) => string }).utf8Slice;
const sliceUtf8: (buf: Uint8Array, start: number, end: number) => string =
  typeof utf8Slice === 'function' ? (buf, start, end) => utf8Slice.call(buf, start, end) : (buf, start, end) => utf8.decode(buf.subarray(start, end));
/**
 * Up to this many bytes, building the string one char code at a time beats
 * the native decoders (measured on Node 20: ~4x at 8 bytes, even at ~14).
 */
const SHORT_ASCII = 12;

/** UTF-8 bytes buf[start, end) as a string. */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= SHORT_ASCII) {
    let out = '';
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c > 0x7f) return sliceUtf8(buf, start, end);
      out += String.fromCharCode(c);
    }
    return out;
  }
  return sliceUtf8(buf, start, end);
}

/**
 * Write a string parameter's UTF-8 bytes. PostgreSQL text cannot hold NUL, so
 * it is rejected here with a message that names it instead of as an encoding
 * error from the server.
 */
function encodeText(name: string, value: unknown, w: Writer): void {
  let s: string;
  if (typeof value === 'string') s = value;
  else if (typeof value === 'number' || typeof value === 'bigint') s = String(value);
  else throw encodeError(name, 'a string (or a number or bigint, written in decimal)', value);
  if (s.includes('\0')) throw encodeError(name, 'a string without NUL characters (U+0000), which PostgreSQL text cannot store', value);
  w.string(s);
}

/** A codec for a type whose binary form is its UTF-8 text. */
function textCodec(oid: number, name: string): Codec<string> {
  return {
    oid,
    name,
    format: 1,
    encode(value: unknown, w: Writer): void {
      encodeText(name, value, w);
    },
    decode: decodeUtf8,
  };
}

/** text <-> string. */
export const text: Codec<string> = textCodec(Oid.text, 'text');
/** varchar <-> string. */
export const varchar: Codec<string> = textCodec(Oid.varchar, 'varchar');
/** bpchar (char(n)) <-> string, with the padding spaces the server sends. */
export const bpchar: Codec<string> = textCodec(Oid.bpchar, 'bpchar');
/** name <-> string (the server rejects names of 64 bytes or more). */
export const name: Codec<string> = textCodec(Oid.name, 'name');
/** xml <-> string (the server checks the document). */
export const xml: Codec<string> = textCodec(Oid.xml, 'xml');
/** unknown <-> string: the type of an untyped literal such as `SELECT 'a'`. */
export const unknown: Codec<string> = textCodec(Oid.unknown, 'unknown');

/** The "char" form of a byte: itself for ASCII, '' for 0, a backslash and three octal digits past 127 as charout prints it. */
function charToString(b: number): string {
  if (b === 0) return '';
  if (b < 0x80) return String.fromCharCode(b);
  return '\\' + b.toString(8).padStart(3, '0');
}

const OCTAL_CHAR = /^\\[23][0-7]{2}$/;

/**
 * "char" <-> string: the single-byte internal type (pg_type.typcategory and
 * friends), not char(n). A byte past 127 reads as '\\ooo', the way the server
 * prints it, so the value round-trips; '' stands for the zero byte.
 */
export const char: Codec<string> = {
  oid: Oid.char,
  name: 'char',
  format: 1,
  encode(value: unknown, w: Writer): void {
    if (typeof value === 'string') {
      if (value.length === 0) return void w.int8(0);
      if (value.length === 1 && value.charCodeAt(0) < 0x80) return void w.int8(value.charCodeAt(0));
      if (OCTAL_CHAR.test(value)) return void w.int8(parseInt(value.slice(1), 8));
    }
    throw encodeError('char', "a one-character ASCII string, '' or a byte past 127 as '\\\\ooo' (octal)", value);
  },
  decode(buf: Uint8Array, start: number, end: number): string {
    if (end - start === 0) return '';
    if (end - start !== 1) throw sizeError('char', '1', end - start);
    return charToString(buf[start]!);
  },
};

/**
 * A codec for a type read and written in text format: a value reads as the
 * server's text output; a parameter is written as toText() gives it (a string
 * as is). For types with no binary codec: money, tsvector, the reg* types,
 * and types from extensions pgjet does not know.
 */
export function textFormatCodec(oid: number, name: string): Codec<string> {
  return {
    oid,
    name,
    format: 0,
    encode(value: unknown, w: Writer): void {
      let s: string;
      try {
        s = toText(value);
      } catch (err) {
        throw encodeError(name, `a string the server's ${name} input accepts (${(err as Error).message})`, value);
      }
      if (s.includes('\0')) throw encodeError(name, 'a value without NUL characters (U+0000)', value);
      w.string(s);
    },
    decode: decodeUtf8,
  };
}

/** A binary codec for a type whose binary form is its UTF-8 text (enum labels, citext ...), under that type's OID and name. */
export function utf8Codec(oid: number, name: string): Codec<string> {
  return textCodec(oid, name);
}
