/**
 * Which server-side statement a call runs, and how it got there. In `named`
 * mode statements are prepared once and cached (LRU); in `unnamed` mode
 * nothing outlives a single Sync: each execution carries its own Parse of
 * the unnamed statement, and only the description (parameter and column
 * types) is remembered client-side. `unnamed` is what works behind PgBouncer
 * in transaction pooling mode; `auto` starts named and switches when the
 * server shows that statements vanish or collide.
 */
import { randomBytes } from 'node:crypto';
import { PostgresWarning } from '../errors/sqlstate.generated.js';
import type { PostgresLogMessage } from '../errors/postgres-error.js';
import type { StatementMode } from '../config/options.js';
import { writeClose, writeDescribe, writeParse, writeSync } from '../protocol/frontend.js';
import type { TypeRegistry } from '../types/registry.js';
import type { CallControl, ConnectionCore } from './core.js';
import { PrepareRequest, Settle } from './requests.js';
import type { Described } from './requests.js';
import { StatementCache } from './statement-cache.js';
import type { CacheCounters, CacheEntry } from './statement-cache.js';
import { StatementInfo } from './statement.js';

/** Options of the statement manager. */
export interface StatementOptions {
  cacheSize: number;
  lifetime: number;
  maxSqlBytes: number;
  mode: StatementMode;
}

/** Statement cache counters plus the mode in force. */
export interface StatementCacheStats extends CacheCounters {
  size: number;
  capacity: number;
  mode: 'named' | 'unnamed';
}

/** Hook to resolve unknown type OIDs before a description becomes a StatementInfo. */
export type DescriptionHook = (d: Described) => Promise<void> | void;

/** The cache entry of a statement whose first run is in flight, settled by that run. */
export interface FirstRunSlot {
  readonly sql: string;
  /** The server-side name it is parsed under ('' in unnamed mode). */
  readonly name: string;
  resolve(info: StatementInfo): void;
  reject(err: Error): void;
}

/** Prepares, caches and forgets statements for one connection. */
export class StatementManager {
  mode: 'named' | 'unnamed';
  private readonly auto: boolean;
  private readonly cache: StatementCache;
  /** Distinguishes this connection's names from any other's on a shared (pooled) server session. */
  private readonly prefix = `pgjet_${randomBytes(4).toString('hex')}_`;
  private nextId = 0;
  /** Called with each fresh description (type resolution hooks in here). */
  describeHook: DescriptionHook | undefined;

  constructor(
    private readonly core: ConnectionCore,
    private readonly registry: TypeRegistry,
    options: StatementOptions,
    private readonly log: (m: PostgresLogMessage) => void,
  ) {
    this.mode = options.mode === 'unnamed' ? 'unnamed' : 'named';
    this.auto = options.mode === 'auto';
    this.cache = new StatementCache(options.cacheSize, options.lifetime, options.maxSqlBytes);
  }

  /** The statement for `sql`: synchronously when cached and ready, else a promise. */
  get(sql: string, ctl: CallControl): StatementInfo | Promise<StatementInfo> {
    if (!this.cache.cacheable(sql)) return this.describeNew(sql, ctl, this.mode === 'named' ? this.newName('s') : '');
    const hit = this.cache.lookup(sql, (e) => this.closeEntry(e));
    if (hit) {
      if (hit.info && !hit.info.closed) return hit.info;
      return hit.promise.then((s) => (s.closed ? this.get(sql, ctl) : s));
    }
    const name = this.mode === 'named' ? this.newName('s') : '';
    const entry: CacheEntry = { sql, promise: this.describeNew(sql, ctl, name), info: undefined };
    entry.promise.then(
      (s) => {
        entry.info = s;
      },
      // A failed prepare must not stay cached.
      () => this.cache.remove(entry),
    );
    for (const old of this.cache.insert(entry)) this.closeEntry(old);
    return entry.promise;
  }

  /** Whether `sql` is cacheable and not in the cache: a candidate for a one-flight first run. */
  isNew(sql: string): boolean {
    return this.cache.cacheable(sql) && !this.cache.has(sql);
  }

  /**
   * Take the cache slot for `sql` for a first run that parses, describes
   * and executes in one flight. Undefined when `sql` is cached already (or
   * being prepared) or is not cacheable; then the usual path applies.
   */
  reserveFirstRun(sql: string): FirstRunSlot | undefined {
    if (!this.isNew(sql)) return undefined;
    // Counts the miss (and drops an expired entry, closing it).
    this.cache.lookup(sql, (e) => this.closeEntry(e));
    const name = this.mode === 'named' ? this.newName('s') : '';
    let resolve!: (info: StatementInfo) => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<StatementInfo>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: CacheEntry = { sql, promise, info: undefined };
    promise.then(
      (s) => {
        entry.info = s;
      },
      () => this.cache.remove(entry),
    );
    for (const old of this.cache.insert(entry)) this.closeEntry(old);
    return { sql, name, resolve, reject };
  }

