/**
 * The pool's machinery: the set of connections and their states, the FIFO
 * of waiting callers, growth (with backoff when the server refuses), the
 * health checks (lost idle connections, pings after idleness, lifetimes,
 * resets) and shutdown. The public API is in pool.ts.
 *
 * Every connection is in one state: 'idle' (in `idle`, ready), 'checking'
 * (being pinged for a waiter), 'leased' (a caller holds it) or 'resetting'
 * (released; the reset runs). Nothing the pool starts in the background
 * can reject unhandled: each promise ends in a handler that decides what
 * to do with the connection.
 */
import { performance } from 'node:perf_hooks';
import { AbortError, InterfaceError } from '../errors/client.js';
import { PostgresError } from '../errors/postgres-error.js';
import type { ResolvedConfig } from '../config/options.js';
import { connectWithConfig } from '../connection/connect.js';
import type { Connection, LogListener } from '../connection/connection.js';
import { PoolTimeoutError } from './errors.js';
import { emitTo } from './events.js';
import type { PoolLogEvent, PoolLogListener, PoolMetricEvent, PoolMetricName, PoolMetricsListener } from './events.js';
import type { Lease, LeaseOwner, ReleaseMode } from './lease.js';
import type { ResolvedPoolOptions } from './options.js';
import { capacityWarning, serverCapacity } from './sizing.js';
import { bounded, defaultReset } from './reset.js';
import { Slot } from './slot.js';
import { Waiter, WaiterQueue } from './waiters.js';

/** Server errors that say "not now" rather than "never": retried with backoff while callers wait. */
function isTransient(e: unknown): boolean {
  return e instanceof PostgresError && (e.sqlstate === '53300' || e.sqlstate === '57P03');
}

function noop(): void {}

/** The machinery under Pool. */
export abstract class PoolCore implements LeaseOwner {
  /** @internal */
  protected config: ResolvedConfig;
  /** @internal */
  protected readonly opts: ResolvedPoolOptions;
  /** @internal */
  protected readonly poolName: string;
  /** @internal */
  protected state: 'open' | 'closing' | 'closed' = 'open';
  /** @internal */
  protected readonly logListeners = new Set<PoolLogListener>();
  /** @internal */
  protected readonly metricsListeners = new Set<PoolMetricsListener>();
  /** @internal */
  protected readonly counters = { timeouts: 0, acquires: 0, created: 0, closed: 0, connectErrors: 0 };

  private readonly slots = new Map<Connection, Slot>();
  private readonly idle: Slot[] = [];
  private connecting = 0;
  private readonly waiters = new WaiterQueue<Slot>();
  private generation = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryTransient = false;
  private retryDelay = 0;
  private lastConnectError: Error | undefined;
  private capacityChecked = false;
  private readonly housekeeper: NodeJS.Timeout;
  private readonly closings = new Set<Promise<void>>();
  private emptyWaiters: (() => void)[] = [];
  private closingPromise: Promise<void> | undefined;

  constructor(config: ResolvedConfig, opts: ResolvedPoolOptions) {
    this.config = config;
    this.opts = opts;
    const first = config.hosts[0];
    this.poolName = opts.name ?? `${config.user}@${first ? `${first.host}:${first.port}` : 'unknown'}/${config.database}`;
    const periods = [opts.maxInactiveConnectionLifetime, opts.leakDetectionThreshold, opts.maxLifetime].filter((p) => p > 0);
    const period = Math.max(20, Math.min(1000, ...periods.map((p) => p / 4)));
    this.housekeeper = setInterval(() => this.housekeep(), period);
    this.housekeeper.unref();
  }

  // ------------------------------------------------------------ hooks for Pool

  /** @internal Called by housekeeping; Pool keeps its LISTEN connection alive here. */
  protected abstract tick(): void;
  /** @internal Called first by close() and terminate(). */
  protected abstract stopExtras(graceful: boolean): Promise<void>;

  // ------------------------------------------------------------ reporting

