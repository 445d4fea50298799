/**
 * pgbench -M prepared as the C/libpq ceiling: one run per cell, per-transaction
 * logs for the latency percentiles.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CellResult } from './protocol.js';
import { Samples } from './stats.js';

/** Where and how to reach the server. */
export interface PgbenchTarget {
  bin: string;
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
}

/** pgbench's version line, e.g. "pgbench (PostgreSQL) 15.14". */
export function pgbenchVersion(bin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, ['--version'], (err, stdout) => (err ? reject(err) : resolve(stdout.trim())));
  });
}

/**
 * Run `script` for `durationMs` (rounded up to whole seconds: pgbench's -T
 * takes seconds) with `clients` connections. Each transaction stands for
 * `unitsPerTx` units of the workload.
 */
export async function runPgbench(
  target: PgbenchTarget,
  script: string,
  clients: number,
  durationMs: number,
  unitsPerTx: number,
  minSeconds = 2,
): Promise<CellResult> {
  const dir = await mkdtemp(join(tmpdir(), 'pgjet-pgbench-'));
  try {
    const file = join(dir, 'script.sql');
    await writeFile(file, script);
    const seconds = Math.max(minSeconds, Math.ceil(durationMs / 1000));
    const args = [
      '-n', // no vacuum of pgbench's own tables: they do not exist
      '-M', 'prepared',
      '-c', String(clients),
      '-j', String(Math.min(clients, 2)),
      '-T', String(seconds),
      '-f', file,
      '-l', `--log-prefix=${join(dir, 'tx')}`,
      '-h', target.host,
      '-p', String(target.port),
      '-U', target.user,
      target.database,
    ];
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (target.password !== undefined) env['PGPASSWORD'] = target.password;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(target.bin, args, { env, maxBuffer: 16 << 20 }, (err, out, errOut) => {
        if (err) reject(new Error(`pgbench failed: ${errOut.trim() || err.message}`));
        else resolve(out);
      });
    });
    const processed = /number of transactions actually processed: (\d+)/.exec(stdout);
    const failed = /number of failed transactions: (\d+)/.exec(stdout);
    if (!processed) throw new Error(`could not read pgbench's output:\n${stdout}`);
    if (failed && Number(failed[1]) > 0) throw new Error(`pgbench: ${failed[1]} failed transactions`);
    // Each pgbench run is a new process: its connections prepare every statement of the script
    // on their first transaction (1 000 of them for the insert batch). The other clients are warm,
    // so count only what completes after every connection has finished its first transaction.
    const txs: { client: number; end: number; latencyMs: number }[] = [];
    for (const name of await readdir(dir)) {
      if (!name.startsWith('tx')) continue;
      const text = await readFile(join(dir, name), 'utf8');
      for (const line of text.split('\n')) {
        // client_id transaction_no time(us) script_no time_epoch(s) time_us: the time is when the transaction ended.
        const f = line.split(' ');
        if (f.length < 6) continue;
        txs.push({ client: Number(f[0]), end: Number(f[4]) * 1000 + Number(f[5]) / 1000, latencyMs: Number(f[2]) / 1000 });
      }
    }
    const firstEnd = new Map<number, number>();
    for (const t of txs) firstEnd.set(t.client, Math.min(firstEnd.get(t.client) ?? Infinity, t.end));
    let t0 = -Infinity;
    for (const e of firstEnd.values()) if (e > t0) t0 = e;
    const warm = txs.filter((t) => t.end > t0);
    if (warm.length < 2) throw new Error(`pgbench completed too few transactions (${txs.length}) in ${seconds} s to measure; use a longer --duration`);
    let t1 = t0;
    for (const t of warm) if (t.end > t1) t1 = t.end;
    const samples = new Samples();
    for (const t of warm) samples.push(t.latencyMs);
    const [p50, p99] = samples.percentiles(50, 99);
    const ops = warm.length;
    return { ops, units: ops * unitsPerTx, elapsedMs: t1 - t0, p50Ms: p50!, p99Ms: p99!, method: `pgbench -M prepared -c ${clients} -j ${Math.min(clients, 2)}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
