/**
 * Splits a byte stream into protocol messages, whatever the chunk boundaries.
 *
 * A chunk that holds whole messages is never copied: frames point into it.
 * Only a message that straddles chunks is assembled, in a buffer of its own
 * that grows with the bytes actually received, so a lying length costs the
 * sender as many bytes as it makes the framer hold. Bytes are never
 * overwritten once handed out, so views decoded from a frame (DataRow values,
 * CopyData payloads) stay valid for as long as they are referenced.
 */
import { InterfaceError, ProtocolError } from '../errors/client.js';

/** One complete message: its type byte and its body as `buf[start, end)`. */
export interface Frame {
  /** The type byte; 0 for a message read by `nextUntyped()`. */
  type: number;
  /** The bytes holding the body (the pushed chunk or an assembly buffer). */
  buf: Uint8Array;
  /** Offset of the first body byte, just past the length word. */
  start: number;
  /** Offset one past the last body byte. */
  end: number;
}

/** Options for a Framer. */
export interface FramerOptions {
  /**
   * Largest declared message length accepted (the length word counts itself).
   * Default 1 GiB, PostgreSQL's own ceiling for a single allocation.
   */
  maxMessageSize?: number;
}

/** Default cap on a declared message length: 1 GiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 2 ** 30;

const EMPTY = new Uint8Array(0);
/** Smallest assembly buffer: enough for most straddling messages in one go. */
const MIN_ASSEMBLY = 1024;

/**
 * Turns arbitrary socket chunks into complete messages (Byte1 type, Int32
 * length including itself, body). Call `push()` for each chunk, then `next()`
 * until it returns null.
 */
export class Framer {
  /** Cap on a declared length, in bytes including the length word. */
  readonly maxMessageSize: number;

  // The region being parsed: buf[pos, end).
  private buf: Uint8Array = EMPTY;
  private pos = 0;
  private end = 0;
  /** True while buf is an assembly buffer that this framer allocated. */
  private owned = false;

  // Chunks pushed while the region still held bytes, oldest first.
  private readonly queue: Uint8Array[] = [];
  private qHead = 0;
  /** Bytes of queue[qHead] already consumed by an assembly. */
  private qOff = 0;
  private queuedBytes = 0;

  // Reused for every message: next() mutates and returns it.
  private readonly frame: Frame = { type: 0, buf: EMPTY, start: 0, end: 0 };

  constructor(options?: FramerOptions) {
    const max = options?.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    if (!Number.isSafeInteger(max) || max < 4) {
      throw new InterfaceError(`maxMessageSize must be an integer of at least 4 bytes, got ${String(max)}`);
    }
    this.maxMessageSize = max;
  }