  /** Events from before anyone listened (the sizing check runs inside createPool), replayed to the first listener. */
  private earlyEvents: PoolLogEvent[] | undefined = [];

  /** @internal */
  protected log(event: PoolLogEvent): void {
    if (this.logListeners.size === 0) {
      if (this.earlyEvents !== undefined && this.earlyEvents.length < 20) this.earlyEvents.push(event);
      return;
    }
    emitTo(this.logListeners, event, 'log');
  }

  /** @internal A log listener was added: hand it what happened before. */
  protected replayEarlyEvents(): void {
    const early = this.earlyEvents;
    this.earlyEvents = undefined;
    if (early !== undefined && early.length > 0) queueMicrotask(() => early.forEach((e) => this.log(e)));
  }

  /** @internal */
  protected metric(name: PoolMetricName, value: number): void {
    if (this.metricsListeners.size === 0) return;
    emitTo<PoolMetricEvent>(
      this.metricsListeners,
      { name, value, unit: name === 'db.client.connection.timeouts' ? '{timeout}' : 's', attributes: { 'db.client.connection.pool.name': this.poolName } },
      'metrics',
    );
  }

  /** @internal Counts by state, for stats and errors. */
  protected sizes(): { size: number; idle: number; leased: number; connecting: number; waiting: number } {
    let leased = 0;
    for (const s of this.slots.values()) if (s.state === 'leased') leased++;
    return { size: this.slots.size, idle: this.idle.length, leased, connecting: this.connecting, waiting: this.waiters.size };
  }

  private readonly forwardNotice: LogListener = (connection, notice) => {
    if (this.logListeners.size === 0) return;
    this.log({ kind: 'notice', level: 'info', message: notice.message, notice, connection });
  };

  // ------------------------------------------------------------ acquiring

  /** @internal The error for a call on a pool that is closing or closed. */
  protected closedError(): InterfaceError {
    return new InterfaceError(`the pool is ${this.state === 'closing' ? 'closing' : 'closed'}; create a new pool with createPool()`);
  }

