/**
 * One pooled connection and what the pool knows about it.
 */
import { performance } from 'node:perf_hooks';
import type { Connection } from '../connection/connection.js';
import type { Lease } from './lease.js';

/** A function property of a Connection. */
export type Method = (...args: unknown[]) => unknown;

/** One pooled connection and what the pool knows about it. */
export class Slot {
  state: 'idle' | 'checking' | 'leased' | 'resetting' = 'idle';
  idleSince: number;
  leasedAt = 0;
  queries = 0;
  lease: Lease | undefined = undefined;
  /** The connection's statement invalidation count when last looked at. */
  invalidations = 0;
  /** Another connection found a statement invalidated by a schema change: forget this one's cache once idle. */
  staleStatements = false;
  /** Bound methods handed out by leases, made once per connection. */
  readonly bound = new Map<PropertyKey, Method>();
  constructor(
    readonly conn: Connection,
    readonly expiresAt: number,
    readonly generation: number,
  ) {
    this.idleSince = performance.now();
  }
}
