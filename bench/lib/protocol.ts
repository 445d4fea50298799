/**
 * The line protocol between the coordinator and a client process: one JSON
 * object per line on stdin (requests) and stdout (responses). The asyncpg
 * worker (bench/clients/asyncpg_worker.py) speaks the same protocol.
 */
import type { WorkloadSpec } from './workloads.js';

/** Coordinator -> client. */
export type WorkerRequest =
  | { id: number; cmd: 'hello'; dsn: string }
  | { id: number; cmd: 'run'; spec: WorkloadSpec; concurrency: number; durationMs: number }
  | { id: number; cmd: 'close' }
  /** Round trips (bench/lib/round-trips.ts): open one plain connection to `dsn` (the counting proxy) and finish connecting. */
  | { id: number; cmd: 'rtOpen'; dsn: string; variant: string }
  /** Run one statement once on that connection; the coordinator counts round trips around this request. */
  | { id: number; cmd: 'rtQuery'; sql: string; args: unknown[] }
  /** Close that connection. */
  | { id: number; cmd: 'rtClose' };

/** What one cell (one client, one workload, one round) measured. */
export interface CellResult {
  /** Completed operations. */
  ops: number;
  /** Rows or queries, as the workload's unit counts them. */
  units: number;
  /** Wall time from the first op's start to the last op's end, ms. */
  elapsedMs: number;
  /** Per-operation latency percentiles, ms. */
  p50Ms: number;
  p99Ms: number;
  /** Peak RSS growth during the cell, MB (workloads with measureRss only). */
  rssGrowthMB?: number;
  /** How this client ran the workload (API, pool, batch form). */
  method?: string;
}

/** Client -> coordinator. */
export type WorkerResponse =
  | { id: number; ok: true; hello: { client: string; version: string; runtime: string; notes?: string[] } }
  | { id: number; ok: true; result: CellResult }
  | { id: number; ok: true; closed: true }
  | { id: number; ok: true; rtOpened: { method: string } }
  | { id: number; ok: true; rtRows: number }
  | { id: number; ok: false; notImplemented: string }
  | { id: number; ok: false; error: string };