  /**
   * @internal A connection for one caller, waiting in line (FIFO) up to
   * `timeout` ms (0 = no limit). The slot comes back in state 'leased'.
   */
  protected acquireSlot(timeout: number, signal: AbortSignal | undefined): Promise<Slot> {
    if (this.state !== 'open') return Promise.reject(this.closedError());
    if (signal?.aborted) return Promise.reject(new AbortError('acquire() was aborted before it started', { cause: signal.reason }));
    const since = performance.now();
    if (this.waiters.size === 0) {
      const s = this.takeIdle();
      if (s !== undefined) {
        if (!this.needsPing(s, since)) {
          this.lend(s, since);
          return Promise.resolve(s);
        }
        this.idle.push(s);
      }
    }
    return new Promise<Slot>((resolve, reject) => {
      const w = new Waiter<Slot>(resolve, reject, since);
      this.waiters.push(w);
      if (timeout > 0) w.timer = setTimeout(() => this.timeOut(w), timeout);
      if (signal !== undefined) {
        const onAbort = () => {
          this.waiters.remove(w);
          w.fail(new AbortError('acquire() was aborted while waiting for a connection', { cause: signal.reason }));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        w.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.pump();
    });
  }

  private timeOut(w: Waiter<Slot>): void {
    if (w.done) return;
    this.waiters.remove(w);
    const now = performance.now();
    const sz = this.sizes();
    let oldest: Slot | undefined;
    for (const s of this.slots.values()) if (s.state === 'leased' && (oldest === undefined || s.leasedAt < oldest.leasedAt)) oldest = s;
    this.counters.timeouts++;
    this.metric('db.client.connection.timeouts', 1);
    w.fail(
      new PoolTimeoutError({
        waited: now - w.since,
        size: sz.size,
        maxSize: this.opts.maxSize,
        inUse: sz.leased,
        connecting: sz.connecting,
        waiting: sz.waiting,
        oldestHeldFor: oldest ? now - oldest.leasedAt : 0,
        oldestAcquiredAt: oldest?.lease?.site,
        lastConnectError: this.lastConnectError,
      }),
    );
  }

  /** Serve waiters from idle connections, then open more if there is demand. */
  private pump(): void {
    while (this.waiters.size > 0) {
      const s = this.takeIdle();
      if (s === undefined) break;
      this.assign(s, this.waiters.shift()!);
    }
    this.grow();
  }

  /** The most recently used idle connection that is still good; bad ones are closed on the way. */
  private takeIdle(): Slot | undefined {
    const now = performance.now();
    while (this.idle.length > 0) {
      const s = this.idle.pop()!;
      if (s.conn.isClosed()) {
        this.drop(s);
        continue;
      }
      if (this.expired(s, now)) {
        void this.retire(s);
        continue;
      }
      return s;
    }
    return undefined;
  }

  private needsPing(s: Slot, now: number): boolean {
    return now - s.idleSince >= this.opts.pingAfterIdle;
  }

  /** @internal Whether a connection is due for replacement (lifetime, expireConnections(), maxQueries). */
  protected expired(s: Slot, now: number): boolean {
    return s.generation !== this.generation || now >= s.expiresAt || (this.opts.maxQueries > 0 && s.queries >= this.opts.maxQueries);
  }

  private assign(s: Slot, w: Waiter<Slot>): void {
    if (!this.needsPing(s, performance.now())) {
      this.lend(s, w.since, w);
      return;
    }
    s.state = 'checking';
    bounded(s.conn.execute('SELECT 1'), this.opts.pingTimeout, s.conn, 'the health check (SELECT 1) of an idle connection').then(
      () => {
        if (w.done) this.makeIdle(s);
        else this.lend(s, w.since, w);
      },
      (e: unknown) => {
        s.conn.terminate();
        this.drop(s);
        this.log({ kind: 'connection-lost', level: 'warning', message: `an idle connection failed its health check and was replaced: ${errorText(e)}`, error: asError(e) });
        if (!w.done) this.waiters.unshift(w);
        this.pump();
      },
    );
  }

  private lend(s: Slot, since: number, w?: Waiter<Slot>): void {
    s.state = 'leased';
    s.leasedAt = performance.now();
    if (w !== undefined && !w.serve(s)) {
      this.makeIdle(s);
      return;
    }
    this.counters.acquires++;
    this.metric('db.client.connection.wait_time', (s.leasedAt - since) / 1000);
  }

  private makeIdle(s: Slot): void {
    if (s.staleStatements) this.clearStatements(s);
    s.state = 'idle';
    s.lease = undefined;
    s.idleSince = performance.now();
    this.idle.push(s);
    this.pump();
  }

  // ------------------------------------------------------------ growing

  private grow(): void {
    if (this.state !== 'open') return;
    const open = this.slots.size + this.connecting;
    const backingOff = this.retryTimer !== undefined;
    const forMin = backingOff ? 0 : this.opts.minSize - open;
    const forCallers = backingOff && this.retryTransient ? 0 : this.waiters.size - this.connecting;
    let n = Math.min(Math.max(forMin, forCallers), this.opts.maxSize - open);
    while (n-- > 0) this.connectOne();
  }

  private connectOne(): void {
    this.connecting++;
    const started = performance.now();
    this.openSlot().then(
      (s) => {
        this.connecting--;
        this.retryDelay = 0;
        this.counters.created++;
        this.metric('db.client.connection.create_time', (performance.now() - started) / 1000);
        if (this.state !== 'open') void this.retire(s);
        else this.makeIdle(s);
      },
      (e: unknown) => {
        this.connecting--;
        this.counters.connectErrors++;
        this.connectFailed(asError(e));
        this.notifyEmpty();
      },
    );
  }

  /** @internal Open, check and initialise one connection, and register it. */
  protected async openSlot(): Promise<Slot> {
    const conn = await connectWithConfig(this.config);
    try {
      if (!this.capacityChecked && this.opts.checkServerCapacity) {
        this.capacityChecked = true;
        await this.checkCapacity(conn);
      }
      if (this.opts.init !== undefined) await this.opts.init(conn);
    } catch (e) {
      conn.terminate();
      throw e;
    }
    const now = performance.now();
    const life = this.opts.maxLifetime > 0 ? this.opts.maxLifetime - Math.random() * this.opts.maxLifetimeJitter : Infinity;
    const s = new Slot(conn, now + life, this.generation);
    this.slots.set(conn, s);
    conn.addTerminationListener((_c, err) => this.lost(s, err));
    conn.addLogListener(this.forwardNotice);
    return s;
  }

  private async checkCapacity(conn: Connection): Promise<void> {
    try {
      const c = await serverCapacity(conn);
      const w = c && capacityWarning(this.opts.maxSize, c, `the server at ${this.config.hosts[0]?.host ?? '?'}:${this.config.hosts[0]?.port ?? '?'}`);
      if (c && w) this.log({ kind: 'sizing', level: 'warning', message: w, maxSize: this.opts.maxSize, available: c.available });
    } catch {
      // Only advice: a server that cannot answer (permissions, an unusual server) still gets its pool.
    }
  }

  /**
   * A connection could not be opened. "Too many clients" (53300) and
   * "cannot connect now" (57P03) are retried with backoff while callers
   * wait (their timeout message says why). Any other error goes to the
   * caller waiting longest, at once; with nobody waiting it is logged and
   * retried with backoff.
   */
  private connectFailed(e: Error): void {
    this.lastConnectError = e;
    if (this.state !== 'open') return;
    const transient = isTransient(e);
    if (!transient) {
      const w = this.waiters.shift();
      if (w !== undefined) {
        w.fail(e);
        this.pump();
        return;
      }
    }
    this.log({ kind: 'connect-error', level: 'warning', message: `the pool could not open a connection (retrying): ${e.message}`, error: e });
    if (this.retryTimer !== undefined) return;
    this.retryTransient = transient;
    const cap = transient && this.waiters.size > 0 ? 2000 : 30_000;
    this.retryDelay = Math.min(cap, this.retryDelay === 0 ? 50 : this.retryDelay * 2);
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        this.pump();
      },
      this.retryDelay / 2 + (Math.random() * this.retryDelay) / 2,
    );
    this.retryTimer.unref();
  }

