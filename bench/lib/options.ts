/** Command-line options of `npm run bench`. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** Every client the benchmark knows, in table order. */
export const ALL_CLIENTS = ['pgjet', 'node-postgres', 'postgres.js', 'asyncpg', 'pgbench'] as const;
/**
 * A client name. 'pgjet-alt' is a second build of pgjet (--pgjet-alt), run
 * beside the first to measure a change within one run.
 */
export type ClientName = (typeof ALL_CLIENTS)[number] | 'pgjet-alt';

/** Resolved options. */
export interface BenchOptions {
  workloads: string[] | undefined;
  clients: ClientName[];
  durationMs: number;
  warmupMs: number;
  rounds: number;
  concurrency: number | undefined;
  dsn: string | undefined;
  outDir: string | undefined;
  install: boolean;
  profileDir: string | undefined;
  /** How the primary pgjet client uses its pool: 'on' (default), 'off' (one connection per worker), 'noreset' (no reset on release). */
  pgjetPool: 'on' | 'off' | 'noreset';
  /** Entry module (dist/src/index.js) of another pgjet build to run as 'pgjet-alt'. */
  pgjetAlt: string | undefined;
}

/** The help text. */
export const USAGE = `usage: npm run bench -- [options]

Runs every workload against every client in one run, interleaved, and writes
bench/results/latest.json and latest.svg.

  --workloads=a,b     workload ids (default: all; see the list below); roundtrips is the
                      round-trip count per query, so --workloads=roundtrips runs only it
  --clients=a,b       ${ALL_CLIENTS.join(', ')} (default: all)
  --duration=S        seconds per measured cell (default 2)
  --rounds=N          measured rounds per workload and client (default 3)
  --warmup=S          warm-up seconds per workload and client (default 1)
  --long              longer cells for a steadier result: --duration=10 --rounds=5 --warmup=3
  --concurrency=N     workers (and pool size) of the multi-worker workloads (default 10)
  --dsn=URL           use this server instead of starting a temporary one
                      (also PGJET_BENCH_DSN; the bench creates and drops bench_* tables there)
  --out=DIR           where to write the results (default bench/results; with --workloads
                      or --clients, results go to bench/results/partial.tmp/ unless --out is given)
  --no-install        never run apt-get for missing peers (asyncpg, pgbench)
  --profile=DIR       run the pgjet worker under node --cpu-prof, profiles written to DIR
  --pgjet-pool=MODE   on (default), off (one connection per worker) or noreset (the pool
                      with a no-op reset on release); with --pgjet-alt=. this measures
                      the pool's own cost in one run
  --pgjet-alt=PATH    also run another build of pgjet as client 'pgjet-alt', to measure a
                      change in one run: PATH is its checkout (with dist/ built) or its
                      dist/src/index.js
  --help              this text
`;

/** Parse argv (without node and the script). Throws with a message on bad input. */
export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      workloads: { type: 'string' },
      clients: { type: 'string' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      long: { type: 'boolean' },
      concurrency: { type: 'string' },
      dsn: { type: 'string' },
      out: { type: 'string' },
      'no-install': { type: 'boolean' },
      profile: { type: 'string' },
      'pgjet-alt': { type: 'string' },
      'pgjet-pool': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const num = (name: string, v: string | undefined, def: number, min: number): number => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  const long = values.long === true;
  const clients = values.clients === undefined ? [...ALL_CLIENTS] : values.clients.split(',').map((s) => s.trim()).filter(Boolean);
  for (const c of clients) {
    if (!(ALL_CLIENTS as readonly string[]).includes(c)) throw new Error(`unknown client ${JSON.stringify(c)}; known: ${ALL_CLIENTS.join(', ')}`);
  }
  const poolOpt = values['pgjet-pool'];
  if (poolOpt !== undefined && poolOpt !== 'on' && poolOpt !== 'off' && poolOpt !== 'noreset') {
    throw new Error(`--pgjet-pool must be on, off or noreset, got ${JSON.stringify(poolOpt)}`);
  }
  let pgjetAlt: string | undefined;
  if (values['pgjet-alt'] !== undefined) {
    const given = resolve(values['pgjet-alt']);
    pgjetAlt = given.endsWith('.js') ? given : join(given, 'dist', 'src', 'index.js');
    if (!existsSync(pgjetAlt)) throw new Error(`--pgjet-alt: ${pgjetAlt} does not exist; build that checkout first (npm run build)`);
    const at = clients.indexOf('pgjet');
    clients.splice(at < 0 ? 0 : at + 1, 0, 'pgjet-alt');
  }
  const concurrency = values.concurrency === undefined ? undefined : Math.floor(num('concurrency', values.concurrency, 10, 1));
  return {
    workloads: values.workloads?.split(',').map((s) => s.trim()).filter(Boolean),
    clients: clients as ClientName[],
    durationMs: num('duration', values.duration, long ? 10 : 2, 0.1) * 1000,
    warmupMs: num('warmup', values.warmup, long ? 3 : 1, 0) * 1000,
    rounds: Math.floor(num('rounds', values.rounds, long ? 5 : 3, 1)),
    concurrency,
    dsn: values.dsn ?? (process.env['PGJET_BENCH_DSN'] || undefined),
    outDir: values.out,
    install: values['no-install'] !== true,
    profileDir: values.profile,
    pgjetAlt,
    pgjetPool: poolOpt ?? 'on',
  };
}
