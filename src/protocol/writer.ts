/**
 * A growable big-endian byte writer. Messages are written in place: the
 * length word is reserved when a message starts and filled in once when it
 * ends, so no message is ever copied to learn its size.
 */
import { InterfaceError } from '../errors/client.js';

const textEncoder = new TextEncoder();
/** Largest value of a length word: the protocol's Int32. */
const MAX_LENGTH = 0x7fffffff;
/** take() keeps a backing store up to this size and lets a larger one go. */
const KEEP_AFTER_TAKE = 1 << 20;

/** Growable buffer that encodes protocol messages and values. */
export class Writer {
  /** The backing store; valid bytes are [0, length). */
  buf: Uint8Array;
  /** Number of bytes written. */
  length = 0;
  private view: DataView;
  private messageStart = -1;
  /** Where the open message began (its type byte, if any). */
  private messageBegin = -1;
  private readonly initialSize: number;

  constructor(initialSize = 4096) {
    this.initialSize = initialSize;
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    // A zero-sized start would never grow by doubling.
    let size = Math.max(this.buf.length * 2, 64);
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.view.setInt16(this.length, v);
    this.length += 2;
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.length, v);
    this.length += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.view.setInt32(this.length, v);
    this.length += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.length, v);
    this.length += 4;
    return this;
  }

  int64(v: bigint): this {
    this.ensure(8);
    this.view.setBigInt64(this.length, v);
    this.length += 8;
    return this;
  }

  float32(v: number): this {
    this.ensure(4);
    this.view.setFloat32(this.length, v);
    this.length += 4;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.view.setFloat64(this.length, v);
    this.length += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /** UTF-8 text without a terminator. */
  string(s: string): this {
    // Worst case 3 bytes per UTF-16 unit; encodeInto writes in place.
    this.ensure(s.length * 3);
    const r = textEncoder.encodeInto(s, this.buf.subarray(this.length));
    this.length += r.written;
    return this;
  }

  /** UTF-8 text followed by a NUL byte, as the protocol's String type. */
  cstring(s: string): this {
    this.string(s);
    return this.int8(0);
  }

  /** Reserve a 4-byte length at the current position; returns its offset. */
  reserveLength(): number {
    const at = this.length;
    this.ensure(4);
    this.length += 4;
    return at;
  }

  /**
   * Fill a reserved length word with the bytes written after it.
   * @throws InterfaceError when the length does not fit the protocol's Int32.
   */
  patchLength(at: number, includeSelf = true): void {
    const len = this.length - at - (includeSelf ? 0 : 4);
    if (len > MAX_LENGTH) {
      throw new InterfaceError(
        `a length of ${len} bytes does not fit the protocol's Int32 length word; send the data in smaller pieces`,
      );
    }
    this.view.setInt32(at, len);
  }

  /** Write the type byte and reserve the length of a new message. */
  startMessage(type: number): this {
    if (this.messageStart !== -1) throw new InterfaceError('Writer: a message is already open; end or abort it first');
    this.messageBegin = this.length;
    this.int8(type);
    this.messageStart = this.reserveLength();
    return this;
  }

  /** Start a message that has no type byte (StartupMessage, SSLRequest, CancelRequest). */
  startUntyped(): this {
    if (this.messageStart !== -1) throw new InterfaceError('Writer: a message is already open; end or abort it first');
    this.messageBegin = this.length;
    this.messageStart = this.reserveLength();
    return this;
  }

  /**
   * Back-patch the open message's length.
   * @throws InterfaceError when the message is too large for the protocol; the message is then dropped.
   */
  endMessage(): this {
    if (this.messageStart === -1) throw new InterfaceError('Writer: no message is open');
    try {
      this.patchLength(this.messageStart);
    } catch (err) {
      this.abortMessage();
      throw err;
    }
    this.messageStart = -1;
    return this;
  }

  /**
   * Drop the open message, as if it had never been started, so that an
   * encoder that fails half way never leaves a partial message to be sent.
   * Does nothing when no message is open.
   */
  abortMessage(): void {
    if (this.messageStart === -1) return;
    this.length = this.messageBegin;
    this.messageStart = -1;
    this.messageBegin = -1;
  }

  /** A copy of the written bytes. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /** Take the written bytes and start over (keeps the backing store only if small). */
  take(): Uint8Array {
    if (this.messageStart !== -1) throw new InterfaceError('Writer: take() while a message is open; end or abort it first');
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    // One huge message must not pin a huge buffer for the writer's lifetime.
    if (this.buf.length > Math.max(KEEP_AFTER_TAKE, this.initialSize)) {
      this.buf = new Uint8Array(this.initialSize);
      this.view = new DataView(this.buf.buffer);
    }
    return out;
  }

  /** Forget everything written. */
  reset(): void {
    this.length = 0;
    this.messageStart = -1;
    this.messageBegin = -1;
  }
}