  // ------------------------------------------------------------ losing and closing connections

  /** The connection closed by itself (server restart, pg_terminate_backend, network). */
  private lost(s: Slot, err: Error | undefined): void {
    if (this.slots.get(s.conn) !== s || s.state !== 'idle') return;
    const i = this.idle.indexOf(s);
    if (i !== -1) this.idle.splice(i, 1);
    this.drop(s);
    if (err !== undefined) {
      this.log({ kind: 'connection-lost', level: 'warning', message: `an idle pool connection was lost and will be replaced: ${err.message}`, error: err });
    }
    this.pump();
  }

  /** Forget a connection that is gone or was terminated. */
  private drop(s: Slot): void {
    if (this.slots.get(s.conn) !== s) return;
    this.slots.delete(s.conn);
    s.conn.terminate();
    this.counters.closed++;
    this.notifyEmpty();
  }

  /** Close a connection gracefully and forget it. */
  private retire(s: Slot, options?: { timeout?: number }): Promise<void> {
    if (this.slots.get(s.conn) !== s) return Promise.resolve();
    this.slots.delete(s.conn);
    this.counters.closed++;
    const p = s.conn.close({ timeout: options?.timeout ?? this.opts.resetTimeout }).catch(noop);
    this.closings.add(p);
    void p.then(() => {
      this.closings.delete(p);
      this.notifyEmpty();
    });
    return p;
  }

  private notifyEmpty(): void {
    if (this.slots.size > 0 || this.connecting > 0 || this.closings.size > 0) return;
    for (const w of this.emptyWaiters.splice(0)) w();
  }

