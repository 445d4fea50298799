/**
 * What a Node client adapter provides to the worker: per workload, the
 * operation each concurrent worker runs in a loop. An operation resolves to
 * the units it completed (rows or queries) so the runner can check it.
 */
import type { WorkloadSpec } from '../lib/workloads.js';

/** A runnable cell: `op(w)` is one operation of worker `w` (0-based). */
export interface CellPlan {
  op: (worker: number) => Promise<number>;
  /** How the client runs this workload, shown in the results. */
  method: string;
}

/** Returned instead of a plan when the client cannot run the workload. */
export interface NotImplemented {
  notImplemented: string;
}

/**
 * One plain connection for counting round trips: opened, connected and idle,
 * ready for statements it has never run.
 */
export interface RoundTripSession {
  /** How `query` runs a statement, shown in the results. */
  method: string;
  /** Run `sql` once with `args`; resolves to the row count. */
  query(sql: string, args: unknown[]): Promise<number>;
  /** Close the connection. */
  close(): Promise<void>;
}

/** One client library behind the worker protocol. */
export interface ClientAdapter {
  /** Library version, for the results header. */
  version: string;
  /** Anything worth showing once (e.g. "pool: 10 dedicated connections"). */
  notes: string[];
  /** Build the operation for a workload at a concurrency. */
  plan(spec: WorkloadSpec, concurrency: number): Promise<CellPlan | NotImplemented>;
  /** Close every connection. */
  close(): Promise<void>;
  /**
   * Open a connection for the round-trip count. It must be fully connected
   * when this resolves (any query the library runs at connect done), so the
   * count covers the measured statement only. `variant` picks one of the
   * client's ways to run a statement (see bench/lib/round-trips.ts).
   */
  roundTripSession?(dsn: string, variant: string): Promise<RoundTripSession | NotImplemented>;
}

/** What a round-trip session of a lazily connecting library runs to finish connecting; never a measured statement. */
export const CONNECT_WARMUP_SQL = 'SELECT 42';

/** A random integer in [1, max]. */
export function randomId(max: number): number {
  return 1 + Math.floor(Math.random() * max);
}

/** Throw when an operation returned an unexpected number of rows: a fast wrong answer is no result. */
export function checkRows(spec: WorkloadSpec, got: number): number {
  if (spec.expectRows !== undefined && got !== spec.expectRows) {
    throw new Error(`${spec.id}: expected ${spec.expectRows} rows, got ${got}`);
  }
  return got;
}

/** Split records into chunks of text lines in COPY's text format, for stream-based COPY clients. */
export function copyTextChunks(records: readonly (readonly [number, string, number, Date])[], rowsPerChunk = 2000): string[] {
  const chunks: string[] = [];
  let lines: string[] = [];
  for (const r of records) {
    // Values here never contain tabs, backslashes or newlines, so no escaping is needed.
    lines.push(`${r[0]}\t${r[1]}\t${r[2]}\t${r[3].toISOString()}\n`);
    if (lines.length === rowsPerChunk) {
      chunks.push(lines.join(''));
      lines = [];
    }
  }
  if (lines.length > 0) chunks.push(lines.join(''));
  return chunks;
}
