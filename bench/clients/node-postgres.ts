/**
 * node-postgres 8 behind the worker protocol: a pg.Pool, named statements
 * (its fast path: parsed once per connection), pg-copy-streams for COPY.
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { WorkloadSpec } from '../lib/workloads.js';
import { makeRecords } from '../lib/workloads.js';
import type { CellPlan, ClientAdapter, NotImplemented, RoundTripSession } from './adapter.js';
import { checkRows, copyTextChunks, randomId } from './adapter.js';

const require = createRequire(import.meta.url);

/** The node-postgres adapter. */
export async function createAdapter(dsn: string): Promise<ClientAdapter> {
  const pools = new Map<number, pg.Pool>();
  const pool = (n: number): pg.Pool => {
    let p = pools.get(n);
    if (!p) {
      p = new pg.Pool({ connectionString: dsn, max: n });
      pools.set(n, p);
    }
    return p;
  };
  const version = (require('pg/package.json') as { version: string }).version;
  const copyVersion = (require('pg-copy-streams/package.json') as { version: string }).version;

  async function plan(spec: WorkloadSpec, concurrency: number): Promise<CellPlan | NotImplemented> {
    const p = pool(concurrency);
    const name = `bench_${spec.id}`;
    switch (spec.kind) {
      case 'query': {
        const { sql, maxId } = spec;
        return {
          method: 'pool.query, named statement',
          op: () =>
            p
              .query({ name, text: sql, values: maxId === undefined ? [] : [randomId(maxId)] })
              .then((r) => checkRows(spec, r.rows.length)),
        };
      }
      case 'insert-batch': {
        // No pipelined batch in node-postgres: its fastest batch insert is one multi-row INSERT.
        const records = makeRecords(spec.expectRows!, 1);
        const cols = spec.columns!;
        const tuples = records.map((_, i) => `(${cols.map((__, j) => `$${i * cols.length + j + 1}`).join(', ')})`);
        const text = `INSERT INTO ${spec.table!} (${cols.join(', ')}) VALUES ${tuples.join(', ')}`;
        return {
          method: `one multi-row INSERT of ${records.length} rows, named statement`,
          op: () =>
            p.query({ name, text, values: records.flat() }).then((r) => {
              if (r.rowCount !== records.length) throw new Error(`insert: rowCount ${r.rowCount}`);
              return records.length;
            }),
        };
      }
      case 'copy': {
        const records = makeRecords(spec.expectRows!, 1);
        return {
          method: `pg-copy-streams ${copyVersion}, COPY text format`,
          op: async () => {
            const client = await p.connect();
            try {
              const stream = client.query(copyFrom(spec.sql));
              await pipeline(Readable.from(copyTextChunks(records)), stream);
              return checkRows(spec, stream.rowCount);
            } finally {
              client.release();
            }
          },
        };
      }
      case 'cursor': {
        const prefetch = spec.prefetch!;
        return {
          method: `DECLARE CURSOR + FETCH ${prefetch} in a transaction`,
          op: async () => {
            const client = await p.connect();
            let n = 0;
            try {
              await client.query('BEGIN');
              await client.query(`DECLARE bench_cur NO SCROLL CURSOR FOR ${spec.sql}`);
              for (;;) {
                const r = await client.query(`FETCH ${prefetch} FROM bench_cur`);
                if (r.rows.length === 0) break;
                for (const _row of r.rows) n++;
              }
              await client.query('COMMIT');
            } finally {
              client.release();
            }
            return checkRows(spec, n);
          },
        };
      }
      case 'pipeline': {
        // node-postgres queues queries on a client and sends each after the previous one's answer.
        const n = spec.batch!;
        const maxId = spec.maxId!;
        return {
          method: `${n} concurrent queries on one client (queued, not pipelined)`,
          op: async () => {
            const client = await p.connect();
            try {
              const qs: Promise<pg.QueryResult>[] = [];
              for (let i = 0; i < n; i++) qs.push(client.query({ name, text: spec.sql, values: [randomId(maxId)] }));
              const rs = await Promise.all(qs);
              return checkRows(spec, rs.reduce((a, r) => a + r.rows.length, 0));
            } finally {
              client.release();
            }
          },
        };
      }
    }
  }

  async function close(): Promise<void> {
    for (const p of pools.values()) await p.end();
  }

  /**
   * One pg.Client; connect() resolves at ReadyForQuery. Variant 'named' is
   * the form the workloads use (a statement parsed once per connection),
   * 'unnamed' the plain query(text, values).
   */
  async function roundTripSession(rtDsn: string, variant: string): Promise<RoundTripSession | NotImplemented> {
    if (variant !== 'named' && variant !== 'unnamed') return { notImplemented: `variant ${variant}` };
    const client = new pg.Client({ connectionString: rtDsn });
    client.on('error', () => undefined);
    await client.connect();
    const names = new Map<string, string>();
    const nameOf = (text: string): string => {
      let n = names.get(text);
      if (n === undefined) {
        n = `bench_rt_${names.size + 1}`;
        names.set(text, n);
      }
      return n;
    };
    return variant === 'named'
      ? {
          method: 'client.query({ name, text, values }), named statement',
          query: (text, values) => client.query({ name: nameOf(text), text, values }).then((r) => r.rows.length),
          close: () => client.end(),
        }
      : {
          method: 'client.query(text, values), unnamed statement',
          query: (text, values) => client.query(text, values).then((r) => r.rows.length),
          close: () => client.end(),
        };
  }

  return { version, notes: [], plan, close, roundTripSession };
}
