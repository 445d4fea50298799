/**
 * A growable big-endian byte writer. Messages are written in place: the
 * length word is reserved when a message starts and filled in once when it
 * ends, so no message is ever copied to learn its size.
 */

const textEncoder = new TextEncoder();

/** Growable buffer that encodes protocol messages and values. */
export class Writer {
  /** The backing store; valid bytes are [0, length). */
  buf: Uint8Array;
  /** Number of bytes written. */
  length = 0;
  private view: DataView;
  private messageStart = -1;

  constructor(initialSize = 4096) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
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

  /** Fill a reserved length word with the bytes written after it. */
  patchLength(at: number, includeSelf = true): void {
    const len = this.length - at - (includeSelf ? 0 : 4);
    this.view.setInt32(at, len);
  }

  /** Write the type byte and reserve the length of a new message. */
  startMessage(type: number): this {
    if (this.messageStart !== -1) throw new Error('Writer: message already open');
    this.int8(type);
    this.messageStart = this.reserveLength();
    return this;
  }

  /** Start a message that has no type byte (StartupMessage, SSLRequest, CancelRequest). */
  startUntyped(): this {
    if (this.messageStart !== -1) throw new Error('Writer: message already open');
    this.messageStart = this.reserveLength();
    return this;
  }

  /** Back-patch the open message's length. */
  endMessage(): this {
    if (this.messageStart === -1) throw new Error('Writer: no message open');
    this.patchLength(this.messageStart);
    this.messageStart = -1;
    return this;
  }

  /** A copy of the written bytes. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /** Take the written bytes and start over (keeps the backing store only if small). */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    return out;
  }

  /** Forget everything written. */
  reset(): void {
    this.length = 0;
    this.messageStart = -1;
  }
}