  private whenEmpty(): Promise<void> {
    return new Promise((resolve) => {
      this.emptyWaiters.push(resolve);
      this.notifyEmpty();
    });
  }

  // ------------------------------------------------------------ releasing

  /** @internal The connection a lease stands for, if still in the pool. */
  protected slotOf(conn: Connection): Slot | undefined {
    return this.slots.get(conn);
  }

  /** @internal LeaseOwner: end a lease (release, close or terminate through the PoolConnection). */
  releaseLease(lease: Lease, mode: ReleaseMode, closeOptions?: { timeout?: number }): Promise<void> {
    if (lease.released) {
      return Promise.reject(new InterfaceError('this connection was already released to the pool; release each acquired connection once'));
    }
    lease.released = true;
    const unsafe = lease.unsafe;
    const unlistens = lease.undo();
    const s = this.slots.get(lease.conn);
    if (s === undefined || s.lease !== lease) return Promise.resolve();
    s.lease = undefined;
    return this.releaseSlot(s, mode === 'reset' && unsafe ? 'terminate' : mode, closeOptions, unlistens.length > 0 ? Promise.all(unlistens) : undefined);
  }

  /**
   * @internal Take a connection back: reset it and make it idle, or close
   * it. `after` is work still running on it (a shortcut's query): the reset
   * is queued behind it at once, so it rides in the same flight, and the
   * reset's time limit starts when that work is done.
   */
  protected releaseSlot(s: Slot, mode: ReleaseMode, closeOptions?: { timeout?: number }, after?: Promise<unknown>): Promise<void> {
    this.metric('db.client.connection.use_time', (performance.now() - s.leasedAt) / 1000);
    if (this.slots.get(s.conn) !== s) return Promise.resolve();
    if (mode === 'terminate' || s.conn.isClosed()) {
      this.drop(s);
      this.pump();
      return Promise.resolve();
    }
    if (mode === 'close' || this.state !== 'open' || this.expired(s, performance.now())) {
      const p = this.retire(s, closeOptions);
      this.pump();
      return p;
    }
    s.state = 'resetting';
    return this.reset(s, after)
      .then(() => {
        if (s.conn.isClosed()) throw new InterfaceError('the connection closed during the reset');
        if (s.conn.isInTransaction()) throw new InterfaceError('the reset left the connection inside a transaction');
        this.noteInvalidations(s);
        if (this.state === 'open') this.makeIdle(s);
        else void this.retire(s);
      })
      .catch((e: unknown) => {
        this.drop(s);
        this.log({ kind: 'connection-lost', level: 'warning', message: `a released connection could not be reset and was closed: ${errorText(e)}`, error: asError(e) });
        this.pump();
      });
  }

  /**
   * A schema change invalidated a cached statement on this connection (it
   * forgot it and, outside a transaction, retried): the other connections
   * most likely hold the same stale statement, so they forget their caches
   * too, at once when idle, else once they are back. Inside a transaction
   * the next caller would otherwise meet the error again on each connection.
   */
  private noteInvalidations(s: Slot): void {
    const n = s.conn.getStatementCacheStats().invalidations;
    if (n === s.invalidations) return;
    s.invalidations = n;
    for (const other of this.slots.values()) {
      if (other === s) continue;
      if (other.state === 'idle' || other.state === 'checking') this.clearStatements(other);
      else other.staleStatements = true;
    }
  }

  private clearStatements(s: Slot): void {
    s.staleStatements = false;
    s.conn.clearStatementCache();
    s.invalidations = s.conn.getStatementCacheStats().invalidations;
  }

