/**
 * Cursors over protocol-level portals. `conn.cursor(sql, ...args)` returns a
 * factory that is both async-iterable (rows in batches of `prefetch`, the
 * next batch on its way while the current one is consumed) and awaitable
 * (a Cursor with fetch, fetchRow and forward). Portals live until the end of
 * their transaction, so a cursor needs one.
 */
import { randomBytes } from 'node:crypto';
import { InterfaceError } from '../errors/client.js';
import type { Connection } from './connection.js';
import type { CallControl } from './core.js';
import { sendPortalStep } from './portal.js';
import type { PortalBatch, PortalStep } from './portal.js';
import { describe } from './query-args.js';
import { tagRowCount } from './server-reply.js';
import type { StatementInfo } from './statement.js';

/** Options of a cursor. */
export interface CursorOptions {
  /** Rows fetched per round trip while iterating (default 100). */
  prefetch?: number;
  /** Milliseconds each round trip may take before the server is asked to cancel it. */
  timeout?: number;
  /** Abort the cursor's round trips. */
  signal?: AbortSignal;
  /** Rows as objects (default) or as arrays of values in column order. */
  rowMode?: 'object' | 'array';
}

/** Object form of `conn.cursor()`. */
export interface CursorConfig extends CursorOptions {
  /** The SQL text, with $1, $2 ... placeholders. */
  text: string;
  /** Parameter values, in placeholder order. */
  args?: readonly unknown[];
}

const DEFAULT_PREFETCH = 100;
const CONFIG_KEYS = new Set(['text', 'args', 'prefetch', 'timeout', 'signal', 'rowMode']);

interface CursorQuery {
  text: string;
  args: readonly unknown[];
  prefetch: number;
  timeout: number | undefined;
  signal: AbortSignal | undefined;
  arrayMode: boolean;
}

/** Normalise `cursor(sql, ...args)` and `cursor({ text, args, prefetch, ... })`. */
export function normalizeCursor(conn: Connection, first: string | CursorConfig, rest: readonly unknown[]): CursorQuery {
  if (typeof first === 'string') {
    return { text: first, args: rest, prefetch: DEFAULT_PREFETCH, timeout: undefined, signal: undefined, arrayMode: conn.defaultRowMode === 'array' };
  }
  if (first === null || typeof first !== 'object' || typeof first.text !== 'string') {
    throw new InterfaceError(`cursor() expects SQL text or an object { text, args?, prefetch?, ... }, got ${describe(first)}`);
  }
  if (rest.length > 0) throw new InterfaceError('cursor(): with the object form, pass parameters in its "args" array');
  for (const k of Object.keys(first)) {
    if (!CONFIG_KEYS.has(k)) throw new InterfaceError(`cursor(): unknown option "${k}" (valid: ${[...CONFIG_KEYS].join(', ')})`);
  }
  const args = first.args ?? [];
  if (!Array.isArray(args)) throw new InterfaceError(`cursor(): "args" must be an array, got ${describe(args)}`);
  const prefetch = first.prefetch ?? DEFAULT_PREFETCH;
  checkCount(prefetch, 'cursor(): "prefetch"');
  if (first.timeout !== undefined && !(typeof first.timeout === 'number' && first.timeout >= 0 && Number.isFinite(first.timeout))) {
    throw new InterfaceError(`cursor(): "timeout" must be a non-negative number of milliseconds, got ${describe(first.timeout)}`);
  }
  if (first.rowMode !== undefined && first.rowMode !== 'object' && first.rowMode !== 'array') {
    throw new InterfaceError(`cursor(): "rowMode" must be 'object' or 'array', got ${describe(first.rowMode)}`);
  }
  return {
    text: first.text,
    args,
    prefetch,
    timeout: first.timeout,
    signal: first.signal,
    arrayMode: (first.rowMode ?? conn.defaultRowMode) === 'array',
  };
}

function checkCount(n: unknown, what: string): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 0x7fffffff) {
    throw new InterfaceError(`${what} must be a positive integer (at most 2147483647), got ${describe(n)}`);
  }
}

/**
 * The portal of one cursor: its statement, name and state, and the round
 * trips on it. Shared by Cursor and the iterator.
 */
class Portal {
  readonly name = `pgjet_c_${randomBytes(6).toString('hex')}`;
  stmt: StatementInfo | undefined;
  closed = false;

  constructor(
    readonly conn: Connection,
    readonly q: CursorQuery,
  ) {}

  /** Bind the portal (and Execute it for `rows` when given), checking for a transaction first. */
  open(rows: number | undefined): Promise<PortalBatch> {
    const conn = this.conn;
    if (conn.core.txStatus === 'E') {
      return Promise.reject(new InterfaceError('cursor(): the transaction is aborted; roll it back before opening a cursor'));
    }
    if (conn.txStack.top === undefined && conn.core.txStatus !== 'T') {
      return Promise.reject(
        new InterfaceError(
          'cursor() needs a transaction: a portal lives only until the end of its transaction. ' +
            'Wrap the cursor in conn.transaction(async () => { ... }), or use fetch() for a small result',
        ),
      );
    }
    const q = this.q;
    return conn.run(q, (ctl) =>
      conn.submitStatement(q.text, ctl, (stmt) => {
        this.stmt = stmt;
        const step: PortalStep = { bind: q.args };
        if (rows !== undefined) step.execute = rows;
        return sendPortalStep(conn.core, conn.registry, stmt, this.name, step, q.arrayMode, ctl);
      }),
    );
  }

