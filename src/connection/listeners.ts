/**
 * LISTEN/NOTIFY channel listeners and query loggers. Notifications arrive
 * out of band (the read loop hands them over whatever request is running),
 * so a callback runs as soon as its NotificationResponse is read, even in
 * the middle of another query's results.
 */
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { InterfaceError } from '../errors/client.js';
import { PostgresError } from '../errors/postgres-error.js';
import type { Connection } from './connection.js';
import type { Notification } from './core.js';
import { quoteIdent } from './copy-sql.js';
import { tagRowCount } from './server-reply.js';

/** Where a notification came from. */
export interface NotificationInfo {
  /** Process ID of the server backend that sent the NOTIFY. */
  pid: number;
  /** The channel it was sent on. */
  channel: string;
  /** The connection that received it. */
  connection: Connection;
}

/** Called with each notification's payload ('' when NOTIFY had none). A returned promise is not awaited. */
export type NotificationListener = (payload: string, info: NotificationInfo) => void | Promise<void>;

/** PostgreSQL identifiers (so channel names) hold at most NAMEDATALEN - 1 bytes. */
const MAX_CHANNEL_BYTES = 63;

function checkChannel(channel: unknown, method: string): asserts channel is string {
  if (typeof channel !== 'string' || channel === '') {
    throw new InterfaceError(`${method}(): the channel must be a non-empty string, got ${JSON.stringify(channel) ?? typeof channel}`);
  }
  const bytes = Buffer.byteLength(channel, 'utf8');
  if (bytes > MAX_CHANNEL_BYTES) {
    throw new InterfaceError(
      `${method}(): channel name is ${bytes} bytes; PostgreSQL truncates identifiers to ${MAX_CHANNEL_BYTES} bytes, ` +
        'so notifications would arrive under another name. Use a shorter channel name',
    );
  }
  if (channel.includes('\0')) throw new InterfaceError(`${method}(): the channel name contains a NUL character`);
}

function warn(what: string, e: unknown): void {
  process.emitWarning(`pgjet: ${what} threw: ${e instanceof Error ? e.message : String(e)}`);
}

/**
 * The channels one connection listens on, and the callbacks for each.
 * @internal
 */
export class ChannelListeners {
  private readonly channels = new Map<string, Set<NotificationListener>>();
  /** LISTEN statements on their way, so a second listener waits for the first's LISTEN. */
  private readonly listening = new Map<string, Promise<string>>();

  /** Register `fn` for `channel`; the first listener of a channel sends LISTEN. */
  async add(conn: Connection, channel: string, fn: NotificationListener): Promise<void> {
    checkChannel(channel, 'addListener');
    if (typeof fn !== 'function') throw new InterfaceError('addListener(): the callback must be a function');
    let set = this.channels.get(channel);
    if (set !== undefined) {
      set.add(fn);
      const pending = this.listening.get(channel);
      if (pending !== undefined) await pending;
      return;
    }
    set = new Set([fn]);
    this.channels.set(channel, set);
    const listen = conn.execute(`LISTEN ${quoteIdent(channel)}`);
    this.listening.set(channel, listen);
    try {
      await listen;
    } catch (e) {
      if (this.channels.get(channel) === set) this.channels.delete(channel);
      throw e;
    } finally {
      if (this.listening.get(channel) === listen) this.listening.delete(channel);
    }
  }

  /** Remove `fn` (or every callback) from `channel`; the last one gone sends UNLISTEN. */
  async remove(conn: Connection, channel: string, fn?: NotificationListener): Promise<void> {
    checkChannel(channel, 'removeListener');
    const set = this.channels.get(channel);
    if (set === undefined) return;
    if (fn !== undefined) {
      set.delete(fn);
      if (set.size > 0) return;
    }
    this.channels.delete(channel);
    if (!conn.isClosed()) await conn.execute(`UNLISTEN ${quoteIdent(channel)}`);
  }

  /** Channels with at least one listener. */
  get channelNames(): string[] {
    return [...this.channels.keys()];
  }

