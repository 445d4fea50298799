/**
 * A bounds-checked big-endian reader over one message body. Every read checks
 * the bytes that remain: a lying length from the wire becomes a ProtocolError,
 * never an out-of-range read or a crash.
 */
import { ProtocolError } from '../errors/client.js';

const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** Reads protocol fields from `buf[pos, end)`. */
export class Reader {
  pos: number;
  readonly end: number;
  readonly buf: Uint8Array;
  private readonly view: DataView;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    if (start < 0 || end > buf.length || start > end) {
      throw new ProtocolError(`Reader: range [${start}, ${end}) outside buffer of ${buf.length} bytes`);
    }
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Bytes left to read. */
  remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new ProtocolError(`message truncated: needed ${n} byte(s) for ${what}, ${this.end - this.pos} remain`);
    }
  }

  uint8(): number {
    this.need(1, 'Byte1');
    return this.buf[this.pos++]!;
  }

  int16(): number {
    this.need(2, 'Int16');
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.need(2, 'Int16');
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4, 'Int32');
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4, 'Int32');
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    this.need(8, 'Int64');
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }

  float32(): number {
    this.need(4, 'Float4');
    const v = this.view.getFloat32(this.pos);
    this.pos += 4;
    return v;
  }

  float64(): number {
    this.need(8, 'Float8');
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  /** A view (not a copy) of the next `n` bytes. */
  bytes(n: number): Uint8Array {
    this.need(n, 'Byte' + n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** The rest of the message as a view. */
  rest(): Uint8Array {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }

  /** `n` bytes decoded as UTF-8. */
  string(n: number): string {
    return textDecoder.decode(this.bytes(n));
  }

  /** A NUL-terminated UTF-8 string (the protocol's String type). */
  cstring(): string {
    const nul = this.buf.indexOf(0, this.pos);
    if (nul === -1 || nul >= this.end) {
      throw new ProtocolError('message truncated: String without its NUL terminator');
    }
    const s = textDecoder.decode(this.buf.subarray(this.pos, nul));
    this.pos = nul + 1;
    return s;
  }

  /** Throw unless every byte was consumed. */
  expectEnd(what: string): void {
    if (this.pos !== this.end) {
      throw new ProtocolError(`${what}: ${this.end - this.pos} unexpected trailing byte(s)`);
    }
  }
}