  /** One more step on the bound portal. */
  step(step: PortalStep): Promise<PortalBatch> {
    const stmt = this.stmt;
    if (stmt === undefined) return Promise.reject(new InterfaceError('the cursor is not open'));
    const conn = this.conn;
    return conn.run(this.q, (ctl: CallControl) =>
      conn.submitOrdered(() => sendPortalStep(conn.core, conn.registry, stmt, this.name, step, this.q.arrayMode, ctl)),
    );
  }

  /** Close the portal (and an uncached statement). Safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stmt = this.stmt;
    if (stmt === undefined || this.conn.isClosed()) return;
    await this.step({ close: true, closeStatement: this.conn.statements.isTemporary(stmt) });
  }
}

/**
 * An open cursor: fetch rows in the amounts you choose. Get one with
 * `await conn.cursor(sql, ...args)` inside a transaction.
 */
export class Cursor<T = Record<string, unknown>> {
  /** @internal Use conn.cursor(). */
  constructor(private readonly portal: Portal) {}

  /** True once close() was called or the cursor ran out of rows in fetchRow/fetch and was closed. */
  get closed(): boolean {
    return this.portal.closed;
  }

  /** The next `n` rows (fewer at the end, [] when there are no more). */
  async fetch(n: number): Promise<T[]> {
    checkCount(n, 'Cursor.fetch(n): n');
    this.checkOpen('fetch');
    const b = await this.portal.step({ execute: n });
    return b.rows as T[];
  }

  /** The next row, or null when there are no more. */
  async fetchRow(): Promise<T | null> {
    this.checkOpen('fetchRow');
    const b = await this.portal.step({ execute: 1 });
    return b.rows.length > 0 ? (b.rows[0] as T) : null;
  }

  /** Skip `n` rows without fetching them; resolves with how many were skipped. */
  async forward(n: number): Promise<number> {
    checkCount(n, 'Cursor.forward(n): n');
    this.checkOpen('forward');
    const tag = await this.portal.conn.execute(`MOVE FORWARD ${n} FROM "${this.portal.name}"`);
    return tagRowCount(tag) ?? 0;
  }

  /** Close the portal on the server. Portals also close at the end of their transaction. */
  close(): Promise<void> {
    return this.portal.close();
  }

  /** `await using cur = await conn.cursor(...)` closes the cursor at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.portal.close();
  }

  private checkOpen(method: string): void {
    if (this.portal.closed) throw new InterfaceError(`Cursor.${method}(): the cursor is closed`);
  }
}

/**
 * Rows of a cursor, `prefetch` at a time, with the next batch requested as
 * soon as the current one arrives. Breaking out of the loop closes the portal.
 */
class CursorIterator<T> implements AsyncIterableIterator<T> {
  private buffer: unknown[] = [];
  private index = 0;
  private inflight: Promise<PortalBatch> | undefined;
  private started = false;
  private finished = false;

  constructor(private readonly portal: Portal) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    // The common case, a row already here, costs one settled promise.
    if (this.index < this.buffer.length) return Promise.resolve(this.take());
    return this.nextBatch();
  }

  private take(): IteratorResult<T> {
    const value = this.buffer[this.index] as T;
    // Let rows already handed out be collected.
    this.buffer[this.index++] = undefined;
    return { value, done: false };
  }

  private async nextBatch(): Promise<IteratorResult<T>> {
    while (true) {
      if (this.index < this.buffer.length) return this.take();
      if (this.finished) return { value: undefined, done: true };
      if (!this.started) {
        this.started = true;
        this.inflight = this.track(this.portal.open(this.portal.q.prefetch));
      }
      const pending = this.inflight;
      if (pending === undefined) {
        await this.finish();
        return { value: undefined, done: true };
      }
      let batch: PortalBatch;
      try {
        batch = await pending;
      } catch (e) {
        this.finished = true;
        this.inflight = undefined;
        // A value a codec refused leaves the portal open on the server; after
        // a server error the transaction is aborted and the Close is moot.
        await this.portal.close().catch(() => undefined);
        throw e;
      }
      this.buffer = batch.rows;
      this.index = 0;
      this.inflight = batch.done ? undefined : this.track(this.portal.step({ execute: this.portal.q.prefetch }));
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.buffer = [];
    this.index = 0;
    await this.finish();
    return { value: undefined, done: true };
  }

  private async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const pending = this.inflight;
    this.inflight = undefined;
    // A batch still on its way is dropped; the Close goes after it in order.
    if (pending !== undefined) await pending.catch(() => undefined);
    await this.portal.close();
  }

  /** A prefetch nobody awaits yet must not become an unhandled rejection. */
  private track(p: Promise<PortalBatch>): Promise<PortalBatch> {
    p.catch(() => undefined);
    return p;
  }
}

/**
 * What `conn.cursor()` returns: iterate it with `for await`, or await it for
 * a Cursor. Either way the portal is opened only then.
 */
export class CursorFactory<T = Record<string, unknown>> implements AsyncIterable<T>, PromiseLike<Cursor<T>> {
  private opened: Promise<Cursor<T>> | undefined;

  /** @internal Use conn.cursor(). */
  constructor(
    private readonly conn: Connection,
    private readonly q: CursorQuery,
  ) {}

  /** Rows one by one, fetched `prefetch` at a time. */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return new CursorIterator<T>(new Portal(this.conn, this.q));
  }

  /** Open the portal and resolve with a Cursor. */
  then<R1 = Cursor<T>, R2 = never>(
    onfulfilled?: ((value: Cursor<T>) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.opened ??= (async () => {
      const portal = new Portal(this.conn, this.q);
      await portal.open(undefined);
      return new Cursor<T>(portal);
    })();
    return this.opened.then(onfulfilled, onrejected);
  }
}