  /** Hand a notification to the channel's callbacks. A callback that throws is reported as a process warning. */
  dispatch(conn: Connection, n: Notification): void {
    const set = this.channels.get(n.channel);
    if (set === undefined) return;
    const info: NotificationInfo = { pid: n.processId, channel: n.channel, connection: conn };
    for (const fn of [...set]) {
      try {
        const r = fn(n.payload, info);
        if (r instanceof Promise) r.catch((e: unknown) => warn('a notification listener', e));
      } catch (e) {
        warn('a notification listener', e);
      }
    }
  }
}

/**
 * One finished call, as a query logger receives it. The fields map onto an
 * OpenTelemetry database client span: db.system.name "postgresql",
 * db.query.text = sql, db.operation.name = command, db.namespace =
 * connection.database, server.address/server.port = connection.host/port,
 * db.response.returned_rows = rowCount, error.type = error.name,
 * db.response.status_code = sqlstate; the span runs from startTime for durationMs.
 */
export interface QueryLogRecord {
  /** The SQL text as the caller gave it. */
  sql: string;
  /** Parameter values (empty when there were none). They may hold secrets: redact before exporting. */
  args: readonly unknown[];
  /** When the call started, in milliseconds since the epoch (with sub-millisecond digits). */
  startTime: number;
  /** How long the call took, in milliseconds. */
  durationMs: number;
  /** Rows returned or affected, from the command tag or the rows received; undefined when unknown. */
  rowCount: number | undefined;
  /** The command: the first word of the command tag, or of the SQL ('SELECT', 'INSERT', 'COPY' ...). */
  command: string | undefined;
  /** The error the call failed with, if it failed. */
  error: Error | undefined;
  /** SQLSTATE of a server error. */
  sqlstate: string | undefined;
  /** Where the call ran. */
  connection: {
    host: string;
    port: number;
    database: string;
    user: string;
    /** The server backend's process ID. */
    serverPid: number;
  };
}

/** Receives a record of every call once it settles. Must not throw (a throw becomes a process warning). */
export type QueryLogger = (record: QueryLogRecord) => void;

function commandOf(tag: string | undefined, sql: string): string | undefined {
  const fromTag = tag ? /^[A-Z]+/.exec(tag)?.[0] : undefined;
  if (fromTag) return fromTag;
  return /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase();
}

/** Row count and tag from whatever a call's body resolved with. */
function outcome(value: unknown): { tag: string | undefined; rows: number | undefined } {
  if (typeof value === 'string') return { tag: value, rows: tagRowCount(value) };
  if (value !== null && typeof value === 'object') {
    const v = value as { tag?: unknown; rows?: unknown };
    const tag = typeof v.tag === 'string' ? v.tag : undefined;
    const fromTag = tag !== undefined ? tagRowCount(tag) : undefined;
    return { tag, rows: fromTag ?? (Array.isArray(v.rows) ? v.rows.length : undefined) };
  }
  return { tag: undefined, rows: undefined };
}

/**
 * Report a call to the connection's query loggers when `p` settles. Returns
 * `p` itself: logging never changes what the caller sees.
 * @internal
 */
export function logQuery<T>(
  conn: Connection,
  loggers: ReadonlySet<QueryLogger>,
  q: { text: string; args?: readonly unknown[] },
  p: Promise<T>,
): Promise<T> {
  const t0 = performance.now();
  const startTime = performance.timeOrigin + t0;
  const emit = (value: unknown, error: Error | undefined) => {
    const core = conn.core;
    const o = error === undefined ? outcome(value) : { tag: undefined, rows: undefined };
    const record: QueryLogRecord = {
      sql: q.text,
      args: q.args ?? [],
      startTime,
      durationMs: performance.now() - t0,
      rowCount: o.rows,
      command: commandOf(o.tag, q.text),
      error,
      sqlstate: error instanceof PostgresError ? error.sqlstate : undefined,
      connection: { host: core.host, port: core.port, database: core.database, user: core.user, serverPid: core.processId },
    };
    for (const fn of loggers) {
      try {
        fn(record);
      } catch (e) {
        warn('a query logger', e);
      }
    }
  };
  void p.then(
    (v) => emit(v, undefined),
    (e: unknown) => emit(undefined, e instanceof Error ? e : new Error(String(e))),
  );
  return p;
}
