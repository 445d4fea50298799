/**
 * `npm run bench`: pgjet against node-postgres, postgres.js, asyncpg and
 * pgbench, in one run on one machine. Starts a tuned temporary server (or
 * uses --dsn), loads the data, runs every workload for every client
 * interleaved (warm-up, then rounds in rotating order), prints the tables
 * and writes JSON, Markdown and an SVG chart to bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, ClientName } from './lib/options.js';
import { ALL_CLIENTS, parseOptions, USAGE } from './lib/options.js';
import { findAsyncpg, findPgbench, newApt } from './lib/peers.js';
import { pgbenchVersion, runPgbench } from './lib/pgbench.js';
import type { PgbenchTarget } from './lib/pgbench.js';
import type { CellResult } from './lib/protocol.js';
import { checkTargets, fmtRate, renderMarkdown, renderSvg, summarize } from './lib/report.js';
import type { ClientInfo, ClientWorkloadResult, RunReport, WorkloadResult } from './lib/report.js';
import { CACHED_RUNS, fmtTrips, measureRoundTrips, ROUND_TRIP_DEFINITION, ROUND_TRIPS_ID, roundTripVariants } from './lib/round-trips.js';
import type { Ask, RoundTripCase, RoundTripReport } from './lib/round-trips.js';
import { Admin, existingServer, startServer } from './lib/setup.js';
import type { BenchServer } from './lib/setup.js';
import { median, spread } from './lib/stats.js';
import { WorkerHost } from './lib/worker-host.js';
import { allWorkloads } from './lib/workloads.js';
import type { WorkloadSpec } from './lib/workloads.js';

/** The repository root (this file runs from dist/bench/). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const NODE_CLIENTS: ClientName[] = ['pgjet', 'pgjet-alt', 'node-postgres', 'postgres.js'];

/** A client able to run cells: a worker process or pgbench. */
interface Runner {
  info: ClientInfo;
  run(spec: WorkloadSpec, concurrency: number, durationMs: number): Promise<CellOutcome>;
  /** A single request to the client process, for the round-trip count (worker processes only). */
  ask?: Ask;
  close(): Promise<void>;
}

type CellOutcome = { kind: 'ok'; result: CellResult } | { kind: 'not-implemented'; detail: string } | { kind: 'n/a' } | { kind: 'error'; detail: string };

function log(line: string): void {
  process.stdout.write(line + '\n');
}

function workerRunner(host: WorkerHost, dsn: string, info: ClientInfo): Runner {
  let greeted = false;
  const hello = async (): Promise<void> => {
    const r = await host.request({ cmd: 'hello', dsn }, 60_000);
    if (!r.ok) throw new Error('error' in r ? r.error : 'hello refused');
    if ('hello' in r) {
      info.version = r.hello.version;
      info.runtime = r.hello.runtime;
      info.notes = r.hello.notes ?? [];
    }
    greeted = true;
  };
  return {
    info,
    async run(spec, concurrency, durationMs) {
      try {
        if (!greeted || !host.alive) await hello();
        // Generous: a slow client streaming a million rows still answers well within this.
        const r = await host.request({ cmd: 'run', spec, concurrency, durationMs }, durationMs + 180_000);
        if (r.ok && 'result' in r) return { kind: 'ok', result: r.result };
        if (!r.ok && 'notImplemented' in r) return { kind: 'not-implemented', detail: r.notImplemented };
        return { kind: 'error', detail: !r.ok && 'error' in r ? r.error : 'unexpected answer' };
      } catch (e) {
        greeted = false;
        return { kind: 'error', detail: e instanceof Error ? e.message : String(e) };
      }
    },
    async ask(body, timeoutMs) {
      try {
        if (!greeted || !host.alive) await hello();
        return await host.request(body, timeoutMs);
      } catch (e) {
        greeted = false;
        throw e;
      }
    },
    close: () => host.close(),
  };
}

