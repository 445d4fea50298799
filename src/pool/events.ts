/**
 * What a pool reports: a stats snapshot and metric events named after
 * OpenTelemetry's database client connection metrics (semantic conventions
 * `db.client.connection.*`), and log events for things that deserve a
 * human's attention (leaks, sizing, lost connections, reconnects).
 */
import type { Connection } from '../connection/connection.js';
import type { PostgresLogMessage } from '../errors/postgres-error.js';

/** A snapshot of the pool; each field names the OpenTelemetry metric it feeds. */
export interface PoolStats {
  /** db.client.connection.pool.name */
  name: string;
  /** Connections open: idle + used (db.client.connection.count, summed over states). */
  size: number;
  /** db.client.connection.count{db.client.connection.state="idle"} */
  idle: number;
  /** db.client.connection.count{db.client.connection.state="used"}: held by callers, or being reset or checked. */
  used: number;
  /** Connections being opened (not yet in `size`). */
  connecting: number;
  /** db.client.connection.pending_requests: callers waiting for a connection. */
  pending: number;
  /** db.client.connection.idle.min */
  minSize: number;
  /** db.client.connection.idle.max and db.client.connection.max */
  maxSize: number;
  /** db.client.connection.timeouts, since the pool was created. */
  timeouts: number;
  /** Acquires served, since the pool was created. */
  acquires: number;
  /** Connections opened, since the pool was created. */
  created: number;
  /** Connections closed or lost, since the pool was created. */
  closed: number;
  /** Attempts to open a connection that failed, since the pool was created. */
  connectErrors: number;
}

/** Names of the metric events, exactly the OpenTelemetry instrument names. */
export type PoolMetricName =
  | 'db.client.connection.create_time'
  | 'db.client.connection.wait_time'
  | 'db.client.connection.use_time'
  | 'db.client.connection.timeouts';

/**
 * One measurement. Durations are in seconds (the unit OpenTelemetry's
 * histograms use); a timeout event has value 1 (a counter increment).
 *
 * @example pool.addMetricsListener((m) => histograms[m.name]?.record(m.value, m.attributes));
 */
export interface PoolMetricEvent {
  name: PoolMetricName;
  value: number;
  unit: 's' | '{timeout}';
  attributes: { 'db.client.connection.pool.name': string };
}

/** Receives each metric event. */
export type PoolMetricsListener = (event: PoolMetricEvent) => void;

/** A pool event for a human to read; `message` says what happened and what to do. */
export type PoolLogEvent =
  | {
      /** A connection was held longer than leakDetectionThreshold (reported once per acquire). */
      kind: 'leak';
      level: 'warning';
      message: string;
      heldFor: number;
      /** Stack of the acquire. */
      acquiredAt: string | undefined;
      connection: Connection;
    }
  | {
      /** maxSize is more than the server has room for. */
      kind: 'sizing';
      level: 'warning';
      message: string;
      maxSize: number;
      /** Connection slots the server had free for this pool at its first connection. */
      available: number;
    }
  | {
      /** An idle connection was lost, or a reset or health check failed; it was replaced. */
      kind: 'connection-lost';
      level: 'warning';
      message: string;
      error: Error | undefined;
    }
  | {
      /** Opening a connection failed where no caller was waiting to be told (filling minSize, 53300 retries). */
      kind: 'connect-error';
      level: 'warning';
      message: string;
      error: Error;
    }
  | {
      /** The pool.listen() connection was lost, or came back (notifications may have been missed in between). */
      kind: 'listen-lost' | 'listen-restored';
      level: 'warning' | 'info';
      message: string;
      error: Error | undefined;
    }
  | {
      /** A NOTICE or WARNING the server sent on one of the pool's connections. */
      kind: 'notice';
      level: 'info';
      message: string;
      notice: PostgresLogMessage;
      connection: Connection;
    };

/** Receives each log event of a pool. */
export type PoolLogListener = (event: PoolLogEvent) => void;

/** Call listeners, keeping a throwing one from breaking the pool. */
export function emitTo<E>(listeners: ReadonlySet<(e: E) => void>, event: E, what: string): void {
  for (const fn of listeners) {
    try {
      fn(event);
    } catch (e) {
      process.emitWarning(`pgjet: a pool ${what} listener threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
