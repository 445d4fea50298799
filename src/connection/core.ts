/**
 * The pipeline under every Connection: the socket, the framer, the FIFO of
 * pending requests, coalesced writes and cancellation. The read loop only
 * routes: ReadyForQuery finishes the head request, NoticeResponse,
 * NotificationResponse and ParameterStatus are handled out of band, and
 * everything else goes to the head request.
 */
import type net from 'node:net';
import { AbortError, ConnectionError, PgjetError, ProtocolError, TimeoutError } from '../errors/client.js';
import { logMessageFromFields, postgresErrorFromFields } from '../errors/postgres-error.js';
import type { PostgresLogMessage } from '../errors/postgres-error.js';
import { decodeBackend } from '../protocol/backend.js';
import { Framer } from '../protocol/framer.js';
import { BackendCode } from '../protocol/messages.js';
import type { TransactionStatus } from '../protocol/messages.js';
import { Writer } from '../protocol/writer.js';
import { sendCancelRequest } from './cancel.js';
import type { CancelSocketOpener } from './cancel.js';
import type { PendingRequest } from './requests.js';
import { StateMachine } from './state.js';

/** A NotificationResponse as delivered to listeners. */
export interface Notification {
  processId: number;
  channel: string;
  payload: string;
}

/** Hooks the owner of a core receives. */
export interface CoreEvents {
  notice(msg: PostgresLogMessage): void;
  notification(n: Notification): void;
  closed(err: Error | undefined): void;
}

/** Tracks one call that may be cancelled by a timeout or an AbortSignal. */
export class CallControl {
  /** The request of this call currently in the FIFO, if any. */
  request: PendingRequest | undefined;
  /** Set once the call was answered by a timeout or abort. */
  cancelled = false;
  /**
   * Called with the timeout or abort error when the call is answered that
   * way. A COPY FROM STDIN sets it and answers with CopyFail instead of a
   * cancel request (a backend waiting for COPY data does not act on one).
   */
  onCancel: ((err: Error) => void) | undefined = undefined;
}

/** A COPY stream's writes go to the socket once this many bytes are waiting, and wait for it to drain beyond. */
const COPY_FLUSH_BYTES = 256 * 1024;

/** How long to wait for a cancelled query's ReadyForQuery before giving up on the connection. */
const CANCEL_GRACE_MS = 5000;

/** The socket-level pipeline. One per connection. */
export class ConnectionCore {
  readonly state = new StateMachine();
  txStatus: TransactionStatus = 'I';
  readonly parameters = new Map<string, string>();
  processId = 0;
  secretKey: Uint8Array = new Uint8Array(0);
  /** Set when the connection died; every later call fails with it. */
  closedError: Error | undefined;
  /** Where CancelRequest goes: the address the connection used (hostaddr when given). */
  cancelHost: string;
  /** Opens the cancel connection with the main connection's TLS settings; plain TCP when unset. */
  cancelSocket: CancelSocketOpener | undefined;

  private readonly framer: Framer;
  private readonly queue: (PendingRequest | undefined)[] = [];
  private head = 0;
  private readonly out = new Writer(16384);
  private flushScheduled = false;
  /** While > 0 nothing is written: a cancel is in progress (see startCancel). */
  private holds = 0;
  /** Messages the head request has received since the last ReadyForQuery. */
  private headAnswers = 0;
  /** Terminate was sent: nothing more may be written. */
  private ended = false;
  private readonly pendingCancels = new Set<PendingRequest>();
  private readonly rfqWaiters = new Map<PendingRequest, () => void>();
  private readonly closeWaiters: (() => void)[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  /**
   * The request streaming COPY data to the server. While it runs, the bytes
   * of every request enqueued after it wait in `held` (the server would take
   * them for part of the COPY); they go out after its ReadyForQuery.
   */
  private barrier: PendingRequest | undefined;
  private readonly held: { bytes: Uint8Array; exclusive: PendingRequest | undefined }[] = [];
  private readonly writableWaiters: (() => void)[] = [];

  constructor(
    private readonly socket: net.Socket,
    readonly host: string,
    readonly port: number,
    readonly database: string,
    readonly user: string,
    private readonly events: CoreEvents,
    maxMessageSize: number,
  ) {
    this.framer = new Framer({ maxMessageSize });
    this.cancelHost = host;
    socket.on('data', this.onData);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onSocketClose);
    socket.on('drain', this.notifyWritable);
    socket.on('drain', this.wakeWritable);
    socket.resume();
  }

  // ------------------------------------------------------------ writing

  /** Number of requests waiting for their ReadyForQuery. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** The request whose answer comes next, if any (read-only: for batching decisions). */
  get current(): PendingRequest | undefined {
    return this.queue[this.head];
  }