  /**
   * Hand the framer the next chunk from the socket. The framer keeps a
   * reference to it rather than a copy, so the caller must not modify it.
   */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.pos === this.end && this.queuedBytes === 0) {
      this.buf = chunk;
      this.pos = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
  }

  /**
   * The next complete typed message, or null when more bytes are needed.
   * The same Frame object is returned each time with new fields; the bytes
   * it points at are never overwritten by the framer.
   * @throws ProtocolError when a declared length is below 4 or above the cap.
   */
  next(): Frame | null {
    return this.read(5);
  }

  /**
   * The next message without a type byte (Int32 length, then body), as the
   * first message a server reads: StartupMessage, SSLRequest, GSSENCRequest
   * or CancelRequest. The frame's type is 0.
   * @throws ProtocolError when a declared length is below 4 or above the cap.
   */
  nextUntyped(): Frame | null {
    return this.read(4);
  }

  /**
   * One raw byte outside any message, or -1 when none is buffered: the
   * server's single-byte answer ('S', 'N', or 'G') to SSLRequest or GSSENCRequest.
   */
  nextByte(): number {
    for (;;) {
      if (this.pos < this.end) return this.buf[this.pos++]!;
      if (!this.shiftQueue()) return -1;
    }
  }

  /** Bytes received but not yet returned in a frame. */
  bufferedBytes(): number {
    return this.end - this.pos + this.queuedBytes;
  }

  private read(headerSize: number): Frame | null {
    for (;;) {
      const buf = this.buf;
      const pos = this.pos;
      const avail = this.end - pos;
      if (avail >= headerSize) {
        const total = this.messageTotal(buf, pos, headerSize);
        if (avail >= total) {
          const frame = this.frame;
          frame.type = headerSize === 5 ? buf[pos]! : 0;
          frame.buf = buf;
          frame.start = pos + headerSize;
          frame.end = pos + total;
          this.pos = pos + total;
          return frame;
        }
      }
      if (this.queuedBytes === 0) return null;
      if (avail === 0) {
        this.shiftQueue();
      } else {
        this.assemble(headerSize);
      }
    }
  }

  /** Header size plus body size of the message at `pos`, after checking its declared length. */
  private messageTotal(buf: Uint8Array, pos: number, headerSize: number): number {
    const at = pos + headerSize - 4;
    // `|` yields a signed Int32, so a high bit set reads as negative.
    const length = (buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!;
    if (length < 4 || length > this.maxMessageSize) {
      throw this.lengthError(headerSize === 5 ? buf[pos]! : -1, length);
    }
    return headerSize - 4 + length;
  }

  private lengthError(type: number, length: number): ProtocolError {
    const hex = '0x' + type.toString(16).padStart(2, '0');
    const what =
      type < 0
        ? 'untyped message'
        : type >= 0x20 && type < 0x7f
          ? `message of type '${String.fromCharCode(type)}' (${hex})`
          : `message of type ${hex}`;
    const why =
      length < 4
        ? 'a length counts its own 4 bytes, so it is at least 4'
        : `the limit is ${this.maxMessageSize} bytes (raise maxMessageSize if the server really sends messages this large)`;
    return new ProtocolError(
      `${what} declares length ${length}; ${why}. The stream is out of step with the peer and the connection must be closed.`,
    );
  }

  /** Make the oldest queued chunk the region (after any bytes an assembly took). */
  private shiftQueue(): boolean {
    if (this.qHead >= this.queue.length) return false;
    const chunk = this.queue[this.qHead]!;
    this.queue[this.qHead] = EMPTY;
    this.qHead++;
    this.buf = chunk;
    this.pos = this.qOff;
    this.end = chunk.length;
    this.owned = false;
    this.queuedBytes -= chunk.length - this.qOff;
    this.qOff = 0;
    if (this.qHead === this.queue.length) {
      this.queue.length = 0;
      this.qHead = 0;
    }
    return true;
  }

  /**
   * Complete the partial message in the region with bytes from the queue,
   * copying exactly the bytes that belong to it. Stops early when the queue
   * runs dry; the region then holds the longer partial message.
   */
  private assemble(headerSize: number): void {
    // First the header, so the total length is known before sizing the buffer.
    if (this.end - this.pos < headerSize) {
      // The total is unknown yet: start at the minimum assembly size.
      this.fill(headerSize, Infinity);
      if (this.end - this.pos < headerSize) return;
    }
    const total = this.messageTotal(this.buf, this.pos, headerSize);
    this.fill(total, total);
  }

  /** Move queued bytes into the region until it holds `target` bytes. */
  private fill(target: number, limit: number): void {
    const have = this.end - this.pos;
    const want = Math.min(target, have + this.queuedBytes);
    if (want <= have) return;
    this.reserve(want, limit);
    const dst = this.buf;
    let end = this.end;
    let need = want - have;
    while (need > 0) {
      const chunk = this.queue[this.qHead]!;
      const n = Math.min(need, chunk.length - this.qOff);
      dst.set(chunk.subarray(this.qOff, this.qOff + n), end);
      end += n;
      need -= n;
      this.qOff += n;
      this.queuedBytes -= n;
      if (this.qOff === chunk.length) {
        this.queue[this.qHead] = EMPTY;
        this.qHead++;
        this.qOff = 0;
      }
    }
    if (this.qHead === this.queue.length) {
      this.queue.length = 0;
      this.qHead = 0;
    }
    this.end = end;
  }

  /**
   * Make the region an owned buffer with room for `want` bytes from `pos`.
   * Grows by doubling, capped at `limit` (the message's total size once known),
   * so assembling a large message costs amortised linear copying.
   */
  private reserve(want: number, limit: number): void {
    const have = this.end - this.pos;
    if (this.owned && this.pos + want <= this.buf.length) return;
    const previous = this.owned ? this.buf.length : 0;
    const size = Math.max(want, Math.min(limit, Math.max(previous * 2, MIN_ASSEMBLY)));
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(this.pos, this.end));
    this.buf = next;
    this.pos = 0;
    this.end = have;
    this.owned = true;
  }
}