/** Round trips per query for every client process (and a row saying why for a missing one). */
async function roundTrips(runners: Runner[], server: BenchServer): Promise<RoundTripReport> {
  const cases: RoundTripCase[] = [];
  for (const r of runners) {
    const name = r.info.name;
    if (name === 'pgbench') continue;
    for (const variant of roundTripVariants(name)) {
      let c: RoundTripCase;
      if (!r.info.available || !r.ask) {
        c = { client: name, variant, status: 'missing', detail: r.info.reason ?? 'missing', statements: [] };
      } else {
        c = await measureRoundTrips(r.ask, server, server.dsn, name, variant);
      }
      cases.push(c);
      const label = `${name}${variant === 'default' ? '' : ` (${variant})`}`.padEnd(24);
      if (c.status === 'ok') {
        log(`  ${label} ${c.statements.map((st) => `${st.statement} ${fmtTrips(st.first)} / ${fmtTrips(st.cached)}`).join('   ')}`);
      } else {
        log(`  ${label} ${c.status}: ${(c.detail ?? '').split('\n')[0]}`);
      }
    }
  }
  return { definition: ROUND_TRIP_DEFINITION, cachedRuns: CACHED_RUNS, cases };
}

function pgbenchRunner(target: PgbenchTarget, info: ClientInfo, unitsPerTx: (spec: WorkloadSpec) => number): Runner {
  return {
    info,
    async run(spec, concurrency, durationMs) {
      if (!spec.pgbench) return { kind: 'n/a' };
      try {
        return { kind: 'ok', result: await runPgbench(target, spec.pgbench, concurrency, durationMs, unitsPerTx(spec), spec.pgbenchMinSeconds) };
      } catch (e) {
        return { kind: 'error', detail: e instanceof Error ? e.message : String(e) };
      }
    },
    close: async () => undefined,
  };
}

async function makeRunners(opts: BenchOptions, server: BenchServer, pgTypeRows: number): Promise<Runner[]> {
  const apt = newApt();
  const runners: Runner[] = [];
  for (const name of opts.clients) {
    const info: ClientInfo = { name, available: true };
    if ((NODE_CLIENTS as string[]).includes(name)) {
      const args = ['--expose-gc'];
      if (name === 'pgjet' && opts.profileDir) {
        mkdirSync(opts.profileDir, { recursive: true });
        args.push('--cpu-prof', `--cpu-prof-dir=${resolve(opts.profileDir)}`);
      }
      args.push(join(ROOT, 'dist', 'bench', 'clients', 'worker.js'), name);
      let env: NodeJS.ProcessEnv = process.env;
      if (name === 'pgjet-alt') env = { ...process.env, PGJET_BENCH_MODULE: opts.pgjetAlt };
      if (name === 'pgjet' && opts.pgjetPool !== 'on') env = { ...process.env, PGJET_BENCH_POOL: opts.pgjetPool };
      runners.push(workerRunner(new WorkerHost(name, process.execPath, args, env), server.dsn, info));
    } else if (name === 'asyncpg') {
      const py = await findAsyncpg(apt, opts.install);
      if (!py.ok) {
        runners.push(missingRunner({ ...info, available: false, reason: py.reason }));
        continue;
      }
      const host = new WorkerHost(name, py.value, [join(ROOT, 'bench', 'clients', 'asyncpg_worker.py')]);
      runners.push(workerRunner(host, server.dsn, info));
    } else {
      const bin = await findPgbench(apt, opts.install, server.binDir);
      if (!bin.ok) {
        runners.push(missingRunner({ ...info, available: false, reason: bin.reason }));
        continue;
      }
      info.version = (await pgbenchVersion(bin.value).catch(() => 'pgbench')).replace(/^pgbench \(PostgreSQL\) /, '');
      info.runtime = bin.value;
      const target: PgbenchTarget = { bin: bin.value, host: server.host, port: server.port, user: server.user, password: server.password, database: server.database };
      runners.push(
        pgbenchRunner(target, info, (spec) => (spec.id === 'pg_type' ? pgTypeRows : spec.unit === 'rows' || spec.kind === 'pipeline' ? (spec.expectRows ?? 1) : 1)),
      );
    }
  }
  for (const line of apt.log) log(`  ${line}`);
  return runners;
}

