/**
 * COPY ... TO STDOUT: the request that receives CopyData, and the outputs it
 * feeds (a file, a Writable, a callback, or an async iterator). CopyData
 * messages are gathered into chunks of about 64 KiB; when the output falls
 * behind, the connection stops reading from its socket until it catches up,
 * so a slow consumer holds back the server instead of filling memory.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { InterfaceError } from '../errors/client.js';
import { encodeFrontend, writeExecute, writeParse, writeSync } from '../protocol/frontend.js';
import { BackendCode } from '../protocol/messages.js';
import type { Connection } from './connection.js';
import type { CallControl, ConnectionCore } from './core.js';
import type { CopyCallOptions } from './copy-in.js';
import type { PendingRequest } from './requests.js';
import { Settle } from './requests.js';
import { commandTag, serverErrorAt, unexpectedMessage } from './server-reply.js';

const CHUNK_BYTES = 64 * 1024;
/** Buffered bytes at which socket reading pauses, and below which it resumes. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

/** Where COPY TO STDOUT data goes: a file path, a Writable, or a function called with each chunk (awaited). */
export type CopyOutput = string | Writable | ((chunk: Buffer) => unknown);

/**
 * Chunks between the read loop and the output. Bytes are gathered into
 * chunks; reading pauses above the high-water mark.
 */
class ChunkQueue {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private gather: Buffer | undefined;
  private gathered = 0;
  private flushQueued = false;
  private paused = false;
  private ended = false;
  private failure: Error | undefined;
  private waiter: (() => void) | undefined;
  /** Set when the consumer is gone: data is dropped from then on. */
  discarding = false;

  constructor(private readonly core: ConnectionCore) {}

  add(buf: Uint8Array, start: number, end: number): void {
    if (this.discarding) return;
    const len = end - start;
    if (len >= CHUNK_BYTES) {
      this.flushGather();
      this.push(Buffer.from(buf.subarray(start, end)));
      return;
    }
    if (this.gather === undefined || this.gathered + len > this.gather.length) {
      this.flushGather();
      this.gather = Buffer.allocUnsafe(CHUNK_BYTES);
    }
    this.gather.set(buf.subarray(start, end), this.gathered);
    this.gathered += len;
    if (!this.flushQueued) {
      this.flushQueued = true;
      // After the read loop has routed the whole socket chunk.
      queueMicrotask(this.flushGather);
    }
  }

  private readonly flushGather = (): void => {
    this.flushQueued = false;
    if (this.gather === undefined || this.gathered === 0) return;
    const chunk = this.gather.subarray(0, this.gathered);
    // The rest of the buffer does not overlap the chunk handed out: keep filling it.
    this.gather = this.gather.length - this.gathered >= 8192 ? this.gather.subarray(this.gathered) : undefined;
    this.gathered = 0;
    this.push(chunk);
  };

  private push(chunk: Buffer): void {
    if (this.discarding) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (!this.paused && this.bytes > HIGH_WATER) {
      this.paused = true;
      this.core.pauseReading();
    }
    this.wake();
  }

  /** No more data: what is queued is still delivered. */
  end(): void {
    this.flushGather();
    this.ended = true;
    this.wake();
  }

  /** Stop: the next shift() throws `err`. */
  fail(err: Error): void {
    this.failure ??= err;
    this.drop();
    this.wake();
  }

  /** Drop queued and future data and let the socket flow again. */
  drop(): void {
    this.discarding = true;
    this.chunks.length = 0;
    this.bytes = 0;
    this.gather = undefined;
    this.gathered = 0;
    this.resume();
  }

  /** The next chunk, or null at the end. */
  async shift(): Promise<Buffer | null> {
    while (this.chunks.length === 0) {
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) return null;
      await new Promise<void>((r) => (this.waiter = r));
    }
    if (this.failure !== undefined) throw this.failure;
    const c = this.chunks.shift()!;
    this.bytes -= c.length;
    if (this.bytes < LOW_WATER) this.resume();
    return c;
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.core.resumeReading();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

/** The request of one COPY TO STDOUT, from Parse to ReadyForQuery. */
export class CopyOutRequest implements PendingRequest {
  private tag = '';
  private error: Error | undefined;

  constructor(
    private readonly queue: ChunkQueue,
    private readonly settle: Settle<string>,
    readonly sql: string,
  ) {}

  onMessage(type: number, buf: Uint8Array, start: number, end: number): void {
    switch (type) {
      case BackendCode.CopyData:
        this.queue.add(buf, start, end);
        return;
      case BackendCode.ParseComplete:
      case BackendCode.BindComplete:
      case BackendCode.CopyOutResponse:
      case BackendCode.CopyDone:
        return;
      case BackendCode.CommandComplete:
        this.tag = commandTag(buf, start, end);
        return;
      case BackendCode.ErrorResponse:
        this.error ??= serverErrorAt(buf, start, end, this.sql);
        return;
      default:
        throw unexpectedMessage(type, 'COPY TO STDOUT');
    }
  }

  onReadyForQuery(): void {
    if (this.error !== undefined) {
      this.queue.fail(this.error);
      this.settle.reject(this.error);
    } else {
      this.queue.end();
      this.settle.resolve(this.tag);
    }
  }

