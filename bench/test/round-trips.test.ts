import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fmtTrips, proxiedDsn, renderRoundTrips, ROUND_TRIP_DEFINITION, roundTripVariants } from '../lib/round-trips.js';
import type { RoundTripReport } from '../lib/round-trips.js';
import { renderMarkdown } from '../lib/report.js';
import type { RunReport } from '../lib/report.js';

const trips: RoundTripReport = {
  definition: ROUND_TRIP_DEFINITION,
  cachedRuns: 5,
  cases: [
    {
      client: 'pgjet',
      variant: 'default',
      status: 'ok',
      method: 'conn.fetch',
      idleAfterConnect: 0,
      statements: [
        { statement: 'param', sql: 'SELECT id, name FROM bench_point WHERE id = $1', first: 2, cached: 1, cachedRuns: [1, 1, 1, 1, 1] },
        { statement: 'select1', sql: 'SELECT 1', first: 1, cached: 1.4, cachedRuns: [1, 2, 1, 2, 1] },
      ],
    },
    { client: 'node-postgres', variant: 'named', status: 'ok', method: 'named', idleAfterConnect: 1, statements: [{ statement: 'param', sql: 'x', first: 1, cached: 1, cachedRuns: [1, 1, 1, 1, 1] }] },
    { client: 'asyncpg', variant: 'default', status: 'missing', detail: 'missing: python3-asyncpg is not installed\nmore', statements: [] },
  ],
};

describe('round trips', () => {
  test('the proxied URL keeps credentials, database and options but points at the proxy', () => {
    const u = new URL(proxiedDsn('postgres://u%40x:p%2Fw@db.example:6543/bench?sslmode=disable&host=/tmp&port=1', 40001));
    assert.equal(u.hostname, '127.0.0.1');
    assert.equal(u.port, '40001');
    assert.equal(decodeURIComponent(u.username), 'u@x');
    assert.equal(decodeURIComponent(u.password), 'p/w');
    assert.equal(u.pathname, '/bench');
    assert.equal(u.searchParams.get('sslmode'), 'disable');
    assert.equal(u.searchParams.get('host'), null);
    assert.equal(u.searchParams.get('port'), null);
  });

  test('node-postgres is measured named and unnamed, every other client once', () => {
    assert.deepEqual(roundTripVariants('node-postgres'), ['named', 'unnamed']);
    assert.deepEqual(roundTripVariants('pgjet'), ['default']);
    assert.deepEqual(roundTripVariants('asyncpg'), ['default']);
  });

  test('whole numbers print bare, means with one decimal', () => {
    assert.equal(fmtTrips(2), '2');
    assert.equal(fmtTrips(1.4), '1.4');
  });

  test('the table has a row per client and variant; a missing client says why', () => {
    const md = renderRoundTrips(trips);
    assert.match(md, /\| pgjet \| 2 \/ 1 \| 1 \/ 1\.4 \| conn\.fetch \|/);
    assert.match(md, /\| node-postgres \(named\) \| 1 \/ 1 \| — \| named \(note: 1 round trip\(s\) after connect resolved, not counted\) \|/);
    assert.match(md, /\| asyncpg \| — \| — \| \*\*missing\*\*: missing: python3-asyncpg is not installed \|/);
  });

  test('a report of round trips alone has their section and no throughput tables', () => {
    const report: RunReport = {
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-01T00:00:05.000Z',
      machine: { cpus: 2, cpuModel: 'cpu', memoryGB: 8, platform: 'linux x64', node: 'v20', loadAverage: { start: [0, 0, 0], end: [0, 0, 0] } },
      server: { version: 'PostgreSQL 15.1', settings: {}, started: true },
      options: { durationMs: 2000, warmupMs: 1000, rounds: 3, concurrency: undefined },
      clients: [{ name: 'pgjet', available: true }, { name: 'pgbench', available: true }],
      workloads: [],
      targets: [],
      roundTrips: trips,
    };
    const md = renderMarkdown(report, ['pgjet', 'pgbench']);
    assert.match(md, /## Round trips per query: first run \/ cached run/);
    assert.match(md, /mean of the next 5 runs/);
    assert.match(md, /pgbench is a load generator, not a driver: not measured here\./);
    assert.doesNotMatch(md, /## Throughput/);
    assert.doesNotMatch(md, /## Targets/);
  });
});
