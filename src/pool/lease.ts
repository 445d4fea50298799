/**
 * What `pool.acquire()` hands out: a proxy of the pooled Connection that
 * stops working the moment it is released (so a stale reference cannot run
 * a query on a connection another caller now holds), releases instead of
 * closing under `await using`, and remembers the listeners and transactions
 * added through it, so release can undo them.
 */
import { InterfaceError } from '../errors/client.js';
import type { Connection, LogListener, TerminationListener } from '../connection/connection.js';
import type { NotificationListener, QueryLogger } from '../connection/listeners.js';
import type { Transaction, TransactionBlockOptions, TransactionOptions } from '../connection/transaction.js';

/** A connection lent by a pool. It is a Connection in every respect but these: */
export type PoolConnection = Connection & {
  /** Give the connection back to its pool (the same as `pool.release(conn)`). After this, every use throws. */
  release(): Promise<void>;
  /** `await using conn = await pool.acquire()` releases the connection at the end of the block. */
  [Symbol.asyncDispose](): Promise<void>;
};

/** How a lease ends. */
export type ReleaseMode = 'reset' | 'close' | 'terminate';

/** The pool side of a lease. */
export interface LeaseOwner {
  /** Take the connection back; rejects with InterfaceError when this lease was already released. */
  releaseLease(lease: Lease, mode: ReleaseMode, closeOptions?: { timeout?: number }): Promise<void>;
}

/** The key under which a PoolConnection gives away its lease (to its pool). */
export const LEASE = Symbol('pgjet.pool.lease');

/** Methods that run a statement, counted toward maxQueries. */
const COUNTED = new Set<PropertyKey>([
  'fetch',
  'fetchRow',
  'fetchVal',
  'execute',
  'executeMany',
  'prepare',
  'cursor',
  'batch',
  'copyRecordsToTable',
  'copyToTable',
  'copyFromTable',
  'copyFromQuery',
]);

/** What the lessee added to the connection, to be removed on release. */
interface Added {
  log: Set<LogListener>;
  termination: Set<TerminationListener>;
  channels: [string, NotificationListener][];
  queryLoggers: Set<QueryLogger>;
}

/** A function property of a Connection, called with the connection as `this`. */
type Method = (...args: unknown[]) => unknown;

/**
 * One loan of one pooled connection. It is the proxy's handler, so the
 * proxy costs one object per acquire.
 */
export class Lease implements ProxyHandler<Connection> {
  released = false;
  /** When the connection was handed out (performance.now()). */
  readonly acquiredAt: number;
  /** Stack of the acquire, with leak detection on. */
  readonly site: string | undefined;
  leakReported = false;
  private added: Added | undefined;
  private transactions: Transaction[] | undefined;
  private openBlocks = 0;
  private own: Map<PropertyKey, unknown> | undefined;
  private proxyValue: PoolConnection | undefined;

  constructor(
    /** The pool that lent the connection. */
    readonly owner: LeaseOwner,
    /** The pooled connection. */
    readonly conn: Connection,
    /** Bound methods of `conn`, shared by all its leases. */
    private readonly bound: Map<PropertyKey, Method>,
    private readonly countQuery: () => void,
    acquiredAt: number,
    site: string | undefined,
  ) {
    this.acquiredAt = acquiredAt;
    this.site = site;
  }

  /** The PoolConnection the caller gets. */
  get proxy(): PoolConnection {
    return (this.proxyValue ??= new Proxy(this.conn, this) as PoolConnection);
  }

  /** @internal Proxy trap. */
  get(target: Connection, prop: PropertyKey): unknown {
    if (prop === LEASE) return this;
    if (this.released) return this.afterRelease(prop);
    const own = this.ownMethod(prop);
    if (own !== undefined) return own;
    const value: unknown = Reflect.get(target, prop, target);
    if (typeof value !== 'function') return value;
    if (COUNTED.has(prop)) this.countQuery();
    let fn = this.bound.get(prop);
    if (fn === undefined) {
      fn = (value as Method).bind(target) as Method;
      this.bound.set(prop, fn);
    }
    return fn;
  }

  /** @internal Proxy trap: writes through a released connection fail like reads. */
  set(target: Connection, prop: PropertyKey, value: unknown): boolean {
    if (this.released) throw this.releasedError(prop);
    return Reflect.set(target, prop, value, target);
  }

  /**
   * True when the lessee left the connection where a reset cannot put it
   * right: a managed transaction still open (its client-side state would
   * mislead the next lessee).
   */
  get unsafe(): boolean {
    if (this.openBlocks > 0) return true;
    return this.transactions?.some((t) => t.state === 'started') ?? false;
  }

