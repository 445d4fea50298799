/**
 * Pool: the public API. `createPool()` opens minSize connections; callers
 * borrow one with `acquire()` (four forms) or let a shortcut borrow one for
 * a single call; `listen()` keeps LISTEN alive on a connection of its own.
 */
import { fileURLToPath } from 'node:url';
import { InterfaceError } from '../errors/client.js';
import type { ConnectOptions, ResolvedConfig } from '../config/options.js';
import { resolveConfig } from '../config/resolve.js';
import { connectWithConfig } from '../connection/connect.js';
import { Connection } from '../connection/connection.js';
import type { QueryArgs } from '../connection/connection.js';
import type { CopyFromQueryOptions, CopyFromTableOptions, CopyOutput, CopyRecordsOptions, CopyToTableOptions } from '../connection/copy.js';
import type { QueryConfig } from '../connection/query-args.js';
import type { TransactionBlockOptions } from '../connection/transaction.js';
import { PoolCore } from './core.js';
import type { Slot } from './slot.js';
import type { PoolLogListener, PoolMetricsListener, PoolStats } from './events.js';
import { Lease, leaseOf } from './lease.js';
import type { PoolConnection } from './lease.js';
import { checkHandler, PoolListener } from './listen.js';
import type { ListenHandler, ListenSubscription } from './listen.js';
import { checkAcquireOptions, splitPoolOptions } from './options.js';
import type { AcquireOptions, PoolOptions, ResolvedPoolOptions } from './options.js';

/** This file, to keep the pool's own frames out of acquire sites. */
const OWN_FILES = [fileURLToPath(import.meta.url), fileURLToPath(new URL('./core.js', import.meta.url))];

/** The stack of the code that called acquire, without the pool's own frames. */
function captureSite(): string {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, captureSite);
  const lines = (holder.stack ?? '').split('\n').slice(1);
  return lines.filter((l) => !OWN_FILES.some((f) => l.includes(f))).join('\n');
}

function noop(): void {}

/**
 * A pool of connections. Create one with `createPool()`.
 *
 * @example
 * const pool = await createPool('postgres://app@db/appdb', { maxSize: 20 });
 * const users = await pool.fetch('SELECT * FROM users WHERE active');
 * await pool.transaction(async (conn) => { await conn.execute('UPDATE ...'); });
 * await pool.close();
 */
export class Pool extends PoolCore {
  private readonly listener: PoolListener;

  /** @internal Use createPool(). */
  constructor(config: ResolvedConfig, options: ResolvedPoolOptions) {
    super(config, options);
    this.listener = new PoolListener(
      () => connectWithConfig(this.config),
      (e) => this.log(e),
    );
  }

  /** @internal Open minSize connections. */
  async start(): Promise<void> {
    await this.fill();
  }

  /** @internal */
  protected tick(): void {
    this.listener.heartbeat();
  }

  /** @internal */
  protected stopExtras(graceful: boolean): Promise<void> {
    return this.listener.stop(graceful);
  }

  // ------------------------------------------------------------ acquire and release

  /**
   * Borrow a connection. Give it back with `pool.release(conn)` or
   * `conn.release()`, or borrow it with `await using` so that the end of the
   * block gives it back. Waits in line (first come, first served) up to
   * acquireTimeout, then fails with PoolTimeoutError.
   *
   * @example await using conn = await pool.acquire();
   */
  acquire(options?: AcquireOptions): Promise<PoolConnection>;
  /**
   * Borrow a connection for `fn`; it is released when fn settles, even if it throws.
   *
   * @example const n = await pool.acquire((conn) => conn.fetchVal('SELECT count(*) FROM t'));
   */
  acquire<T>(fn: (conn: PoolConnection) => Promise<T> | T, options?: AcquireOptions): Promise<T>;
  acquire<T>(a?: AcquireOptions | ((conn: PoolConnection) => Promise<T> | T), b?: AcquireOptions): Promise<PoolConnection | T> {
    if (typeof a === 'function') return this.withLease(a, b);
    if (b !== undefined) return Promise.reject(new InterfaceError('acquire(options) takes one argument; to pass a function, put it first: acquire(fn, options)'));
    return this.lease(a).then((l) => l.proxy);
  }

