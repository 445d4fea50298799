/** bool: one byte, 1 true and 0 false. */
import type { Codec } from '../codec.js';
import { encodeError, sizeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';

/** bool <-> boolean. Only true and false are accepted: a truthy value is usually a bug. */
export const bool: Codec<boolean> = {
  oid: Oid.bool,
  name: 'bool',
  format: 1,
  encode(value: unknown, w: Writer): void {
    if (typeof value !== 'boolean') throw encodeError('bool', 'a boolean (true or false)', value);
    w.int8(value ? 1 : 0);
  },
  decode(buf: Uint8Array, start: number, end: number): boolean {
    if (end - start !== 1) throw sizeError('bool', '1', end - start);
    return buf[start] !== 0;
  },
};
