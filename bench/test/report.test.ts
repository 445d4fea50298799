import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTargets, fmtRate, renderMarkdown, renderSvg, summarize } from '../lib/report.js';
import type { RunReport, WorkloadResult } from '../lib/report.js';
import type { CellResult } from '../lib/protocol.js';
import { median, spread } from '../lib/stats.js';

const cell = (unitsPerSecond: number, extra: Partial<CellResult> = {}): CellResult => ({
  ops: 10,
  units: unitsPerSecond * 2,
  elapsedMs: 2000,
  p50Ms: 1,
  p99Ms: 5,
  ...extra,
});

function workload(id: string): WorkloadResult {
  return {
    id,
    title: `title of ${id}`,
    unit: 'queries',
    concurrency: 10,
    results: {
      pgjet: { status: 'ok', rounds: [cell(150), cell(130), cell(140)] },
      'node-postgres': { status: 'ok', rounds: [cell(100)] },
      'postgres.js': { status: 'ok', rounds: [cell(90)] },
      asyncpg: { status: 'ok', rounds: [cell(200)] },
      pgbench: { status: 'n/a', rounds: [] },
    },
    ratios: {},
  };
}

function report(workloads: WorkloadResult[]): RunReport {
  return {
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:10:00.000Z',
    machine: { cpus: 2, cpuModel: 'cpu', memoryGB: 8, platform: 'linux x64', node: 'v20', loadAverage: { start: [0, 0, 0], end: [0, 0, 0] } },
    server: { version: 'PostgreSQL 15.1 on x86_64', settings: { fsync: 'off' }, started: true },
    options: { durationMs: 2000, warmupMs: 1000, rounds: 3, concurrency: undefined },
    clients: [
      { name: 'pgjet', available: true, version: '0.1.0' },
      { name: 'asyncpg', available: false, reason: 'missing: python3-asyncpg is not installed' },
    ],
    workloads,
    targets: checkTargets(workloads),
  };
}

describe('summarize and targets', () => {
  test('median throughput, spread and the ratios to the best Node peer and to asyncpg', () => {
    const w = workload('point');
    summarize(w, median, spread);
    assert.equal(w.results.pgjet!.throughput, 140);
    assert.ok(Math.abs(w.results.pgjet!.spread! - 20 / 140) < 1e-9);
    assert.equal(w.ratios.bestNode, 1.4);
    assert.equal(w.ratios.asyncpg, 0.7);
    assert.equal(w.ratios.pgbench, undefined);
    const t = checkTargets([w]);
    assert.deepEqual(
      t.map((x) => [x.target, x.met]),
      [
        ['pgjet >= 1.3x best Node peer', true],
        ['pgjet >= asyncpg', false],
        ['pgjet >= 50% of pgbench', undefined],
      ],
    );
  });

  test('the cursor target reads the largest RSS growth, warm-up included', () => {
    const w = workload('cursor');
    w.results.pgjet = { status: 'ok', rounds: [cell(1, { rssGrowthMB: 3 })], warmupRssGrowthMB: 25 };
    summarize(w, median, spread);
    const rss = checkTargets([w]).find((x) => x.target.startsWith('RSS'))!;
    assert.equal(rss.value, '25.0 MB');
    assert.equal(rss.met, false);
  });
});

describe('rendering', () => {
  test('the Markdown shows not-implemented, missing and n/a cells visibly', () => {
    const w = workload('copy');
    w.results.pgjet = { status: 'not-implemented', detail: 'copyRecordsToTable', rounds: [] };
    w.results.asyncpg = { status: 'missing', detail: 'missing: python3-asyncpg is not installed', rounds: [] };
    summarize(w, median, spread);
    const md = renderMarkdown(report([w]), ['pgjet', 'node-postgres', 'postgres.js', 'asyncpg', 'pgbench']);
    assert.match(md, /\| title of copy \| queries\/s \| 10 \| pgjet: not implemented yet \| 100 ±0% \| 90 ±0% \| missing \| — \|/);
    assert.match(md, /- asyncpg: \*\*missing: python3-asyncpg is not installed\*\*/);
  });

  test('the SVG is one document with a bar per measured client and escaped text', () => {
    const w = workload('point');
    w.title = 'a < b & c';
    summarize(w, median, spread);
    const svg = renderSvg(report([w]), ['pgjet', 'node-postgres', 'postgres.js', 'asyncpg', 'pgbench']);
    assert.ok(svg.startsWith('<svg '));
    assert.ok(svg.trimEnd().endsWith('</svg>'));
    assert.match(svg, /a &lt; b &amp; c/);
    assert.equal(svg.match(/<rect x="140"/g)?.length, 4);
    assert.match(svg, /not expressible/);
  });

  test('rates read as k and M', () => {
    assert.equal(fmtRate(950), '950');
    assert.equal(fmtRate(45_100), '45.1k');
    assert.equal(fmtRate(246_000), '246k');
    assert.equal(fmtRate(1_290_000), '1.29M');
  });
});