  /**
   * Give a connection back. It is reset (see the `reset` option) and then
   * serves the next caller; one left in a state a reset cannot repair is
   * closed and replaced. Resolves when that is done.
   * @throws InterfaceError (as a rejection) for a connection released twice, from another pool, or not from a pool.
   */
  release(conn: PoolConnection): Promise<void> {
    const lease = leaseOf(conn);
    if (lease === undefined) {
      return Promise.reject(
        new InterfaceError(
          conn instanceof Connection
            ? 'release(): this connection did not come from pool.acquire(); close it with conn.close() instead'
            : 'release(): expected a connection acquired from this pool',
        ),
      );
    }
    if (lease.owner !== this) {
      return Promise.reject(new InterfaceError('release(): this connection belongs to another pool; release it to the pool it was acquired from'));
    }
    return this.releaseLease(lease, 'reset');
  }

  /**
   * Run `fn` in a transaction on a pool connection: COMMIT when it
   * resolves, ROLLBACK and rethrow when it throws; the connection is
   * released either way. Options as for conn.transaction().
   *
   * @example await pool.transaction(async (conn) => { await conn.execute('INSERT INTO t VALUES ($1)', 1); }, { isolation: 'serializable', retry: true });
   */
  transaction<T>(fn: (conn: PoolConnection) => Promise<T> | T, options?: TransactionBlockOptions): Promise<T> {
    if (typeof fn !== 'function') return Promise.reject(new InterfaceError('pool.transaction(fn, options?): fn must be a function'));
    return this.withLease((c) => c.transaction(() => fn(c), options), undefined);
  }

  private async lease(options: AcquireOptions | undefined): Promise<Lease> {
    const { timeout, signal } = checkAcquireOptions(options, this.opts.acquireTimeout);
    // Before the first await, so the stack still shows the caller.
    const where = this.opts.leakDetectionThreshold > 0 ? captureSite() : undefined;
    const s = await this.acquireSlot(timeout, signal);
    const lease = new Lease(this, s.conn, s.bound, () => void s.queries++, s.leasedAt, where);
    s.lease = lease;
    if (this.opts.setup !== undefined) {
      try {
        await this.opts.setup(lease.proxy);
      } catch (e) {
        await this.releaseLease(lease, 'reset').catch(noop);
        throw e;
      }
    }
    return lease;
  }

  private async withLease<T>(fn: (conn: PoolConnection) => Promise<T> | T, options: AcquireOptions | undefined): Promise<T> {
    const lease = await this.lease(options);
    try {
      return await fn(lease.proxy);
    } finally {
      // The reset runs in the background: the caller has its result now,
      // and the connection serves the next caller once reset.
      if (!lease.released) this.releaseLease(lease, 'reset').catch(noop);
    }
  }

  /** Borrow a connection for one call; the reset goes in the same flight as the call. */
  private use<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    return this.acquireSlot(this.opts.acquireTimeout, undefined).then((s: Slot) => {
      s.queries++;
      let p: Promise<T>;
      try {
        p = fn(s.conn);
      } catch (e) {
        p = Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      void this.releaseSlot(s, 'reset', undefined, p);
      return p;
    });
  }

  /** An iterator that holds a connection from its first step to its end. */
  private iterate(make: (conn: Connection) => AsyncIterableIterator<Buffer>): AsyncIterableIterator<Buffer> {
    const acquire = () => this.acquireSlot(this.opts.acquireTimeout, undefined);
    const release = (s: Slot) => this.releaseSlot(s, 'reset');
    async function* run(): AsyncGenerator<Buffer, void, undefined> {
      const s = await acquire();
      s.queries++;
      try {
        yield* make(s.conn);
      } finally {
        await release(s);
      }
    }
    return run();
  }

  // ------------------------------------------------------------ shortcuts

  /** conn.fetch() on a pool connection. */
  fetch<T = Record<string, unknown>>(...a: QueryArgs): Promise<T[]> {
    return this.use((c) => c.fetch<T>(...a));
  }

  /** conn.fetchRow() on a pool connection. */
  fetchRow<T = Record<string, unknown>>(...a: QueryArgs): Promise<T | null> {
    return this.use((c) => c.fetchRow<T>(...a));
  }

  /** conn.fetchVal() on a pool connection. */
  fetchVal<T = unknown>(...a: QueryArgs): Promise<T | null> {
    return this.use((c) => c.fetchVal<T>(...a));
  }

