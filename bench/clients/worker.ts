/**
 * A client process: `node dist/bench/clients/worker.js <client>`. Reads
 * requests from stdin, runs cells with the named client's adapter, answers
 * on stdout (see bench/lib/protocol.ts). One process per client keeps each
 * library's heap, JIT state and GC apart from the others'.
 */
import { createInterface } from 'node:readline';
import type { CellResult, WorkerRequest, WorkerResponse } from '../lib/protocol.js';
import { Samples } from '../lib/stats.js';
import type { WorkloadSpec } from '../lib/workloads.js';
import type { CellPlan, ClientAdapter, RoundTripSession } from './adapter.js';

const gc = (globalThis as { gc?: () => void }).gc;

async function loadAdapter(client: string, dsn: string): Promise<ClientAdapter> {
  switch (client) {
    case 'pgjet':
      return (await import('./pgjet.js')).createAdapter(dsn);
    case 'pgjet-alt':
      // Another build of pgjet, named by the coordinator (--pgjet-alt).
      return (await import('./pgjet.js')).createAdapter(dsn, process.env['PGJET_BENCH_MODULE']);
    case 'node-postgres':
      return (await import('./node-postgres.js')).createAdapter(dsn);
    case 'postgres.js':
      return (await import('./postgresjs.js')).createAdapter(dsn);
    default:
      throw new Error(`unknown client ${client}`);
  }
}

/** Run `plan` with `concurrency` workers until `durationMs` has passed; every worker finishes its current op. */
async function runCell(spec: WorkloadSpec, plan: CellPlan, concurrency: number, durationMs: number): Promise<CellResult> {
  let rssBase = 0;
  let rssPeak = 0;
  let sampler: NodeJS.Timeout | undefined;
  if (spec.measureRss) {
    gc?.();
    rssBase = process.memoryUsage.rss();
    rssPeak = rssBase;
    sampler = setInterval(() => {
      const r = process.memoryUsage.rss();
      if (r > rssPeak) rssPeak = r;
    }, 5);
  }
  const samples = new Samples();
  let ops = 0;
  let units = 0;
  const start = performance.now();
  const end = start + durationMs;
  const loop = async (w: number): Promise<void> => {
    // At least one op per worker, so long operations (a 1M-row stream) always count.
    do {
      const t0 = performance.now();
      const n = await plan.op(w);
      const t1 = performance.now();
      samples.push(t1 - t0);
      ops++;
      units += n;
      if (spec.measureRss) {
        const r = process.memoryUsage.rss();
        if (r > rssPeak) rssPeak = r;
      }
    } while (performance.now() < end);
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < concurrency; w++) workers.push(loop(w));
  try {
    await Promise.all(workers);
  } finally {
    if (sampler) clearInterval(sampler);
  }
  const elapsedMs = performance.now() - start;
  const [p50, p99] = samples.percentiles(50, 99);
  const result: CellResult = { ops, units, elapsedMs, p50Ms: p50!, p99Ms: p99!, method: plan.method };
  if (spec.measureRss) result.rssGrowthMB = (rssPeak - rssBase) / (1024 * 1024);
  return result;
}

async function main(): Promise<void> {
  const client = process.argv[2] ?? '';
  let adapter: ClientAdapter | undefined;
  let session: RoundTripSession | undefined;
  const send = (r: WorkerResponse) => process.stdout.write(JSON.stringify(r) + '\n');
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    const req = JSON.parse(line) as WorkerRequest;
    try {
      if (req.cmd === 'hello') {
        adapter = await loadAdapter(client, req.dsn);
        send({ id: req.id, ok: true, hello: { client, version: adapter.version, runtime: `node ${process.version}`, notes: adapter.notes } });
      } else if (req.cmd === 'run') {
        if (!adapter) throw new Error('run before hello');
        const plan = await adapter.plan(req.spec, req.concurrency);
        if ('notImplemented' in plan) {
          send({ id: req.id, ok: false, notImplemented: plan.notImplemented });
        } else {
          send({ id: req.id, ok: true, result: await runCell(req.spec, plan, req.concurrency, req.durationMs) });
        }
      } else if (req.cmd === 'rtOpen') {
        if (!adapter) throw new Error('rtOpen before hello');
        await session?.close();
        session = undefined;
        const opened = adapter.roundTripSession ? await adapter.roundTripSession(req.dsn, req.variant) : { notImplemented: 'round-trip session' };
        if ('notImplemented' in opened) {
          send({ id: req.id, ok: false, notImplemented: opened.notImplemented });
        } else {
          session = opened;
          send({ id: req.id, ok: true, rtOpened: { method: opened.method } });
        }
      } else if (req.cmd === 'rtQuery') {
        if (!session) throw new Error('rtQuery before rtOpen');
        send({ id: req.id, ok: true, rtRows: await session.query(req.sql, req.args) });
      } else if (req.cmd === 'rtClose') {
        await session?.close();
        session = undefined;
        send({ id: req.id, ok: true, closed: true });
      } else {
        await session?.close().catch(() => undefined);
        await adapter?.close();
        send({ id: req.id, ok: true, closed: true });
        break;
      }
    } catch (e) {
      send({ id: req.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  }
  rl.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`worker ${process.argv[2] ?? ''} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
