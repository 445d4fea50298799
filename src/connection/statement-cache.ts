/**
 * The per-connection LRU cache of prepared statements, keyed by SQL text.
 * An entry holds the promise of its preparation, so concurrent first calls
 * of the same SQL share one Parse, and the settled StatementInfo, so a hit
 * needs no await at all.
 */
import type { StatementInfo } from './statement.js';

/** One cached statement. */
export interface CacheEntry {
  readonly sql: string;
  readonly promise: Promise<StatementInfo>;
  /** Set once the statement is described. */
  info: StatementInfo | undefined;
}

/** Counters reported by getStatementCacheStats(). */
export interface CacheCounters {
  hits: number;
  misses: number;
  evictions: number;
  expirations: number;
  invalidations: number;
}

/** LRU over a Map: iteration order is insertion order, so a hit re-inserts. */
export class StatementCache {
  private readonly map = new Map<string, CacheEntry>();
  readonly counters: CacheCounters = { hits: 0, misses: 0, evictions: 0, expirations: 0, invalidations: 0 };

  constructor(
    readonly capacity: number,
    /** Milliseconds an entry lives; 0 = forever. */
    private readonly lifetime: number,
    /** Longest SQL (in bytes) worth caching. */
    private readonly maxSqlBytes: number,
  ) {}

  /** Whether `sql` may be cached at all. */
  cacheable(sql: string): boolean {
    if (this.capacity === 0) return false;
    // A UTF-8 byte count is at most 3 per UTF-16 unit: skip counting when clearly short.
    if (sql.length * 3 <= this.maxSqlBytes) return true;
    return Buffer.byteLength(sql) <= this.maxSqlBytes;
  }

  /**
   * The live entry for `sql`, counting a hit or a miss. An entry past its
   * lifetime is removed and handed to `onExpired` so its statement can be closed.
   */
  lookup(sql: string, onExpired: (e: CacheEntry) => void): CacheEntry | undefined {
    const e = this.map.get(sql);
    if (e === undefined) {
      this.counters.misses++;
      return undefined;
    }
    if (this.lifetime > 0 && e.info !== undefined && Date.now() - e.info.createdAt > this.lifetime) {
      this.map.delete(sql);
      this.counters.expirations++;
      this.counters.misses++;
      onExpired(e);
      return undefined;
    }
    this.counters.hits++;
    this.map.delete(sql);
    this.map.set(sql, e);
    return e;
  }

  /** Whether `sql` has an entry (live or past its lifetime); counts nothing and moves nothing. */
  has(sql: string): boolean {
    return this.map.has(sql);
  }

  /** Insert; returns the entries evicted to make room. */
  insert(e: CacheEntry): CacheEntry[] {
    this.map.set(e.sql, e);
    const evicted: CacheEntry[] = [];
    while (this.map.size > this.capacity) {
      const oldest = this.map.values().next().value as CacheEntry;
      this.map.delete(oldest.sql);
      this.counters.evictions++;
      evicted.push(oldest);
    }
    return evicted;
  }

  /** Remove `sql` only if it still maps to `e`. */
  remove(e: CacheEntry): boolean {
    if (this.map.get(e.sql) !== e) return false;
    this.map.delete(e.sql);
    return true;
  }

  /** Remove the entry whose statement is `info`; true if it was there. */
  removeStatement(info: StatementInfo): boolean {
    const e = this.map.get(info.sql);
    if (e === undefined || e.info !== info) return false;
    this.map.delete(info.sql);
    this.counters.invalidations++;
    return true;
  }

  /** Every entry, oldest first. */
  entries(): CacheEntry[] {
    return [...this.map.values()];
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