  /**
   * The StatementInfo for a description, built at once when every parameter
   * and column type has a codec and every column a binary one (the rows of
   * a first run can then be decoded as they arrive); else undefined.
   */
  readyInfo(name: string, sql: string, d: Described): StatementInfo | undefined {
    for (const oid of d.parameterOids) if (oid !== 0 && !this.registry.has(oid)) return undefined;
    if (d.fields !== null) {
      for (const f of d.fields) if (this.registry.get(f.dataTypeOid)?.format !== 1) return undefined;
    }
    return new StatementInfo(name, sql, d.parameterOids, d.fields, this.registry);
  }

  /** The StatementInfo for a description, once every type in it has a codec. */
  async describedInfo(name: string, sql: string, d: Described): Promise<StatementInfo> {
    if (this.describeHook) await this.describeHook(d);
    return new StatementInfo(name, sql, d.parameterOids, d.fields, this.registry);
  }

  /** Prepare a statement outside the cache (conn.prepare()); named unless in unnamed mode. */
  prepareExplicit(sql: string, ctl: CallControl): Promise<StatementInfo> {
    return this.describeNew(sql, ctl, this.mode === 'named' ? this.newName('p') : '');
  }

  /** Whether the statement is dropped after one use (not cached, named mode). */
  isTemporary(stmt: StatementInfo): boolean {
    return stmt.name.startsWith(this.prefix + 's') && !this.cache.cacheable(stmt.sql);
  }

  /**
   * Forget a statement the server no longer accepts (its plan's result type
   * changed, or it vanished): drop it from the cache and close it on the server.
   */
  forget(stmt: StatementInfo): void {
    this.cache.removeStatement(stmt);
    if (stmt.name !== '' && !stmt.closed) {
      stmt.closed = true;
      this.core.writeRaw((w) => writeClose(w, 'S', stmt.name));
    }
    stmt.closed = true;
  }

  /**
   * The server reported a named statement missing (26000) or duplicated
   * (42P05): a transaction-pooling proxy is in front. Switch to unnamed
   * statements for good and say so once. Returns false when the mode is
   * fixed to `named`, so the caller surfaces the error instead.
   */
  switchToUnnamed(reason: string): boolean {
    if (this.mode === 'unnamed') return true;
    if (!this.auto) return false;
    this.mode = 'unnamed';
    for (const e of this.cache.entries()) if (e.info) e.info.closed = true;
    this.cache.clear();
    this.log(
      new PostgresWarning({
        S: 'WARNING',
        V: 'WARNING',
        C: '01000',
        M: `pgjet switched this connection to unnamed statements: ${reason}`,
        H: 'This happens behind PgBouncer in transaction or statement pooling mode. Set statementMode: "unnamed" to start that way.',
      }),
    );
    return true;
  }

  /**
   * Codecs changed (setTypeCodec, reloadSchemaState): forget every cached
   * statement, closing it on the server, so its next use is described again
   * with the new codecs.
   */
  forgetAll(): void {
    for (const e of this.cache.entries()) this.closeEntry(e);
    this.cache.clear();
  }

  stats(): StatementCacheStats {
    return { ...this.cache.counters, size: this.cache.size, capacity: this.cache.capacity, mode: this.mode };
  }

  private newName(kind: 's' | 'p'): string {
    return `${this.prefix}${kind}${this.nextId++}`;
  }

  private closeEntry(e: CacheEntry): void {
    e.promise.then(
      (s) => {
        if (s.closed || s.name === '') return;
        s.closed = true;
        // No Sync: the Close rides with the next request's flight.
        this.core.writeRaw((w) => writeClose(w, 'S', s.name));
      },
      () => undefined,
    );
  }

  /** Parse + Describe(Statement) + Sync, then build the StatementInfo. */
  private describeNew(sql: string, ctl: CallControl, name: string): Promise<StatementInfo> {
    return new Promise<Described>((resolve, reject) => {
      const req = new PrepareRequest(new Settle(resolve, reject), sql);
      try {
        this.core.enqueue(req, (w) => {
          writeParse(w, name, sql, []);
          writeDescribe(w, 'S', name);
          writeSync(w);
        });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      ctl.request = req;
    }).then((d) => this.describedInfo(name, sql, d));
  }
}