  /** conn.execute() on a pool connection. */
  execute(...a: QueryArgs): Promise<string> {
    return this.use((c) => c.execute(...a));
  }

  /** conn.executeMany() on a pool connection. */
  executeMany(sql: string | QueryConfig, argsList: Iterable<readonly unknown[]>): Promise<void> {
    return this.use((c) => c.executeMany(sql, argsList));
  }

  /** conn.copyRecordsToTable() on a pool connection. */
  copyRecordsToTable(table: string, options: CopyRecordsOptions): Promise<string> {
    return this.use((c) => c.copyRecordsToTable(table, options));
  }

  /** conn.copyToTable() on a pool connection. */
  copyToTable(table: string, options: CopyToTableOptions): Promise<string> {
    return this.use((c) => c.copyToTable(table, options));
  }

  /** conn.copyFromTable() to `output` on a pool connection. */
  copyFromTable(table: string, options: CopyFromTableOptions & { output: CopyOutput }): Promise<string>;
  /** conn.copyFromTable() as an async iterator; the connection is held until the loop ends. */
  copyFromTable(table: string, options?: Omit<CopyFromTableOptions, 'output'>): AsyncIterableIterator<Buffer>;
  copyFromTable(table: string, options: CopyFromTableOptions = {}): Promise<string> | AsyncIterableIterator<Buffer> {
    if (options !== null && typeof options === 'object' && options.output !== undefined) {
      const withOutput = options as CopyFromTableOptions & { output: CopyOutput };
      return this.use((c) => c.copyFromTable(table, withOutput));
    }
    return this.iterate((c) => c.copyFromTable(table, options as Omit<CopyFromTableOptions, 'output'>));
  }

  /** conn.copyFromQuery() to `output` on a pool connection. */
  copyFromQuery(query: string, options: CopyFromQueryOptions & { output: CopyOutput }): Promise<string>;
  /** conn.copyFromQuery() as an async iterator; the connection is held until the loop ends. */
  copyFromQuery(query: string, options?: Omit<CopyFromQueryOptions, 'output'>): AsyncIterableIterator<Buffer>;
  copyFromQuery(query: string, options: CopyFromQueryOptions = {}): Promise<string> | AsyncIterableIterator<Buffer> {
    if (options !== null && typeof options === 'object' && options.output !== undefined) {
      const withOutput = options as CopyFromQueryOptions & { output: CopyOutput };
      return this.use((c) => c.copyFromQuery(query, withOutput));
    }
    return this.iterate((c) => c.copyFromQuery(query, options as Omit<CopyFromQueryOptions, 'output'>));
  }

  // ------------------------------------------------------------ LISTEN

