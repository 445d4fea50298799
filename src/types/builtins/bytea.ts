/** bytea: the bytes themselves in binary format. */
import { Buffer } from 'node:buffer';
import type { Codec } from '../codec.js';
import { encodeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';

/**
 * bytea <-> Buffer. Decoding copies: the read buffer is reused for the next
 * message (a small value's Buffer may share a pooled ArrayBuffer, as any
 * Buffer.allocUnsafe does: use the Buffer, not its .buffer). Encoding takes
 * a Buffer or Uint8Array, any other typed array or DataView (its bytes as
 * laid out in memory), or an ArrayBuffer.
 */
export const bytea: Codec<Buffer> = {
  oid: Oid.bytea,
  name: 'bytea',
  format: 1,
  encode(value: unknown, w: Writer): void {
    if (value instanceof Uint8Array) w.bytes(value);
    else if (ArrayBuffer.isView(value)) w.bytes(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    else if (value instanceof ArrayBuffer) w.bytes(new Uint8Array(value));
    else throw encodeError('bytea', 'a Buffer, Uint8Array (or other typed array) or ArrayBuffer', value);
  },
  decode(buf: Uint8Array, start: number, end: number): Buffer {
    // allocUnsafe takes small buffers from Node's pool (about 4x faster than
    // copyBytesFrom's own ArrayBuffer per value); every byte is overwritten.
    const out = Buffer.allocUnsafe(end - start);
    out.set(buf.subarray(start, end));
    return out;
  },
};
