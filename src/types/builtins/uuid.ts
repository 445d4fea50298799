/** uuid: 16 bytes in binary format; a lowercase canonical string in JavaScript. */
import type { Codec } from '../codec.js';
import { encodeError, sizeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';

/** Two lowercase hex digits for every byte value. */
const HEX: readonly string[] = Object.freeze(Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')));
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
    const b = start;
    return (
      HEX[buf[b]!]! + HEX[buf[b + 1]!]! + HEX[buf[b + 2]!]! + HEX[buf[b + 3]!]! + '-' +
      HEX[buf[b + 4]!]! + HEX[buf[b + 5]!]! + '-' +
      HEX[buf[b + 6]!]! + HEX[buf[b + 7]!]! + '-' +
      HEX[buf[b + 8]!]! + HEX[buf[b + 9]!]! + '-' +
      HEX[buf[b + 10]!]! + HEX[buf[b + 11]!]! + HEX[buf[b + 12]!]! + HEX[buf[b + 13]!]! + HEX[buf[b + 14]!]! + HEX[buf[b + 15]!]!
    );
  },
};
