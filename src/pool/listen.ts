/**
 * pool.listen(): LISTEN on one dedicated connection, outside the pool's
 * count, that survives. When the connection is lost it reconnects with
 * backoff, LISTENs on every channel again, and tells each subscriber that
 * notifications sent in between may have been missed (NOTIFY is not
 * queued for a session that is gone). A heartbeat finds a connection that
 * died silently.
 */
import { performance } from 'node:perf_hooks';
import { InterfaceError } from '../errors/client.js';
import type { Connection } from '../connection/connection.js';
import type { NotificationInfo, NotificationListener } from '../connection/listeners.js';
import type { PoolLogEvent } from './events.js';

/** What a subscriber learns after a reconnect. */
export interface ListenGap {
  /** The channel. */
  channel: string;
  /** When the connection was found lost. */
  lostAt: Date;
  /** When LISTEN was in effect again. */
  restoredAt: Date;
  /** Why the connection was lost, when known. */
  error: Error | undefined;
}

/** A handler with a gap callback, called after each reconnect. */
export interface ListenHandlerObject {
  /** Called for each notification on the channel. */
  onNotification: NotificationListener;
  /** Called after a reconnect: notifications sent while the connection was down were missed. */
  onGap?: (gap: ListenGap) => void;
}

/** A notification callback, or an object with a gap callback as well. */
export type ListenHandler = NotificationListener | ListenHandlerObject;

/** How often the LISTEN connection is checked when nothing else happens on it. */
const HEARTBEAT_MS = 30_000;
/** A heartbeat that takes longer ends the connection (and starts a reconnect). */
const HEARTBEAT_TIMEOUT_MS = 10_000;
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 10_000;

function warn(what: string, e: unknown): void {
  process.emitWarning(`pgjet: ${what} threw: ${e instanceof Error ? e.message : String(e)}`);
}

/** One pool.listen() registration. */
export class ListenSubscription {
  private active = true;

  /** @internal Made by pool.listen(). */
  constructor(
    private readonly owner: PoolListener,
    /** The channel. */
    readonly channel: string,
    private readonly handler: ListenHandler,
  ) {}

  /** True until unlisten(). */
  get listening(): boolean {
    return this.active;
  }

  /** Stop receiving notifications; the last subscriber of a channel sends UNLISTEN. */
  unlisten(): Promise<void> {
    if (!this.active) return Promise.resolve();
    this.active = false;
    return this.owner.remove(this);
  }

  /** @internal */
  deliver(payload: string, info: NotificationInfo): void {
    if (!this.active) return;
    const fn = typeof this.handler === 'function' ? this.handler : this.handler.onNotification;
    try {
      const r = fn(payload, info);
      if (r instanceof Promise) r.catch((e: unknown) => warn('a pool.listen() handler', e));
    } catch (e) {
      warn('a pool.listen() handler', e);
    }
  }

  /** @internal */
  gap(gap: ListenGap): void {
    if (!this.active || typeof this.handler === 'function' || this.handler.onGap === undefined) return;
    try {
      this.handler.onGap(gap);
    } catch (e) {
      warn('a pool.listen() gap callback', e);
    }
  }

  /** @internal */
  deactivate(): void {
    this.active = false;
  }
}

/** Check a handler given to pool.listen(). */
export function checkHandler(handler: unknown): asserts handler is ListenHandler {
  if (typeof handler === 'function') return;
  if (handler !== null && typeof handler === 'object' && typeof (handler as ListenHandlerObject).onNotification === 'function') {
    const gap = (handler as ListenHandlerObject).onGap;
    if (gap === undefined || typeof gap === 'function') return;
  }
  throw new InterfaceError('pool.listen(channel, handler): handler must be a function, or { onNotification(payload, info), onGap?(gap) }');
}

/** The dedicated LISTEN connection of one pool. */
export class PoolListener {
  private conn: Connection | undefined;
  private opening: Promise<Connection> | undefined;
  private readonly subs = new Map<string, Set<ListenSubscription>>();
  /** One NotificationListener per channel, so a repeated LISTEN adds nothing. */
  private readonly dispatchers = new Map<string, NotificationListener>();
  private closed = false;
  private lostAt: number | undefined;
  private lostError: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delay = 0;
  private lastBeat = performance.now();
  private beating = false;

  constructor(
    private readonly open: () => Promise<Connection>,
    private readonly log: (e: PoolLogEvent) => void,
  ) {}

  /** True while a LISTEN connection is open. */
  get connected(): boolean {
    return this.conn !== undefined && !this.conn.isClosed();
  }

  /** The LISTEN connection, when open (for tests and diagnostics). */
  get connection(): Connection | undefined {
    return this.conn;
  }

  /** Channels with at least one subscriber. */
  get channels(): string[] {
    return [...this.subs.keys()];
  }

  /** Subscribe; resolves once LISTEN is in effect. */
  async add(channel: string, handler: ListenHandler): Promise<ListenSubscription> {
    if (this.closed) throw new InterfaceError('pool.listen(): the pool is closed');
    const sub = new ListenSubscription(this, channel, handler);
    let set = this.subs.get(channel);
    if (set === undefined) {
      set = new Set();
      this.subs.set(channel, set);
    }
    set.add(sub);
    try {
      const conn = await this.connection_();
      await conn.addListener(channel, this.dispatcher(channel));
    } catch (e) {
      sub.deactivate();
      this.forget(sub);
      const conn = this.conn;
      if (this.subs.size === 0 && conn !== undefined) {
        this.conn = undefined;
        await conn.close({ timeout: 1000 }).catch(() => undefined);
      }
      throw e;
    }
    return sub;
  }

