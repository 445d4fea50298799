/** Shared helpers for the codec tests: encode to bytes, decode from a buffer with surroundings. */
import { Writer } from '../../../src/protocol/writer.js';
import type { Codec } from '../../../src/types/codec.js';

/** The bytes `codec` writes for `value`. */
export function encode(codec: Codec, value: unknown): Uint8Array {
  const w = new Writer(8);
  codec.encode(value, w);
  return w.toBytes();
}

/** Hex of the bytes `codec` writes for `value`. */
export function encodeHex(codec: Codec, value: unknown): string {
  return Buffer.from(encode(codec, value)).toString('hex');
}

/**
 * Decode `bytes` placed inside a larger buffer with junk on both sides, so a
 * decoder that ignores start or end fails the test.
 */
export function decode<T>(codec: Codec<T>, bytes: Uint8Array | string): T {
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'hex') : bytes;
  const buf = new Uint8Array(b.length + 10).fill(0xa5);
  buf.set(b, 3);
  return codec.decode(buf, 3, 3 + b.length);
}

/** encode then decode. */
export function roundTrip<T>(codec: Codec<T>, value: unknown): T {
  return decode(codec, encode(codec, value));
}
