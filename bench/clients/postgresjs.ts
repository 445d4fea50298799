/**
 * postgres.js 3 behind the worker protocol: one sql instance per pool size,
 * prepare on (its default), its COPY writable, its cursor, and its automatic
 * pipelining of concurrent queries.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import type { WorkloadSpec } from '../lib/workloads.js';
import { makeRecords } from '../lib/workloads.js';
import type { CellPlan, ClientAdapter, NotImplemented, RoundTripSession } from './adapter.js';
import { CONNECT_WARMUP_SQL, checkRows, copyTextChunks, randomId } from './adapter.js';

const require = createRequire(import.meta.url);

/** postgres.js's exports map hides package.json; read it from the folder the package resolves to. */
function postgresVersion(): string {
  const entry = require.resolve('postgres');
  const dir = entry.slice(0, entry.lastIndexOf('/node_modules/postgres/') + '/node_modules/postgres/'.length);
  return (JSON.parse(readFileSync(dir + 'package.json', 'utf8')) as { version: string }).version;
}

type Sql = postgres.Sql;

/** The postgres.js adapter. */
export async function createAdapter(dsn: string): Promise<ClientAdapter> {
  const sqls = new Map<number, Sql>();
  const get = (n: number): Sql => {
    let s = sqls.get(n);
    if (!s) {
      s = postgres(dsn, { max: n, prepare: true, onnotice: () => undefined });
      sqls.set(n, s);
    }
    return s;
  };
  const version = postgresVersion();

  async function plan(spec: WorkloadSpec, concurrency: number): Promise<CellPlan | NotImplemented> {
    const sql = get(concurrency);
    switch (spec.kind) {
      case 'query': {
        const { maxId } = spec;
        return {
          method: 'sql.unsafe(text, args, { prepare: true })',
          op: () =>
            sql
              .unsafe(spec.sql, maxId === undefined ? [] : [randomId(maxId)], { prepare: true })
              .then((rows) => checkRows(spec, rows.length)),
        };
      }
      case 'insert-batch': {
        // postgres.js's batch insert helper: sql(rows, columns) expands to one multi-row INSERT.
        const records = makeRecords(spec.expectRows!, 1);
        return {
          method: `one multi-row INSERT of ${records.length} rows via sql(rows, columns)`,
          op: () => {
            const rows = records.map((r) => ({ id: r[0], name: r[1], score: r[2], created: r[3] }));
            return sql`INSERT INTO ${sql(spec.table!)} ${sql(rows, 'id', 'name', 'score', 'created')}`.then((r) => {
              if (r.count !== records.length) throw new Error(`insert: count ${r.count}`);
              return records.length;
            });
          },
        };
      }
      case 'copy': {
        const records = makeRecords(spec.expectRows!, 1);
        return {
          method: 'sql`COPY ... FROM STDIN`.writable(), text format',
          op: async () => {
            const writable = await sql.unsafe(spec.sql).writable();
            await pipeline(Readable.from(copyTextChunks(records)), writable);
            return records.length;
          },
        };
      }
      case 'cursor': {
        const prefetch = spec.prefetch!;
        return {
          method: `sql.unsafe(text).cursor(${prefetch})`,
          op: async () => {
            let n = 0;
            for await (const rows of sql.unsafe(spec.sql).cursor(prefetch)) {
              for (const _row of rows) n++;
            }
            return checkRows(spec, n);
          },
        };
      }
      case 'pipeline': {
        const n = spec.batch!;
        const maxId = spec.maxId!;
        return {
          method: `${n} concurrent queries (postgres.js pipelines them)`,
          op: async () => {
            const qs: Promise<unknown[]>[] = [];
            for (let i = 0; i < n; i++) qs.push(sql.unsafe(spec.sql, [randomId(maxId)], { prepare: true }));
            const rs = await Promise.all(qs);
            return checkRows(spec, rs.reduce((a, r) => a + r.length, 0));
          },
        };
      }
    }
  }

  async function close(): Promise<void> {
    for (const s of sqls.values()) await s.end({ timeout: 5 });
  }

  /**
   * One connection (max: 1). postgres.js connects on the first query and then
   * fetches the server's array types, so one unrelated query finishes connecting.
   */
  async function roundTripSession(rtDsn: string): Promise<RoundTripSession> {
    const s = postgres(rtDsn, { max: 1, prepare: true, onnotice: () => undefined });
    await s.unsafe(CONNECT_WARMUP_SQL);
    return {
      method: `sql.unsafe(text, args, { prepare: true }), max: 1, after one ${CONNECT_WARMUP_SQL} (it connects lazily)`,
      query: (text, args) => s.unsafe(text, args as postgres.ParameterOrJSON<never>[], { prepare: true }).then((rows) => rows.length),
      close: () => s.end({ timeout: 5 }),
    };
  }

  return { version, notes: [], plan, close, roundTripSession };
}
