/**
 * Round trips per query. Each client opens one plain connection through a
 * counting TCP proxy (src/testing/proxy.ts), runs a statement it has never
 * run on that connection, then the same statement a few more times, one
 * after another. The proxy counts client turns; the counters are cleared
 * right before each run and read when the client process reports the run
 * done, so connecting, authentication and whatever a library runs at
 * connect stay out of the count.
 */
import { TcpProxy } from '../../src/testing/index.js';
import type { ClientName } from './options.js';
import type { WorkerResponse } from './protocol.js';
import type { RequestBody } from './worker-host.js';

/** The id that selects this measurement in --workloads (`--workloads=roundtrips` runs only it). */
export const ROUND_TRIPS_ID = 'roundtrips';

/** Runs after the first one, averaged into the cached figure. */
export const CACHED_RUNS = 5;

/** A statement whose round trips are counted. */
export interface RoundTripStatement {
  /** Short id, the key in the JSON. */
  id: string;
  sql: string;
  args: unknown[];
  /** Rows every run must return. */
  expectRows: number;
}

/** The statements, in the order each connection runs them. */
export const ROUND_TRIP_STATEMENTS: readonly RoundTripStatement[] = [
  { id: 'param', sql: 'SELECT id, name FROM bench_point WHERE id = $1', args: [4242], expectRows: 1 },
  { id: 'select1', sql: 'SELECT 1', args: [], expectRows: 1 },
];

/** How a round trip is counted, as the results state it. */
export const ROUND_TRIP_DEFINITION =
  'a client turn on the connection: the first write after something came back from the server; ' +
  'writes in one burst before any reply count once. Counted by a TCP proxy between the client and the server, ' +
  'from the start of a run to its result; connecting and authentication are not counted.';

/**
 * The ways each client runs a statement in this measurement: node-postgres
 * with a named statement (the form its workloads use) and without a name
 * (its plain query(text, values)); every other client has one way.
 */
export function roundTripVariants(client: ClientName): string[] {
  return client === 'node-postgres' ? ['named', 'unnamed'] : ['default'];
}

/** One statement on one client: the first run and the cached runs. */
export interface RoundTripCount {
  statement: string;
  sql: string;
  /** Round trips of the first run on the connection. */
  first: number;
  /** Mean round trips of the {@link CACHED_RUNS} runs after it. */
  cached: number;
  cachedRuns: number[];
}

/** One client (and variant) in the measurement. */
export interface RoundTripCase {
  client: ClientName;
  /** 'default', or the client's variant (node-postgres: 'named', 'unnamed'). */
  variant: string;
  status: 'ok' | 'missing' | 'not-implemented' | 'error';
  /** Why it was not measured. */
  detail?: string;
  /** How the client ran the statements. */
  method?: string;
  /** Round trips while the connection sat idle after connecting, before the first run (not counted anywhere; expected 0). */
  idleAfterConnect?: number;
  statements: RoundTripCount[];
}

/** The `roundTrips` section of the run's JSON. */
export interface RoundTripReport {
  definition: string;
  cachedRuns: number;
  cases: RoundTripCase[];
}

/** Send one request to a client process (greeting it first when needed). */
export type Ask = (body: RequestBody, timeoutMs: number) => Promise<WorkerResponse>;

/** The server's URL with host and port replaced by the proxy's. */
export function proxiedDsn(dsn: string, port: number): string {
  const u = new URL(dsn);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  for (const k of ['host', 'hostaddr', 'port']) u.searchParams.delete(k);
  return u.toString();
}

/** "2", "1", "1.4": whole numbers without decimals. */
export function fmtTrips(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function failure(r: WorkerResponse): string {
  if (r.ok) return 'unexpected answer';
  return 'error' in r ? r.error : r.notImplemented;
}

/** Measure one client (one variant) through a proxy of its own to the server at target. */
export async function measureRoundTrips(ask: Ask, target: { host: string; port: number }, dsn: string, client: ClientName, variant: string): Promise<RoundTripCase> {
  const out: RoundTripCase = { client, variant, status: 'ok', statements: [] };
  const proxy = await TcpProxy.start({ targetHost: target.host, targetPort: target.port });
  let opened = false;
  try {
    const o = await ask({ cmd: 'rtOpen', dsn: proxiedDsn(dsn, proxy.port), variant }, 60_000);
    if (!o.ok && 'notImplemented' in o) return { ...out, status: 'not-implemented', detail: o.notImplemented };
    if (!o.ok || !('rtOpened' in o)) return { ...out, status: 'error', detail: failure(o) };
    opened = true;
    out.method = o.rtOpened.method;
    // A library that keeps talking after connect resolved would blur the counts: record it.
    proxy.resetCounts();
    await new Promise((r) => setTimeout(r, 50));
    out.idleAfterConnect = proxy.roundTrips();
    for (const st of ROUND_TRIP_STATEMENTS) {
      const runs: number[] = [];
      for (let i = 0; i <= CACHED_RUNS; i++) {
        proxy.resetCounts();
        const r = await ask({ cmd: 'rtQuery', sql: st.sql, args: st.args }, 30_000);
        if (!r.ok || !('rtRows' in r)) return { ...out, status: 'error', detail: `${st.sql}: ${failure(r)}` };
        if (r.rtRows !== st.expectRows) return { ...out, status: 'error', detail: `${st.sql}: expected ${st.expectRows} rows, got ${r.rtRows}` };
        runs.push(proxy.roundTrips());
      }
      const cachedRuns = runs.slice(1);
      out.statements.push({ statement: st.id, sql: st.sql, first: runs[0]!, cached: cachedRuns.reduce((a, b) => a + b, 0) / cachedRuns.length, cachedRuns });
    }
    return out;
  } catch (e) {
    return { ...out, status: 'error', detail: e instanceof Error ? e.message : String(e) };
  } finally {
    if (opened) await ask({ cmd: 'rtClose' }, 15_000).catch(() => undefined);
    await proxy.close();
  }
}

/** The Markdown section: one row per client and variant, first run / cached run per statement. */
export function renderRoundTrips(rt: RoundTripReport): string {
  const header = ['Client', ...ROUND_TRIP_STATEMENTS.map((s) => `\`${s.sql}\``), 'How'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 || i === header.length - 1 ? '---' : '---:')).join('|')}|`];
  for (const c of rt.cases) {
    const name = c.variant === 'default' ? c.client : `${c.client} (${c.variant})`;
    const cells = ROUND_TRIP_STATEMENTS.map((s) => {
      const n = c.statements.find((x) => x.statement === s.id);
      return n ? `${fmtTrips(n.first)} / ${fmtTrips(n.cached)}` : '—';
    });
    let how = c.method ?? '';
    if (c.status !== 'ok') how = `**${c.status === 'not-implemented' ? 'not implemented' : c.status}**: ${(c.detail ?? '').split('\n')[0]}`;
    else if (c.idleAfterConnect) how += ` (note: ${c.idleAfterConnect} round trip(s) after connect resolved, not counted)`;
    lines.push(`| ${[name, ...cells, how].join(' | ')} |`);
  }
  return lines.join('\n');
}