  /** Remove every listener and logger the lessee added; returns the UNLISTENs, pipelined with the reset. */
  undo(): Promise<void>[] {
    const a = this.added;
    if (a === undefined) return [];
    this.added = undefined;
    const c = this.conn;
    for (const fn of a.log) c.removeLogListener(fn);
    for (const fn of a.termination) c.removeTerminationListener(fn);
    for (const fn of a.queryLoggers) c.removeQueryLogger(fn);
    if (c.isClosed()) return [];
    return a.channels.map(([channel, fn]) => c.removeListener(channel, fn).catch(() => undefined));
  }

  private get adds(): Added {
    return (this.added ??= { log: new Set(), termination: new Set(), channels: [], queryLoggers: new Set() });
  }

  private afterRelease(prop: PropertyKey): unknown {
    // A released connection may still be returned from an async function or inspected.
    if (prop === 'then' || prop === Symbol.toPrimitive || prop === Symbol.toStringTag) return undefined;
    if (prop === Symbol.asyncDispose) return () => Promise.resolve();
    if (prop === 'release') return () => this.owner.releaseLease(this, 'reset');
    throw this.releasedError(prop);
  }

  private releasedError(prop: PropertyKey): InterfaceError {
    return new InterfaceError(
      `cannot use ${typeof prop === 'string' ? `${prop}() of ` : ''}a pool connection after it was released; ` +
        'acquire a connection again (pool.acquire()) or use the pool shortcuts (pool.fetch(), ...)',
    );
  }

  /** The lease's own versions of some methods, made on first use. */
  private ownMethod(prop: PropertyKey): unknown {
    switch (prop) {
      case 'release':
      case Symbol.asyncDispose:
      case 'close':
      case 'terminate':
      case 'transaction':
      case 'addLogListener':
      case 'removeLogListener':
      case 'addTerminationListener':
      case 'removeTerminationListener':
      case 'addListener':
      case 'removeListener':
      case 'addQueryLogger':
      case 'removeQueryLogger':
        break;
      default:
        return undefined;
    }
    const own = (this.own ??= new Map());
    let fn = own.get(prop);
    if (fn === undefined) {
      fn = this.makeOwn(prop);
      own.set(prop, fn);
    }
    return fn;
  }

  private makeOwn(prop: PropertyKey): unknown {
    const c = this.conn;
    switch (prop) {
      case 'release':
      case Symbol.asyncDispose:
        return () => this.owner.releaseLease(this, 'reset');
      case 'close':
        return (options?: { timeout?: number }) => this.owner.releaseLease(this, 'close', options);
      case 'terminate':
        return () => {
          this.owner.releaseLease(this, 'terminate').catch(() => undefined);
        };
      case 'transaction':
        return (a?: unknown, b?: TransactionBlockOptions) => {
          if (typeof a === 'function') {
            this.countQuery();
            const fn = a as (conn: Connection) => unknown;
            this.openBlocks++;
            const done = () => {
              this.openBlocks--;
            };
            // The callback gets the pool connection, not the bare one it wraps.
            const p = c.transaction(() => fn(this.proxy), b);
            p.then(done, done);
            return p;
          }
          const tx = c.transaction(a as TransactionOptions | undefined);
          (this.transactions ??= []).push(tx);
          return tx;
        };
      case 'addLogListener':
        return (fn: LogListener) => {
          this.adds.log.add(fn);
          c.addLogListener(fn);
        };
      case 'removeLogListener':
        return (fn: LogListener) => {
          this.added?.log.delete(fn);
          c.removeLogListener(fn);
        };
      case 'addTerminationListener':
        return (fn: TerminationListener) => {
          this.adds.termination.add(fn);
          c.addTerminationListener(fn);
        };
      case 'removeTerminationListener':
        return (fn: TerminationListener) => {
          this.added?.termination.delete(fn);
          c.removeTerminationListener(fn);
        };
      case 'addListener':
        return (channel: string, fn: NotificationListener) => {
          this.adds.channels.push([channel, fn]);
          return c.addListener(channel, fn);
        };
      case 'removeListener':
        return (channel: string, fn?: NotificationListener) => {
          if (this.added !== undefined) {
            this.added.channels = this.added.channels.filter(([ch, f]) => ch !== channel || (fn !== undefined && f !== fn));
          }
          return c.removeListener(channel, fn);
        };
      case 'addQueryLogger':
        return (fn: QueryLogger) => {
          c.addQueryLogger(fn);
          this.adds.queryLoggers.add(fn);
        };
      case 'removeQueryLogger':
        return (fn: QueryLogger) => {
          this.added?.queryLoggers.delete(fn);
          c.removeQueryLogger(fn);
        };
      default:
        return undefined;
    }
  }
}

/** The lease behind a PoolConnection, or undefined for anything else. */
export function leaseOf(conn: unknown): Lease | undefined {
  if (conn === null || typeof conn !== 'object') return undefined;
  const l = (conn as Record<symbol, unknown>)[LEASE];
  return l instanceof Lease ? l : undefined;
}