  /**
   * Write a request's messages and append it to the FIFO, in that order and
   * synchronously, so FIFO order is wire order. If `write` throws, nothing
   * of this request is kept and the error propagates.
   */
  enqueue(req: PendingRequest, write: (w: Writer) => void, exclusive = false): void {
    this.assertUsable();
    if (this.barrier !== undefined) {
      const w = new Writer(256);
      write(w);
      this.held.push({ bytes: w.take(), exclusive: exclusive ? req : undefined });
      this.queue.push(req);
      return;
    }
    const mark = this.out.length;
    try {
      write(this.out);
    } catch (e) {
      this.out.length = mark;
      throw e;
    }
    this.queue.push(req);
    if (exclusive) this.barrier = req;
    this.scheduleFlush();
  }

  /** Write messages that belong to no request (Close without Sync, Terminate). */
  writeRaw(write: (w: Writer) => void): void {
    if (this.state.state === 'closed') return;
    if (this.barrier !== undefined) {
      const w = new Writer(64);
      write(w);
      this.held.push({ bytes: w.take(), exclusive: undefined });
      return;
    }
    write(this.out);
    this.scheduleFlush();
  }

  /** Write now, bypassing coalescing (used during startup). */
  writeNow(write: (w: Writer) => void): void {
    if (this.state.state === 'closed') return;
    write(this.out);
    this.flush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // One socket write per turn of the event loop: everything queued by
    // synchronous code and its microtasks goes out together.
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.holds > 0 || this.out.length === 0 || this.state.state === 'closed' || this.ended) return;
    this.socket.write(this.out.take());
    if (this.writableWaiters.length > 0) this.wakeWritable();
  };

  /**
   * True when the pipeline is full: too many calls await their answers, or
   * the socket has not taken what was already written. Callers then wait
   * for onWritable before sending more, so a burst of calls cannot grow
   * memory without bound.
   */
  get congested(): boolean {
    // A dead connection is never congested: waiting calls must run, and fail at once.
    if (this.state.state === 'closed') return false;
    return this.pending >= this.maxPending || this.socket.writableLength + this.out.length > this.maxBufferedBytes;
  }

  /** Called when a congested pipeline has room again. */
  onWritable: (() => void) | undefined;
  /** Most calls in flight at once. */
  maxPending = 4096;
  /** Most bytes written but not yet taken by the socket. */
  maxBufferedBytes = 8 * 1024 * 1024;

  private readonly notifyWritable = (): void => {
    if (this.onWritable !== undefined && !this.congested) this.onWritable();
  };

  // ------------------------------------------------------------ COPY streaming

  /**
   * Write COPY data (CopyData, CopyDone, CopyFail, the closing Sync) for the
   * request enqueued with `exclusive`. Large amounts go out at once rather
   * than at the end of the event loop turn.
   */
  writeExclusive(req: PendingRequest, write: (w: Writer) => void): void {
    if (this.state.state === 'closed' || this.ended) return;
    if (req !== this.barrier) throw new ProtocolError('COPY data written for a request that is not streaming');
    write(this.out);
    if (this.out.length >= COPY_FLUSH_BYTES) this.flush();
    else this.scheduleFlush();
  }

  /** True while the socket (or a held cancel) has more unsent bytes than a COPY source should add to. */
  get writeBlocked(): boolean {
    if (this.state.state === 'closed') return false;
    return this.holds > 0 || this.socket.writableNeedDrain || this.out.length >= COPY_FLUSH_BYTES;
  }

  /** Resolves when `writeBlocked` is false again (or the connection is gone). */
  waitWritable(): Promise<void> {
    if (!this.writeBlocked) return Promise.resolve();
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  private readonly wakeWritable = (): void => {
    if (this.writeBlocked) return;
    for (const w of this.writableWaiters.splice(0)) w();
  };

  /** Stop reading from the socket: a COPY TO STDOUT consumer is behind. */
  pauseReading(): void {
    if (this.state.state !== 'closed') this.socket.pause();
  }

  /** Read from the socket again. */
  resumeReading(): void {
    if (this.state.state !== 'closed') this.socket.resume();
  }

  /** The streaming request finished: send what waited behind it, up to the next one that streams. */
  private releaseBarrier(): void {
    this.barrier = undefined;
    let n = 0;
    while (n < this.held.length) {
      const h = this.held[n++]!;
      this.out.bytes(h.bytes);
      if (h.exclusive !== undefined) {
        this.barrier = h.exclusive;
        break;
      }
    }
    this.held.splice(0, n);
    if (n > 0) this.scheduleFlush();
  }

  private assertUsable(): void {
    if (this.closedError) throw this.closedError;
    if (this.ended) throw new ConnectionError('the connection is closed', { target: this.target() });
    if (this.state.state === 'closed') throw new ConnectionError('the connection is closed', { target: this.target() });
  }

  target() {
    return { host: this.host, port: this.port, database: this.database, user: this.user };
  }

  // ------------------------------------------------------------ reading

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.framer.push(chunk);
      for (let f = this.framer.next(); f !== null; f = this.framer.next()) {
        this.route(f.type, f.buf, f.start, f.end);
      }
    } catch (e) {
      const err = e instanceof PgjetError ? e : new ProtocolError(`failed to process a message from the server: ${String(e)}`, { cause: e });
      this.destroy(err);
    }
  };

  private route(type: number, buf: Uint8Array, start: number, end: number): void {
    switch (type) {
      case BackendCode.ReadyForQuery: {
        const req = this.queue[this.head];
        if (req === undefined) throw new ProtocolError('ReadyForQuery arrived with no request pending');
        // Every request gets at least one answer (a ParseComplete, BindComplete,
        // CommandComplete or ErrorResponse ...) before its ReadyForQuery; a bare
        // one is an extra ReadyForQuery that would shift every answer by one.
        if (this.headAnswers === 0) throw new ProtocolError('ReadyForQuery arrived before any answer to the pending request');
        this.headAnswers = 0;
        this.queue[this.head++] = undefined;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
        const s = buf[start];
        this.txStatus = s === 0x54 ? 'T' : s === 0x45 ? 'E' : 'I';
        req.statusAtReady = this.txStatus;
        req.onReadyForQuery();
        if (req === this.barrier) this.releaseBarrier();
        const waiter = this.rfqWaiters.get(req);
        if (waiter) {
          this.rfqWaiters.delete(req);
          waiter();
        }
        const next = this.queue[this.head];
        if (next !== undefined && this.pendingCancels.has(next) && !next.serverDone) {
          this.pendingCancels.delete(next);
          this.startCancel(next);
        }
        if (this.pending === 0) {
          for (const w of this.drainWaiters.splice(0)) w();
        }
        if (this.pending === this.maxPending - 1) this.notifyWritable();
        return;
      }
      case BackendCode.NoticeResponse: {
        const m = decodeBackend(type, buf, start, end);
        if (m.type === 'NoticeResponse') this.events.notice(logMessageFromFields(m.fields));
        return;
      }
      case BackendCode.NotificationResponse: {
        const m = decodeBackend(type, buf, start, end);
        if (m.type === 'NotificationResponse') {
          this.events.notification({ processId: m.processId, channel: m.channel, payload: m.payload });
        }
        return;
      }
      case BackendCode.ParameterStatus: {
        const m = decodeBackend(type, buf, start, end);
        if (m.type === 'ParameterStatus') this.parameters.set(m.name, m.value);
        return;
      }
      default: {
        const req = this.queue[this.head];
        if (req === undefined) {
          if (type === BackendCode.ErrorResponse) {
            // A FATAL error while idle: the server is about to close the
            // connection (administrator command, idle timeout ...).
            const m = decodeBackend(type, buf, start, end);
            if (m.type === 'ErrorResponse') {
              const err = postgresErrorFromFields(m.fields);
              this.closedError = new ConnectionError(
                `the server closed the connection to ${this.host}:${this.port}: ${err.message}`,
                { cause: err, target: this.target() },
              );
            }
            return;
          }
          throw new ProtocolError(`unexpected message '${String.fromCharCode(type)}' from the server with no request pending`);
        }
        if (type === BackendCode.ErrorResponse) this.noteFatal(buf, start, end);
        this.headAnswers++;
        req.onMessage(type, buf, start, end);
      }
    }
  }

  /**
   * A FATAL or PANIC error ends the session: keep the server's reason so
   * every call that fails with the socket's close can say why.
   */
  private noteFatal(buf: Uint8Array, start: number, end: number): void {
    const m = decodeBackend(BackendCode.ErrorResponse, buf, start, end);
    if (m.type !== 'ErrorResponse') return;
    const severity = m.fields['V'] ?? m.fields['S'];
    if (severity !== 'FATAL' && severity !== 'PANIC') return;
    // During startup the startup request reports the error itself, with advice.
    if (this.state.state === 'startup') return;
    const err = postgresErrorFromFields(m.fields);
    this.closedError ??= new ConnectionError(`the server closed the connection to ${this.host}:${this.port}: ${err.message}`, {
      cause: err,
      target: this.target(),
    });
  }

  // ------------------------------------------------------------ cancellation

  /**
   * Ask the server to cancel `req`. If earlier requests are still running,
   * the cancel waits until `req` is the one the server is executing, so it
   * never interrupts somebody else's query.
   */
  cancel(req: PendingRequest): void {
    if (this.state.state === 'closed') return;
    const idx = this.queue.indexOf(req, this.head);
    if (idx === -1) return; // already answered
    // Its result is complete on the server; a cancel now could only hit the next call.
    if (req.serverDone) return;
    if (idx === this.head) this.startCancel(req);
    else this.pendingCancels.add(req);
  }

  /**
   * Hold every write until both the cancelled request's ReadyForQuery and
   * the cancel socket's close have been seen: then the signal has been
   * delivered and can no longer hit a query sent afterwards.
   */
  private startCancel(req: PendingRequest): void {
    this.holds++;
    let rfqSeen = false;
    let cancelClosed = false;
    let released = false;
    let grace: NodeJS.Timeout | undefined;
    const release = () => {
      if (released || !rfqSeen || !cancelClosed) return;
      released = true;
      if (grace) clearTimeout(grace);
      this.holds--;
      this.scheduleFlush();
    };
    this.rfqWaiters.set(req, () => {
      rfqSeen = true;
      release();
    });
    void sendCancelRequest(this.cancelHost, this.port, this.processId, this.secretKey, CANCEL_GRACE_MS, this.cancelSocket).then((r) => {
      cancelClosed = true;
      if (!r.ok && !rfqSeen) {
        this.destroy(new ConnectionError(
          `a query was cancelled but the cancel request to ${this.host}:${this.port} failed (${r.error?.message ?? 'unknown'}); ` +
            'the connection was closed because it may be out of step with the server',
          { target: this.target(), cause: r.error },
        ));
        return;
      }
      if (!rfqSeen) {
        grace = setTimeout(() => {
          this.destroy(new ConnectionError(
            `a cancelled query on ${this.host}:${this.port} did not finish within ${CANCEL_GRACE_MS} ms of the cancel request; the connection was closed`,
            { target: this.target() },
          ));
        }, CANCEL_GRACE_MS);
        grace.unref?.();
      }
      release();
    });
  }

  // ------------------------------------------------------------ lifecycle

  /** Resolves when no request is pending. */
  drained(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Resolves when the socket is closed. */
  whenClosed(): Promise<void> {
    if (this.state.state === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /** Send Terminate and end the socket gracefully. */
  end(): void {
    if (this.state.state === 'closed' || this.ended) return;
    this.ended = true;
    this.out.reset();
    this.out.int8(0x58).int32(4);
    this.socket.end(this.out.take());
  }

  /** Tear everything down at once: every pending call rejects with `err`. */
  destroy(err?: Error): void {
    if (this.state.state === 'closed') return;
    this.closedError ??= err ?? new ConnectionError('the connection was terminated', { target: this.target() });
    this.state.transition('closed');
    this.socket.destroy();
    this.failPending();
  }

  private failPending(): void {
    const err = this.closedError ?? new ConnectionError('the connection was closed', { target: this.target() });
    const pending = this.queue.slice(this.head);
    this.queue.length = 0;
    this.head = 0;
    this.pendingCancels.clear();
    this.rfqWaiters.clear();
    this.barrier = undefined;
    this.held.length = 0;
    for (const req of pending) req?.onConnectionLost(err);
    this.wakeWritable();
    for (const w of this.drainWaiters.splice(0)) w();
    for (const w of this.closeWaiters.splice(0)) w();
    this.events.closed(this.closedError);
  }

  private readonly onSocketError = (e: NodeJS.ErrnoException): void => {
    this.closedError ??= new ConnectionError(
      `the connection to ${this.host}:${this.port} failed: ${e.message}`,
      { cause: e, target: this.target(), errno: e.code },
    );
  };

  private readonly onSocketClose = (): void => {
    if (this.state.state === 'closed') {
      for (const w of this.closeWaiters.splice(0)) w();
      return;
    }
    const wasClosing = this.state.state === 'closing';
    this.closedError ??= wasClosing
      ? new ConnectionError('the connection was closed', { target: this.target() })
      : new ConnectionError(
          `the server at ${this.host}:${this.port} closed the connection unexpectedly; it may have been restarted, ` +
            'or the backend terminated (check the server log)',
          { target: this.target() },
        );
    this.state.transition('closed');
    this.failPending();
  };
}

/** Build the error for a call answered by its timeout. */
export function timeoutError(ms: number, sql: string | undefined): TimeoutError {
  return new TimeoutError(
    `the query did not finish within ${ms} ms; the server was asked to cancel it${sql ? `: ${truncateSql(sql)}` : ''}`,
  );
}

/** Build the error for a call answered by its AbortSignal. */
export function abortError(signal: AbortSignal, sql: string | undefined): AbortError {
  const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
  return new AbortError(`the query was aborted${reason}; the server was asked to cancel it${sql ? ` (${truncateSql(sql)})` : ''}`, {
    cause: signal.reason,
  });
}

/** SQL shortened for messages. */
export function truncateSql(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > 200 ? s.slice(0, 200) + '…' : s;
}
