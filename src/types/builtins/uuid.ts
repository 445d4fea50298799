/** uuid: 16 bytes in binary format; a lowercase canonical string in JavaScript. */
import type { Codec } from '../codec.js';
import { encodeError, sizeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';

/** Char codes of the lowercase hex digits. */
const HEX_CHARS: Readonly<Uint8Array> = new TextEncoder().encode('0123456789abcdef');
const HYPHEN = 0x2d;

/** Char code of the high hex digit of byte b. */
function hi(b: number): number {
  return HEX_CHARS[b >> 4]!;
}

/** Char code of the low hex digit of byte b. */
function lo(b: number): number {
  return HEX_CHARS[b & 15]!;
}

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Value of one hex digit's char code (the string is validated first). */
function hexValue(c: number): number {
  return c <= 57 ? c - 48 : (c | 0x20) - 87;
}

/**
 * uuid <-> string such as 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'. Encoding
 * takes the canonical 8-4-4-4-12 form in either case, or 16 bytes; other
 * spellings the server would parse (braces, no hyphens) are rejected so that
 * a value compares equal to what it reads back as.
 */
export const uuid: Codec<string> = {
  oid: Oid.uuid,
  name: 'uuid',
  format: 1,
  encode(value: unknown, w: Writer): void {
    if (typeof value === 'string' && CANONICAL.test(value)) {
      w.ensure(16);
      for (let i = 0; i < 36; i += 2) {
        if (i === 8 || i === 13 || i === 18 || i === 23) i++;
        w.int8((hexValue(value.charCodeAt(i)) << 4) | hexValue(value.charCodeAt(i + 1)));
      }
      return;
    }
    if (value instanceof Uint8Array && value.length === 16) {
      w.bytes(value);
      return;
    }
    throw encodeError('uuid', "a string in the form 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx' (hex digits) or 16 bytes", value);
  },
  decode(buf: Uint8Array, start: number, end: number): string {
    if (end - start !== 16) throw sizeError('uuid', '16', end - start);
    // One fromCharCode call builds a flat string; concatenating 20 pieces costs ~2x and leaves a rope.
    const b0 = buf[start]!, b1 = buf[start + 1]!, b2 = buf[start + 2]!, b3 = buf[start + 3]!;
    const b4 = buf[start + 4]!, b5 = buf[start + 5]!, b6 = buf[start + 6]!, b7 = buf[start + 7]!;
    const b8 = buf[start + 8]!, b9 = buf[start + 9]!, b10 = buf[start + 10]!, b11 = buf[start + 11]!;
    const b12 = buf[start + 12]!, b13 = buf[start + 13]!, b14 = buf[start + 14]!, b15 = buf[start + 15]!;
    return String.fromCharCode(
      hi(b0), lo(b0), hi(b1), lo(b1), hi(b2), lo(b2), hi(b3), lo(b3), HYPHEN,
      hi(b4), lo(b4), hi(b5), lo(b5), HYPHEN,
      hi(b6), lo(b6), hi(b7), lo(b7), HYPHEN,
      hi(b8), lo(b8), hi(b9), lo(b9), HYPHEN,
      hi(b10), lo(b10), hi(b11), lo(b11), hi(b12), lo(b12), hi(b13), lo(b13), hi(b14), lo(b14), hi(b15), lo(b15),
    );
  },
};