  /**
   * Receive NOTIFYs on `channel`, on a connection of the pool's own (not
   * counted in its size). If that connection is lost, the pool reconnects
   * with backoff and LISTENs again; the handler's `onGap` (or a
   * 'listen-restored' log event) says notifications may have been missed.
   * Resolves once LISTEN is in effect.
   *
   * @example const sub = await pool.listen('jobs', { onNotification: (payload) => run(payload), onGap: () => rescan() });
   */
  listen(channel: string, handler: ListenHandler): Promise<ListenSubscription> {
    if (this.state !== 'open') return Promise.reject(this.closedError());
    if (typeof channel !== 'string' || channel === '') {
      return Promise.reject(new InterfaceError(`pool.listen(): the channel must be a non-empty string, got ${JSON.stringify(channel) ?? typeof channel}`));
    }
    try {
      checkHandler(handler);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.listener.add(channel, handler);
  }

  /** The connection pool.listen() uses, while open (for diagnostics and tests). */
  getListenConnection(): Connection | undefined {
    return this.listener.connection;
  }

  // ------------------------------------------------------------ lifecycle

  /**
   * Close gracefully: callers still waiting fail, idle connections close,
   * connections in use close as they are released. Whatever is still open
   * after `timeout` ms (default 30000; 0 waits as long as it takes) is
   * terminated, so a connection never released cannot hang shutdown.
   * Resolves when every connection is closed.
   */
  close(options?: { timeout?: number }): Promise<void> {
    const timeout = options?.timeout ?? 30_000;
    if (typeof timeout !== 'number' || !(timeout >= 0)) {
      return Promise.reject(new InterfaceError('pool.close(): timeout must be a non-negative number of milliseconds (0 waits without limit)'));
    }
    return this.shutdown(timeout === 0 ? undefined : timeout);
  }

  /** Close at once: every connection is terminated, calls in progress fail, waiting callers fail. */
  terminate(): void {
    this.terminateAll();
  }

  /** `await using pool = await createPool()` closes the pool at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** True once close() or terminate() was called. */
  isClosed(): boolean {
    return this.state !== 'open';
  }

  /**
   * Connect differently from now on (new host, password, ...): connections
   * opened after this call use the new arguments; existing ones stay until
   * they expire (use expireConnections() to hurry them). Pool options cannot change.
   */
  async setConnectArgs(dsn?: string | ConnectOptions, options?: ConnectOptions): Promise<void> {
    if (typeof dsn === 'object' && dsn !== null) {
      if (options !== undefined) throw new InterfaceError('setConnectArgs(): pass either (dsn, options) or (options)');
      this.config = await resolveConfig(undefined, dsn);
    } else {
      this.config = await resolveConfig(dsn, options);
    }
  }

  /** Replace every connection: idle ones are closed now, those in use when released. */
  expireConnections(): void {
    this.expireAll();
  }

  // ------------------------------------------------------------ metrics

  /** Connections open (in use or idle). */
  getSize(): number {
    return this.sizes().size;
  }

  /** Connections idle in the pool. */
  getIdleSize(): number {
    return this.sizes().idle;
  }

  /** The pool's minSize. */
  getMinSize(): number {
    return this.opts.minSize;
  }

  /** The pool's maxSize. */
  getMaxSize(): number {
    return this.opts.maxSize;
  }

  /** A snapshot of sizes and counters, named after OpenTelemetry's db.client.connection.* metrics. */
  getStats(): PoolStats {
    const s = this.sizes();
    return {
      name: this.poolName,
      size: s.size,
      idle: s.idle,
      used: s.size - s.idle,
      connecting: s.connecting,
      pending: s.waiting,
      minSize: this.opts.minSize,
      maxSize: this.opts.maxSize,
      ...this.counters,
    };
  }

  /**
   * Receive the pool's log events: leaks, sizing warnings, lost connections,
   * LISTEN reconnects, server notices. Events from before the first
   * listener (such as the sizing warning of createPool) are handed to it.
   */
  addLogListener(fn: PoolLogListener): void {
    if (typeof fn !== 'function') throw new InterfaceError('addLogListener(): the listener must be a function');
    this.logListeners.add(fn);
    this.replayEarlyEvents();
  }

  /** Stop receiving log events. */
  removeLogListener(fn: PoolLogListener): void {
    this.logListeners.delete(fn);
  }

  /** Receive metric events (wait, use and create times in seconds, timeouts), named as OpenTelemetry's instruments. */
  addMetricsListener(fn: PoolMetricsListener): void {
    if (typeof fn !== 'function') throw new InterfaceError('addMetricsListener(): the listener must be a function');
    this.metricsListeners.add(fn);
  }

  /** Stop receiving metric events. */
  removeMetricsListener(fn: PoolMetricsListener): void {
    this.metricsListeners.delete(fn);
  }
}

/**
 * Create a pool and open its minSize connections. Rejects (and leaves
 * nothing open) when the options are wrong or the first connections fail.
 *
 * @param dsn A `postgres://` URL or a libpq `key=value` string; or the options object.
 * @param options Pool options and connection options (see PoolOptions).
 *
 * @example
 * const pool = await createPool('postgres://app@localhost/appdb', { minSize: 2, maxSize: 20, acquireTimeout: 5000 });
 */
export async function createPool(dsn?: string | PoolOptions, options?: PoolOptions): Promise<Pool> {
  let text: string | undefined;
  let opts: PoolOptions | undefined;
  if (typeof dsn === 'object' && dsn !== null) {
    if (options !== undefined) throw new InterfaceError('createPool(): pass either createPool(dsn, options) or createPool(options), not two option objects');
    opts = dsn;
  } else {
    text = dsn;
    opts = options;
  }
  const { pool, connect } = splitPoolOptions(opts);
  const config = await resolveConfig(text, connect);
  const p = new Pool(config, pool);
  try {
    await p.start();
  } catch (e) {
    p.terminate();
    throw e;
  }
  return p;
}