  /** @internal Called by ListenSubscription.unlisten(). */
  async remove(sub: ListenSubscription): Promise<void> {
    const last = this.forget(sub);
    const conn = this.conn;
    if (!last || conn === undefined || conn.isClosed()) return;
    const fn = this.dispatchers.get(sub.channel);
    this.dispatchers.delete(sub.channel);
    await conn.removeListener(sub.channel, fn);
    if (this.subs.size === 0 && this.conn === conn) {
      // Nobody listens any more: give the connection back to the server.
      this.conn = undefined;
      await conn.close({ timeout: 1000 });
    }
  }

  /** Drop a subscription; true when it was its channel's last. */
  private forget(sub: ListenSubscription): boolean {
    const set = this.subs.get(sub.channel);
    if (set === undefined || !set.delete(sub)) return false;
    if (set.size > 0) return false;
    this.subs.delete(sub.channel);
    return true;
  }

  private dispatcher(channel: string): NotificationListener {
    let fn = this.dispatchers.get(channel);
    if (fn === undefined) {
      fn = (payload, info) => {
        const set = this.subs.get(channel);
        if (set !== undefined) for (const sub of [...set]) sub.deliver(payload, info);
      };
      this.dispatchers.set(channel, fn);
    }
    return fn;
  }

  /** The open LISTEN connection, opening it (at once, skipping any backoff) when there is none. */
  private connection_(): Promise<Connection> {
    if (this.conn !== undefined && !this.conn.isClosed()) return Promise.resolve(this.conn);
    if (this.opening !== undefined) return this.opening;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const opening = this.connect();
    this.opening = opening;
    const clear = () => {
      if (this.opening === opening) this.opening = undefined;
    };
    opening.then(clear, clear);
    return opening;
  }

  /** Open a connection and LISTEN on every channel. */
  private async connect(): Promise<Connection> {
    const conn = await this.open();
    if (this.closed) {
      conn.terminate();
      throw new InterfaceError('pool.listen(): the pool is closed');
    }
    conn.addTerminationListener((c, err) => this.lost(c, err));
    try {
      await Promise.all([...this.subs.keys()].map((channel) => conn.addListener(channel, this.dispatcher(channel))));
    } catch (e) {
      conn.terminate();
      throw e;
    }
    this.conn = conn;
    this.delay = 0;
    this.lastBeat = performance.now();
    const lostAt = this.lostAt;
    if (lostAt !== undefined) {
      this.lostAt = undefined;
      const error = this.lostError;
      this.lostError = undefined;
      const gap: Omit<ListenGap, 'channel'> = { lostAt: new Date(Date.now() - (performance.now() - lostAt)), restoredAt: new Date(), error };
      this.log({
        kind: 'listen-restored',
        level: 'info',
        message: `the pool.listen() connection is back after ${Math.round(performance.now() - lostAt)} ms; notifications sent meanwhile were missed`,
        error,
      });
      for (const [channel, set] of this.subs) for (const sub of [...set]) sub.gap({ channel, ...gap });
    }
    return conn;
  }

  private lost(conn: Connection, err: Error | undefined): void {
    if (conn !== this.conn) return;
    this.conn = undefined;
    if (this.closed || this.subs.size === 0) return;
    this.lostAt ??= performance.now();
    this.lostError = err;
    this.log({
      kind: 'listen-lost',
      level: 'warning',
      message: `the pool.listen() connection was lost${err ? `: ${err.message}` : ''}; reconnecting`,
      error: err,
    });
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.timer !== undefined || this.opening !== undefined) return;
    this.delay = Math.min(MAX_DELAY_MS, this.delay === 0 ? FIRST_DELAY_MS : this.delay * 2);
    const wait = this.delay / 2 + (Math.random() * this.delay) / 2;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed || this.subs.size === 0) return;
      this.connection_().catch((e: unknown) => {
        this.lostError = e instanceof Error ? e : new Error(String(e));
        this.schedule();
      });
    }, wait);
    this.timer.unref();
  }

  /** Called by the pool's housekeeping: check a connection nothing has used for a while. */
  heartbeat(): void {
    const conn = this.conn;
    if (conn === undefined || this.beating || performance.now() - this.lastBeat < HEARTBEAT_MS) return;
    this.beating = true;
    this.lastBeat = performance.now();
    const t = setTimeout(() => conn.terminate(), HEARTBEAT_TIMEOUT_MS);
    conn.execute('SELECT 1').then(
      () => {
        clearTimeout(t);
        this.beating = false;
      },
      () => {
        clearTimeout(t);
        this.beating = false;
        // The termination listener starts the reconnect.
        conn.terminate();
      },
    );
  }

  /** Stop: close (or terminate) the connection; subscriptions end. */
  async stop(graceful: boolean): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const set of this.subs.values()) for (const sub of set) sub.deactivate();
    this.subs.clear();
    const conn = this.conn;
    this.conn = undefined;
    const opening = this.opening;
    if (opening !== undefined) opening.then((c) => c.terminate(), () => undefined);
    if (conn === undefined) return;
    if (graceful) await conn.close({ timeout: 1000 }).catch(() => undefined);
    else conn.terminate();
  }
}