function missingRunner(info: ClientInfo): Runner {
  return {
    info,
    run: async () => ({ kind: 'error', detail: info.reason ?? 'missing' }),
    close: async () => undefined,
  };
}

function rate(r: CellResult): number {
  return (r.units / r.elapsedMs) * 1000;
}

async function main(): Promise<void> {
  let opts: BenchOptions | 'help';
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    process.exit(2);
  }
  const known = allWorkloads();
  if (opts === 'help') {
    const ids = [...known.map((w) => `  ${w.id.padEnd(10)} ${w.title}`), `  ${ROUND_TRIPS_ID.padEnd(10)} round trips per query, first run and cached (a few seconds, no cells)`];
    process.stdout.write(USAGE + '\nworkloads:\n' + ids.join('\n') + '\n');
    return;
  }
  const wanted = opts.workloads;
  for (const id of wanted ?? []) {
    if (id !== ROUND_TRIPS_ID && !known.some((w) => w.id === id)) {
      throw new Error(`unknown workload ${JSON.stringify(id)}; known: ${[...known.map((w) => w.id), ROUND_TRIPS_ID].join(', ')}`);
    }
  }
  const measureTrips = wanted === undefined || wanted.includes(ROUND_TRIPS_ID);
  const workloads = wanted ? known.filter((w) => wanted.includes(w.id)) : known;
  const partial = wanted !== undefined || opts.clients.length !== ALL_CLIENTS.length || opts.pgjetAlt !== undefined || opts.pgjetPool !== 'on';
  const outDir = resolve(opts.outDir ?? join(ROOT, 'bench', 'results', partial ? 'partial.tmp' : ''));
  const startedAt = new Date().toISOString();
  const loadStart = loadavg().map((x) => Number(x.toFixed(2)));
  if (loadStart[0]! > cpus().length) {
    log(`note: the machine is busy (load average ${loadStart[0]} on ${cpus().length} cores); expect a wide spread between rounds`);
  }

  const cells = workloads.length * opts.clients.length;
  const estimate = (cells * (opts.warmupMs + opts.rounds * opts.durationMs)) / 1000;
  const tripsNote = measureTrips ? ', plus round trips per query' : '';
  if (workloads.length === 0) log(`pgjet benchmark: round trips per query only, ${opts.clients.length} clients`);
  else log(`pgjet benchmark: ${workloads.length} workloads × ${opts.clients.length} clients, ${opts.rounds} rounds of ${opts.durationMs / 1000} s after ${opts.warmupMs / 1000} s warm-up (about ${Math.ceil(estimate / 60)} min of cells)${tripsNote}`);

  let server: BenchServer;
  if (opts.dsn) {
    server = existingServer(opts.dsn);
    log(`server: ${server.host}:${server.port} (--dsn)`);
  } else {
    log('starting a temporary PostgreSQL cluster (fsync off, shared_buffers 256MB, jit off) ...');
    server = await startServer();
    log(`server: ${server.host}:${server.port}, binaries from ${server.binDir ?? '?'}`);
  }
  const cleanup = async () => {
    if (server.cluster) await server.cluster.destroy().catch(() => undefined);
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

  const runners: Runner[] = [];
  try {
    const admin = await Admin.connect(server.dsn);
    log('loading data ...');
    const t0 = Date.now();
    await admin.load();
    const pgTypeRows = await admin.pgTypeCount();
    const described = await admin.describe();
    log(`loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${described.version}`);

    runners.push(...(await makeRunners(opts, server, pgTypeRows)));
    const clientNames = runners.map((r) => r.info.name);
    const results: WorkloadResult[] = [];
    let trips: RoundTripReport | undefined;
    if (measureTrips) {
      log(`\n== Round trips per query: first run / mean of the next ${CACHED_RUNS} runs, one connection each through a counting proxy`);
      trips = await roundTrips(runners, server);
    }

    for (const base of workloads) {
      const spec: WorkloadSpec = base.id === 'pg_type' ? { ...base, expectRows: pgTypeRows } : base;
      const concurrency = spec.concurrency > 1 && opts.concurrency !== undefined ? opts.concurrency : spec.concurrency;
      const w: WorkloadResult = { id: spec.id, title: spec.title, unit: spec.unit, concurrency, results: {}, ratios: {} };
      results.push(w);
      log(`\n== ${spec.title} [${spec.id}], ${concurrency} worker${concurrency === 1 ? '' : 's'}`);
      const resetTable = async () => {
        if (spec.kind === 'insert-batch' || spec.kind === 'copy') await admin.truncate(spec.table!);
      };
      // Warm-up: also finds out who cannot run this workload at all.
      const active: Runner[] = [];
      for (const r of runners) {
        const res: ClientWorkloadResult = { status: 'ok', rounds: [] };
        w.results[r.info.name] = res;
        if (!r.info.available) {
          res.status = 'missing';
          res.detail = r.info.reason;
          log(`  ${r.info.name.padEnd(14)} ${r.info.reason}`);
          continue;
        }
        await resetTable();
        const out = await r.run(spec, concurrency, opts.warmupMs);
        if (out.kind === 'ok') {
          res.method = out.result.method;
          // The first stream of a process is the one that grows its heap: keep its RSS growth too.
          if (out.result.rssGrowthMB !== undefined) res.warmupRssGrowthMB = out.result.rssGrowthMB;
          active.push(r);
        } else if (out.kind === 'n/a') {
          res.status = 'n/a';
        } else {
          res.status = out.kind;
          res.detail = out.detail;
          log(`  ${r.info.name.padEnd(14)} ${out.kind === 'not-implemented' ? `not implemented yet (${out.detail})` : `error: ${out.detail}`}`);
        }
      }
      for (let round = 0; round < opts.rounds; round++) {
        // Rotate the order every round so drift on a shared machine spreads over every client.
        const order = active.map((_, i) => active[(i + round) % active.length]!);
        for (const r of order) {
          const res = w.results[r.info.name]!;
          if (res.status !== 'ok') continue;
          await resetTable();
          const out = await r.run(spec, concurrency, opts.durationMs);
          if (out.kind === 'ok') {
            res.rounds.push(out.result);
            const rss = out.result.rssGrowthMB === undefined ? '' : `  RSS +${out.result.rssGrowthMB.toFixed(1)} MB`;
            log(
              `  round ${round + 1}/${opts.rounds} ${r.info.name.padEnd(14)} ${fmtRate(rate(out.result)).padStart(7)} ${spec.unit}/s  p50 ${out.result.p50Ms.toFixed(2)} ms  p99 ${out.result.p99Ms.toFixed(2)} ms${rss}`,
            );
          } else {
            res.status = 'error';
            res.detail = out.kind === 'error' || out.kind === 'not-implemented' ? out.detail : 'n/a';
            log(`  round ${round + 1}/${opts.rounds} ${r.info.name.padEnd(14)} error: ${res.detail}`);
          }
        }
      }
      summarize(w, median, spread);
    }

    const report: RunReport = {
      startedAt,
      finishedAt: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? '?',
        memoryGB: Math.round(totalmem() / 2 ** 30),
        platform: `${process.platform} ${process.arch}`,
        node: process.version,
        loadAverage: { start: loadStart, end: loadavg().map((x) => Number(x.toFixed(2))) },
      },
      server: { version: described.version, settings: described.settings, started: server.cluster !== undefined },
      options: { durationMs: opts.durationMs, warmupMs: opts.warmupMs, rounds: opts.rounds, concurrency: opts.concurrency },
      clients: runners.map((r) => r.info),
      workloads: results,
      targets: checkTargets(results),
      ...(trips ? { roundTrips: trips } : {}),
    };
    const md = renderMarkdown(report, clientNames);
    log('\n' + md);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(join(outDir, 'latest.md'), md);
    // A run of the round-trip count alone has no throughput to chart.
    if (results.length > 0) writeFileSync(join(outDir, 'latest.svg'), renderSvg(report, clientNames));
    log(`results: ${join(outDir, 'latest.json')}, latest.md${results.length > 0 ? ', latest.svg' : ''}`);
    if (!server.cluster) await admin.dropTables();
    await admin.close();
  } finally {
    for (const r of runners) await r.close().catch(() => undefined);
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
