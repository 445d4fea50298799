/**
 * COPY ... FROM STDIN: the request that streams CopyData to the server.
 *
 * The statement goes out as Parse/Bind/Execute/Flush; the Sync waits until
 * the data is done (CopyDone) or given up (CopyFail), because the server
 * ignores a Sync received during COPY. While the data streams, the core
 * holds back the bytes of every later request, and the producer waits
 * whenever the socket has more unsent bytes than it should take.
 */
import { AbortError, InterfaceError, PgjetError } from '../errors/client.js';
import { encodeFrontend, writeExecute, writeFlush, writeParse, writeSync } from '../protocol/frontend.js';
import { BackendCode } from '../protocol/messages.js';
import type { Writer } from '../protocol/writer.js';
import type { Connection } from './connection.js';
import type { CallControl, ConnectionCore } from './core.js';
import type { PendingRequest } from './requests.js';
import { Settle } from './requests.js';
import { commandTag, serverErrorAt, unexpectedMessage } from './server-reply.js';

/** Largest CopyData message sent; bigger chunks are split. */
const MAX_COPY_DATA = 256 * 1024;

/** Where a COPY FROM STDIN producer writes. */
export interface CopySink {
  /**
   * Send bytes as CopyData. Returns a promise when the producer should wait
   * before writing more (the socket is behind); throws once the COPY was
   * given up (server error, timeout, abort, lost connection).
   */
  write(bytes: Uint8Array): Promise<void> | undefined;
  /** The column formats the server announced in CopyInResponse (0 text, 1 binary). */
  readonly binary: boolean;
}

/** Produces the COPY data; a throw becomes CopyFail, and the COPY is rolled back. */
export type CopyProducer = (sink: CopySink) => Promise<void>;

/** The request of one COPY FROM STDIN, from Parse to ReadyForQuery. */
export class CopyInRequest implements PendingRequest, CopySink {
  binary = false;
  private tag = '';
  private serverError: Error | undefined;
  /** Why the client gave up: the producer's error, or a timeout or abort. */
  private clientError: Error | undefined;
  /** No more CopyData may be written (given up, ended, or the server said stop). */
  private stopped = false;
  private syncSent = false;
  private streaming = false;

  constructor(
    private readonly core: ConnectionCore,
    private readonly producer: CopyProducer,
    private readonly settle: Settle<string>,
    readonly sql: string,
  ) {}

  onMessage(type: number, buf: Uint8Array, start: number, end: number): void {
    switch (type) {
      case BackendCode.ParseComplete:
      case BackendCode.BindComplete:
        return;
      case BackendCode.CopyInResponse:
        this.binary = buf[start] === 1;
        this.streaming = true;
        if (this.clientError !== undefined) this.giveUp(this.clientError);
        else void this.pump();
        return;
      case BackendCode.CommandComplete:
        this.tag = commandTag(buf, start, end);
        return;
      case BackendCode.ErrorResponse:
        this.serverError ??= serverErrorAt(buf, start, end, this.sql);
        // The server now discards everything up to a Sync.
        this.stopped = true;
        this.sendSync();
        return;
      default:
        throw unexpectedMessage(type, 'COPY FROM STDIN');
    }
  }

  onReadyForQuery(): void {
    this.stopped = true;
    if (this.clientError !== undefined) this.settle.reject(this.clientError);
    else if (this.serverError !== undefined) this.settle.reject(this.serverError);
    else this.settle.resolve(this.tag);
  }

  onConnectionLost(err: Error): void {
    this.stopped = true;
    this.settle.reject(err);
  }

  write(bytes: Uint8Array): Promise<void> | undefined {
    if (this.stopped) throw this.clientError ?? this.serverError ?? new AbortError('the COPY was stopped');
    for (let at = 0; at < bytes.length; at += MAX_COPY_DATA) {
      const part = at === 0 && bytes.length <= MAX_COPY_DATA ? bytes : bytes.subarray(at, Math.min(bytes.length, at + MAX_COPY_DATA));
      this.core.writeExclusive(this, (w) => {
        w.int8(0x64).int32(part.length + 4).bytes(part);
      });
    }
    return this.core.writeBlocked ? this.core.waitWritable() : undefined;
  }

  /** Give up from outside (timeout, AbortSignal): CopyFail now, even while the producer waits for its source. */
  abort(err: Error): void {
    if (this.clientError !== undefined || this.syncSent) return;
    this.clientError = err;
    if (this.streaming) this.giveUp(err);
    // Otherwise CopyInResponse has not come yet; giveUp happens when it does.
  }

  private async pump(): Promise<void> {
    try {
      await this.producer(this);
    } catch (e) {
      const err = e instanceof Error ? e : new InterfaceError(`the COPY source threw ${String(e)}`);
      if (!this.stopped) {
        this.clientError ??= err;
        this.giveUp(err);
      }
      return;
    }
    if (this.stopped) return;
    this.stopped = true;
    this.syncSent = true;
    this.core.writeExclusive(this, (w) => {
      encodeFrontend({ type: 'CopyDone' }, w);
      writeSync(w);
    });
  }

  /** CopyFail + Sync: the server rolls the COPY back and answers with an error and ReadyForQuery. */
  private giveUp(err: Error): void {
    this.stopped = true;
    if (this.syncSent) return;
    this.syncSent = true;
    const reason = `${err instanceof PgjetError || err.name === 'Error' ? '' : err.name + ': '}${err.message}`.replace(/\0/g, ' ');
    this.core.writeExclusive(this, (w) => {
      encodeFrontend({ type: 'CopyFail', message: reason.length > 1000 ? reason.slice(0, 1000) + '…' : reason }, w);
      writeSync(w);
    });
  }

  private sendSync(): void {
    if (this.syncSent) return;
    this.syncSent = true;
    this.core.writeExclusive(this, (w) => writeSync(w));
  }
}

/** Parse/Bind/Execute of the COPY statement, then Flush so CopyInResponse comes at once. */
function writeCopyStart(w: Writer, sql: string): void {
  writeParse(w, '', sql, []);
  encodeFrontend({ type: 'Bind', portal: '', statement: '', parameterFormats: [], parameters: [], resultFormats: [] }, w);
  writeExecute(w, '', 0);
  writeFlush(w);
}

/** Options every COPY call takes. */
export interface CopyCallOptions {
  /** Milliseconds before the COPY is given up (COPY FROM: CopyFail; COPY TO: cancel); the connection's commandTimeout by default. */
  timeout?: number;
  /** Give the COPY up when this signal aborts. */
  signal?: AbortSignal;
}

/**
 * Run `sql` (a COPY ... FROM STDIN) with `producer` supplying the data.
 * Resolves with the command tag ("COPY 1000").
 */
export function runCopyIn(conn: Connection, sql: string, producer: CopyProducer, options: CopyCallOptions): Promise<string> {
  return conn.run({ text: sql, timeout: options.timeout, signal: options.signal }, (ctl: CallControl) =>
    conn.submitOrdered(
      () =>
        new Promise<string>((resolve, reject) => {
          if (ctl.cancelled) {
            reject(new InterfaceError('call cancelled'));
            return;
          }
          const req = new CopyInRequest(conn.core, producer, new Settle(resolve, reject), sql);
          try {
            conn.core.enqueue(req, (w) => writeCopyStart(w, sql), true);
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
            return;
          }
          // No ctl.request: a cancel request would hold CopyFail back, and a
          // backend waiting for COPY data does not act on one anyway.
          ctl.onCancel = (err) => req.abort(err);
        }),
    ),
  );
}
