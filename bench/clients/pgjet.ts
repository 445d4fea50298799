/**
 * pgjet behind the worker protocol. Features that land in later work (the
 * pool, COPY, cursors, the explicit batch API) are found by feature checks,
 * so the benchmark picks them up as soon as they exist and reports "not
 * implemented yet" until then.
 */
import { readFileSync } from 'node:fs';
import * as pgjet from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import type { WorkloadSpec } from '../lib/workloads.js';
import { makeRecords } from '../lib/workloads.js';
import type { CellPlan, ClientAdapter, NotImplemented } from './adapter.js';
import { checkRows, randomId } from './adapter.js';

type Row = Record<string, unknown>;

/** The pool API (createPool, acquire(fn), close) as the pool work specifies it. */
interface PoolLike {
  acquire<T>(fn: (conn: Connection) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
type CreatePool = (dsn: string, options: { minSize: number; maxSize: number }) => PoolLike | Promise<PoolLike>;

/** COPY of records: copyRecordsToTable(table, { records, columns }). */
type CopyRecords = (table: string, options: { records: Iterable<readonly unknown[]>; columns?: string[] }) => Promise<unknown>;
/** cursor(query) is async-iterable over rows; it needs a transaction. */
type CursorFactory = (query: string | { text: string; args?: unknown[]; prefetch?: number }, ...args: unknown[]) => AsyncIterable<Row>;
/** The explicit batch: conn.batch() collects queries, run() sends them in one flight, one result per query. */
interface BatchLike {
  fetch(sql: string, ...args: unknown[]): BatchLike;
  run(): Promise<unknown[]>;
}
type BatchFactory = () => BatchLike;
/** Managed transaction: transaction(fn). */
type Transaction = <T>(fn: () => Promise<T>) => Promise<T>;

function method<T>(obj: object, name: string): T | undefined {
  const f = (obj as Record<string, unknown>)[name];
  return typeof f === 'function' ? (f.bind(obj) as T) : undefined;
}

function pgjetVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '?';
  } catch {
    return '?';
  }
}

/** The number of rows a batch result stands for: an array of rows, a result with .rows, or one row. */
function resultRows(r: unknown): number {
  if (Array.isArray(r)) return r.length;
  if (r !== null && typeof r === 'object' && Array.isArray((r as { rows?: unknown }).rows)) return (r as { rows: unknown[] }).rows.length;
  return r === null || r === undefined ? 0 : 1;
}

/** The pgjet adapter. */
export async function createAdapter(dsn: string): Promise<ClientAdapter> {
  const createPool = (pgjet as unknown as { createPool?: CreatePool }).createPool;
  const pools = new Map<number, PoolLike>();
  const conns = new Map<number, Connection[]>();

  async function withConn<T>(concurrency: number, w: number, fn: (c: Connection) => Promise<T>): Promise<T> {
    const pool = pools.get(concurrency);
    if (pool) return pool.acquire(fn);
    return fn(conns.get(concurrency)![w]!);
  }

  async function ensure(concurrency: number): Promise<Connection> {
    if (createPool) {
      if (!pools.has(concurrency)) pools.set(concurrency, await createPool(dsn, { minSize: concurrency, maxSize: concurrency }));
      return pools.get(concurrency)!.acquire(async (c) => c);
    }
    if (!conns.has(concurrency)) {
      const list: Connection[] = [];
      for (let i = 0; i < concurrency; i++) list.push(await pgjet.connect(dsn));
      conns.set(concurrency, list);
    }
    return conns.get(concurrency)![0]!;
  }

  const notes = [createPool ? 'pool: createPool' : 'pool: none yet, one dedicated connection per worker'];

  async function plan(spec: WorkloadSpec, concurrency: number): Promise<CellPlan | NotImplemented> {
    // A sample connection tells which features exist; a pool's connection is released at once.
    const sample = await ensure(concurrency);
    switch (spec.kind) {
      case 'query': {
        const { sql, maxId } = spec;
        if (maxId !== undefined) {
          return {
            method: 'fetch (automatic prepared statement)',
            op: (w) => withConn(concurrency, w, (c) => c.fetch(sql, randomId(maxId))).then((rows) => checkRows(spec, rows.length)),
          };
        }
        return {
          method: 'fetch (automatic prepared statement)',
          op: (w) => withConn(concurrency, w, (c) => c.fetch(sql)).then((rows) => checkRows(spec, rows.length)),
        };
      }
      case 'insert-batch': {
        const records = makeRecords(spec.expectRows!, 1);
        return {
          method: 'executeMany (one flight, one Sync)',
          op: (w) => withConn(concurrency, w, (c) => c.executeMany(spec.sql, records)).then(() => records.length),
        };
      }
      case 'copy': {
        if (!method<CopyRecords>(sample, 'copyRecordsToTable')) return { notImplemented: 'copyRecordsToTable' };
        const records = makeRecords(spec.expectRows!, 1);
        return {
          method: 'copyRecordsToTable (binary COPY)',
          op: (w) =>
            withConn(concurrency, w, (c) => method<CopyRecords>(c, 'copyRecordsToTable')!(spec.table!, { records, columns: spec.columns! })).then(
              () => records.length,
            ),
        };
      }
      case 'cursor': {
        if (!method<CursorFactory>(sample, 'cursor')) return { notImplemented: 'cursor' };
        const prefetch = spec.prefetch!;
        const stream = async (c: Connection): Promise<number> => {
          const cursor = method<CursorFactory>(c, 'cursor')!;
          let n = 0;
          let it: AsyncIterable<Row>;
          try {
            it = cursor({ text: spec.sql, prefetch });
          } catch {
            // A cursor() that takes no options object: the default prefetch applies.
            it = cursor(spec.sql);
          }
          for await (const _row of it) n++;
          return n;
        };
        const tx = method<Transaction>(sample, 'transaction');
        return {
          method: `cursor, prefetch ${prefetch}${tx ? ', in transaction()' : ', in BEGIN/COMMIT'}`,
          op: (w) =>
            withConn(concurrency, w, async (c) => {
              const transaction = method<Transaction>(c, 'transaction');
              if (transaction) return transaction(() => stream(c));
              await c.execute('BEGIN');
              try {
                return await stream(c);
              } finally {
                await c.execute('COMMIT');
              }
            }).then((n) => checkRows(spec, n)),
        };
      }
      case 'pipeline': {
        // conn.batch() builds an explicit batch: add queries, then run() sends them in one flight.
        if (!method<BatchFactory>(sample, 'batch')) return { notImplemented: 'explicit batch API (conn.batch())' };
        const n = spec.batch!;
        const maxId = spec.maxId!;
        return {
          method: `conn.batch() with ${n} fetch() calls, run() (one flight)`,
          op: (w) =>
            withConn(concurrency, w, (c) => {
              const b = method<BatchFactory>(c, 'batch')!();
              for (let i = 0; i < n; i++) b.fetch(spec.sql, randomId(maxId));
              return b.run();
            }).then((results) => checkRows(spec, results.reduce<number>((a, r) => a + resultRows(r), 0))),
        };
      }
    }
  }

  async function close(): Promise<void> {
    for (const p of pools.values()) await p.close();
    for (const list of conns.values()) for (const c of list) await c.close();
  }

  return { version: pgjetVersion(), notes, plan, close };
}