  private reset(s: Slot, after: Promise<unknown> | undefined): Promise<void> {
    const hook = this.opts.reset;
    if (hook === false) return after === undefined ? Promise.resolve() : after.then(noop, noop);
    const conn = s.conn;
    const run = hook === undefined ? defaultReset(conn) : Promise.resolve().then(() => hook(conn, () => defaultReset(conn)));
    const limit = this.opts.resetTimeout;
    if (after === undefined) return bounded(run, limit, conn, 'the reset of a released connection');
    run.catch(noop);
    return after.then(
      () => bounded(run, limit, conn, 'the reset of a released connection'),
      () => bounded(run, limit, conn, 'the reset of a released connection'),
    );
  }

  // ------------------------------------------------------------ upkeep

  private housekeep(): void {
    if (this.state !== 'open') return;
    const now = performance.now();
    const o = this.opts;
    for (const s of [...this.idle]) {
      const inactive = o.maxInactiveConnectionLifetime > 0 && now - s.idleSince > o.maxInactiveConnectionLifetime && this.slots.size > o.minSize;
      if (!s.conn.isClosed() && !this.expired(s, now) && !inactive) continue;
      this.idle.splice(this.idle.indexOf(s), 1);
      if (s.conn.isClosed()) this.drop(s);
      else void this.retire(s);
    }
    if (o.leakDetectionThreshold > 0) {
      for (const s of this.slots.values()) {
        const lease = s.lease;
        if (s.state !== 'leased' || lease === undefined || lease.leakReported || now - s.leasedAt < o.leakDetectionThreshold) continue;
        lease.leakReported = true;
        const heldFor = Math.round(now - s.leasedAt);
        this.log({
          kind: 'leak',
          level: 'warning',
          message:
            `a pool connection has been held for ${heldFor} ms (leakDetectionThreshold ${o.leakDetectionThreshold} ms) and not released` +
            (lease.site !== undefined ? `; it was acquired at:\n${lease.site}` : ''),
          heldFor,
          acquiredAt: lease.site,
          connection: s.conn,
        });
      }
    }
    this.pump();
    this.tick();
  }

  /**
   * @internal Mark every connection for replacement: idle ones close now,
   * those in use close when released.
   */
  protected expireAll(): void {
    this.generation++;
    for (const s of this.idle.splice(0)) void this.retire(s);
    this.pump();
  }

  /** @internal Open minSize connections; rejects with the first failure. */
  protected async fill(): Promise<void> {
    const n = this.opts.minSize;
    this.connecting += n;
    const results = await Promise.allSettled(Array.from({ length: n }, () => this.openSlot()));
    this.connecting -= n;
    let failed: unknown;
    for (const r of results) {
      if (r.status === 'rejected') {
        failed ??= r.reason;
        continue;
      }
      this.counters.created++;
      this.idle.push(r.value);
    }
    if (failed !== undefined) throw asError(failed);
  }

  // ------------------------------------------------------------ shutdown

  /** @internal Close gracefully; see Pool.close(). */
  protected shutdown(timeout: number | undefined): Promise<void> {
    if (this.closingPromise !== undefined) return this.closingPromise;
    if (this.state === 'closed') return Promise.resolve();
    this.state = 'closing';
    this.stopTimers();
    for (const w of this.waiters.drain()) w.fail(this.closedError());
    const extras = this.stopExtras(true);
    for (const s of this.idle.splice(0)) void this.retire(s);
    const emptied = this.whenEmpty();
    let timer: NodeJS.Timeout | undefined;
    const done = timeout === undefined ? emptied : Promise.race([emptied, new Promise<void>((r) => (timer = setTimeout(r, timeout)))]);
    this.closingPromise = done.then(async () => {
      if (timer !== undefined) clearTimeout(timer);
      for (const s of [...this.slots.values()]) this.drop(s);
      await extras;
      this.state = 'closed';
    });
    return this.closingPromise;
  }

  /** @internal Close at once; see Pool.terminate(). */
  protected terminateAll(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.stopTimers();
    for (const w of this.waiters.drain()) w.fail(this.closedError());
    void this.stopExtras(false);
    this.idle.length = 0;
    for (const s of [...this.slots.values()]) this.drop(s);
  }

  private stopTimers(): void {
    clearInterval(this.housekeeper);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
