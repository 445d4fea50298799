/**
 * pgjet behind the worker protocol. Features that land in later work (the
 * pool, COPY, cursors, the explicit batch API) are found by feature checks,
 * so the benchmark picks them up as soon as they exist and reports "not
 * implemented yet" until then.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Connection } from '../../src/index.js';
import type { WorkloadSpec } from '../lib/workloads.js';
import { makeRecords } from '../lib/workloads.js';
import type { CellPlan, ClientAdapter, NotImplemented, RoundTripSession } from './adapter.js';
import { checkRows, randomId } from './adapter.js';

type Row = Record<string, unknown>;

/** The pool as the pool work specifies it: createPool, acquire(fn), shortcuts, close. */
interface PoolLike {
  acquire<T>(fn: (conn: Connection) => Promise<T>): Promise<T>;
  fetch?(sql: string, ...args: unknown[]): Promise<Row[]>;
  executeMany?(sql: string, argsList: Iterable<readonly unknown[]>): Promise<void>;
  copyRecordsToTable?: CopyRecords;
  close(): Promise<void>;
}
type CreatePool = (dsn: string, options: { minSize: number; maxSize: number; reset?: false }) => PoolLike | Promise<PoolLike>;

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

/** The pgjet module: this checkout's build, or another one (dist/src/index.js) to compare with. */
type Pgjet = typeof import('../../src/index.js');

function pgjetVersion(entry: URL): string {
  try {
    // entry is <checkout>/dist/src/index.js
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', entry), 'utf8')) as { version?: string };
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

/** The pgjet adapter; `modulePath` loads another build of pgjet instead of this checkout's. */
export async function createAdapter(dsn: string, modulePath?: string): Promise<ClientAdapter> {
  const entry = modulePath ? pathToFileURL(modulePath) : new URL('../../src/index.js', import.meta.url);
  const pgjet = (await import(entry.href)) as Pgjet;
  // PGJET_BENCH_POOL=off measures pgjet without its pool (one connection per worker),
  // =noreset with the pool's reset on release turned off (reset: false).
  const poolMode = process.env['PGJET_BENCH_POOL'] ?? 'on';
  const createPool = poolMode === 'off' ? undefined : (pgjet as unknown as { createPool?: CreatePool }).createPool;
  // Features are looked up on the class: a pool hands out guarded proxies that refuse use after release.
  const proto = pgjet.Connection.prototype as unknown as Record<string, unknown>;
  const has = (name: string) => typeof proto[name] === 'function';
  const pools = new Map<number, PoolLike>();
  const conns = new Map<number, Connection[]>();

  async function ensure(concurrency: number): Promise<void> {
    if (createPool) {
      if (!pools.has(concurrency)) {
        const options = { minSize: concurrency, maxSize: concurrency, ...(poolMode === 'noreset' ? { reset: false as const } : {}) };
        pools.set(concurrency, await createPool(dsn, options));
      }
      return;
    }
    if (!conns.has(concurrency)) {
      const list: Connection[] = [];
      for (let i = 0; i < concurrency; i++) list.push(await pgjet.connect(dsn));
      conns.set(concurrency, list);
    }
  }

  /** Run fn on a connection: acquired from the pool for this call, or worker w's own. */
  function withConn<T>(concurrency: number, w: number, fn: (c: Connection) => Promise<T>): Promise<T> {
    const pool = pools.get(concurrency);
    if (pool) return pool.acquire(fn);
    return fn(conns.get(concurrency)![w]!);
  }

  const notes = [
    createPool
      ? `pool: createPool, shortcuts (pool.fetch ...) where they exist${poolMode === 'noreset' ? ', no reset on release' : ''}`
      : 'pool: none, one dedicated connection per worker',
  ];
  if (modulePath) notes.push(`build: ${modulePath}`);

  async function plan(spec: WorkloadSpec, concurrency: number): Promise<CellPlan | NotImplemented> {
    await ensure(concurrency);
    const pool = pools.get(concurrency);
    const via = pool ? 'pool.' : 'conn.';
    switch (spec.kind) {
      case 'query': {
        const { sql, maxId } = spec;
        const fetch: (w: number, args: unknown[]) => Promise<Row[]> =
          pool?.fetch !== undefined ? (_w, args) => pool.fetch!(sql, ...args) : (w, args) => withConn(concurrency, w, (c) => c.fetch(sql, ...args));
        const noArgs: unknown[] = [];
        return {
          method: `${via}fetch (automatic prepared statement)`,
          op: (w) => fetch(w, maxId === undefined ? noArgs : [randomId(maxId)]).then((rows) => checkRows(spec, rows.length)),
        };
      }
      case 'insert-batch': {
        const records = makeRecords(spec.expectRows!, 1);
        const run: (w: number) => Promise<void> =
          pool?.executeMany !== undefined ? () => pool.executeMany!(spec.sql, records) : (w) => withConn(concurrency, w, (c) => c.executeMany(spec.sql, records));
        return { method: `${via}executeMany (one flight, one Sync)`, op: (w) => run(w).then(() => records.length) };
      }
      case 'copy': {
        if (!has('copyRecordsToTable')) return { notImplemented: 'copyRecordsToTable' };
        const records = makeRecords(spec.expectRows!, 1);
        const options = { records, columns: spec.columns! };
        const run: (w: number) => Promise<unknown> =
          pool?.copyRecordsToTable !== undefined
            ? () => pool.copyRecordsToTable!(spec.table!, options)
            : (w) => withConn(concurrency, w, (c) => method<CopyRecords>(c, 'copyRecordsToTable')!(spec.table!, options));
        return { method: `${via}copyRecordsToTable (binary COPY)`, op: (w) => run(w).then(() => records.length) };
      }
      case 'cursor': {
        if (!has('cursor')) return { notImplemented: 'cursor' };
        const prefetch = spec.prefetch!;
        const stream = async (c: Connection): Promise<number> => {
          const cursor = method<CursorFactory>(c, 'cursor')!;
          let n = 0;
          for await (const _row of cursor({ text: spec.sql, prefetch })) n++;
          return n;
        };
        const tx = has('transaction');
        return {
          method: `cursor({ prefetch: ${prefetch} })${tx ? ' in transaction()' : ' in BEGIN/COMMIT'}${pool ? ', on pool.acquire(fn)' : ''}`,
          op: (w) =>
            withConn(concurrency, w, async (c) => {
              if (tx) return method<Transaction>(c, 'transaction')!(() => stream(c));
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
        if (!has('batch')) return { notImplemented: 'explicit batch API (conn.batch())' };
        const n = spec.batch!;
        const maxId = spec.maxId!;
        return {
          method: `conn.batch() with ${n} fetch() calls, run() (one flight)${pool ? ', on pool.acquire(fn)' : ''}`,
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

  /** One plain connection; connect() resolves once the connection is ready, nothing lazy follows. */
  async function roundTripSession(rtDsn: string): Promise<RoundTripSession> {
    const c = await pgjet.connect(rtDsn);
    return {
      method: 'connect(), conn.fetch(text, ...args) (automatic prepared statement)',
      query: (sql, args) => c.fetch(sql, ...args).then((rows) => rows.length),
      close: () => c.close(),
    };
  }

  return { version: pgjetVersion(entry), notes, plan, close, roundTripSession };
}