  onConnectionLost(err: Error): void {
    this.queue.fail(err);
    this.settle.reject(err);
  }
}

/** Start the COPY TO STDOUT; data goes into `queue`. Resolves with the tag after ReadyForQuery. */
function startCopyOut(conn: Connection, sql: string, queue: ChunkQueue, ctl: CallControl): Promise<string> {
  return conn.submitOrdered(
    () =>
      new Promise<string>((resolve, reject) => {
        if (ctl.cancelled) {
          reject(new InterfaceError('call cancelled'));
          return;
        }
        const req = new CopyOutRequest(queue, new Settle(resolve, reject), sql);
        try {
          conn.core.enqueue(req, (w) => {
            writeParse(w, '', sql, []);
            encodeFrontend({ type: 'Bind', portal: '', statement: '', parameterFormats: [], parameters: [], resultFormats: [] }, w);
            writeExecute(w, '', 0);
            writeSync(w);
          });
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
          return;
        }
        ctl.request = req;
      }),
  );
}

/** Deliver every chunk to the output, waiting for it each time it is behind. */
async function deliver(queue: ChunkQueue, output: Writable | ((chunk: Buffer) => unknown)): Promise<void> {
  if (typeof output === 'function') {
    for (let c = await queue.shift(); c !== null; c = await queue.shift()) await output(c);
    return;
  }
  let failed: Error | undefined;
  const onError = (e: Error) => {
    failed = e;
    queue.fail(e);
  };
  output.on('error', onError);
  try {
    for (let c = await queue.shift(); c !== null; c = await queue.shift()) {
      if (failed) throw failed;
      if (!output.write(c)) await Promise.race([once(output, 'drain'), once(output, 'close')]);
    }
    if (failed) throw failed;
  } finally {
    output.off('error', onError);
  }
}

function isWritable(v: unknown): v is Writable {
  return v !== null && typeof v === 'object' && typeof (v as Writable).write === 'function' && typeof (v as Writable).on === 'function';
}

/**
 * Run a COPY TO STDOUT into `output`. Resolves with the command tag once the
 * server is done and the output has taken every byte (a file is closed).
 */
export async function runCopyOut(conn: Connection, sql: string, output: CopyOutput, options: CopyCallOptions): Promise<string> {
  if (typeof output !== 'string' && typeof output !== 'function' && !isWritable(output)) {
    throw new InterfaceError('"output" must be a file path, a Writable stream, or a function called with each chunk');
  }
  let file: fs.WriteStream | undefined;
  if (typeof output === 'string') {
    const handle = await fs.promises.open(output, 'w');
    file = handle.createWriteStream();
  }
  const target = file ?? (output as Writable | ((chunk: Buffer) => unknown));
  let body: Promise<string> | undefined;
  try {
    return await conn.run({ text: sql, timeout: options.timeout, signal: options.signal }, (ctl) => (body = (async () => {
      const queue = new ChunkQueue(conn.core);
      ctl.onCancel = (err) => queue.fail(err);
      const copy = startCopyOut(conn, sql, queue, ctl);
      copy.catch(() => undefined);
      try {
        await deliver(queue, target);
      } catch (e) {
        // The output failed: stop the server sending, and report the output's error.
        queue.drop();
        if (!ctl.cancelled && ctl.request !== undefined) conn.core.cancel(ctl.request);
        await copy.catch(() => undefined);
        throw e;
      }
      return copy;
    })()));
  } finally {
    // A timeout answers the call at once; the output is closed only once nothing writes to it.
    await body?.catch(() => undefined);
    if (file !== undefined) {
      file.end();
      if (!file.closed) await once(file, 'close').catch(() => undefined);
    }
  }
}

/**
 * COPY TO STDOUT as an async iterator of chunks. Ending the loop early
 * cancels the COPY on the server.
 */
export function iterateCopyOut(conn: Connection, sql: string, options: CopyCallOptions): AsyncIterableIterator<Buffer> {
  let queue: ChunkQueue | undefined;
  let done: Promise<string> | undefined;
  let ctlRef: CallControl | undefined;
  const start = (): ChunkQueue => {
    if (queue !== undefined) return queue;
    const q = new ChunkQueue(conn.core);
    queue = q;
    done = conn.run({ text: sql, timeout: options.timeout, signal: options.signal }, (ctl) => {
      ctlRef = ctl;
      ctl.onCancel = (err) => q.fail(err);
      return startCopyOut(conn, sql, q, ctl);
    });
    done.catch((e: unknown) => q.fail(e instanceof Error ? e : new Error(String(e))));
    return q;
  };
  const it: AsyncIterableIterator<Buffer> = {
    [Symbol.asyncIterator]() {
      return it;
    },
    async next(): Promise<IteratorResult<Buffer>> {
      const c = await start().shift();
      if (c !== null) return { value: c, done: false };
      await done;
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<Buffer>> {
      if (queue !== undefined && done !== undefined) {
        queue.drop();
        if (ctlRef?.request !== undefined) conn.core.cancel(ctlRef.request);
        await done.catch(() => undefined);
      }
      return { value: undefined, done: true };
    },
  };
  return it;
}
