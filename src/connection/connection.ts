/**
 * Connection: the public per-connection API (fetch, fetchRow, fetchVal,
 * execute, executeMany, prepare ...), built on the pipeline in core.ts.
 * Statements are prepared and cached automatically; concurrent calls are
 * pipelined; every call can carry a timeout and an AbortSignal.
 */
import { InterfaceError, PgjetError } from '../errors/client.js';
import type { PostgresLogMessage } from '../errors/postgres-error.js';
import { writeClose, writeDescribe, writeExecute, writeParse, writeQuery, writeSync } from '../protocol/frontend.js';
import type { TypeRegistry } from '../types/registry.js';
import { writeBind } from './bind.js';
import { abortError, CallControl, ConnectionCore, timeoutError } from './core.js';
import type { Notification } from './core.js';
import { PreparedStatement } from './prepared-statement.js';
import { normalizeQuery } from './query-args.js';
import type { QueryConfig, NormalizedQuery } from './query-args.js';
import { AckRequest, ExecuteRequest, PrepareRequest, Settle, SimpleQueryRequest } from './requests.js';
import type { Described, QueryResult, RowMode } from './requests.js';
import { parseServerVersion } from './server-version.js';
import type { ServerVersion } from './server-version.js';
import { StatementCache, StatementInfo } from './statement.js';

/** A log listener receives every NoticeResponse (NOTICE, WARNING, INFO ...) from the server. */
export type LogListener = (connection: Connection, message: PostgresLogMessage) => void;
/** Called once when the connection closes, for any reason. */
export type TerminationListener = (connection: Connection, error: Error | undefined) => void;

/** Options that shape a Connection once connected (set by connect()). */
export interface ConnectionSettings {
  statementCacheSize: number;
  commandTimeout: number | undefined;
  rowMode: 'object' | 'array';
}

/** Statement cache counters. */
export interface StatementCacheStats {
  size: number;
  capacity: number;
  hits: number;
  misses: number;
  evictions: number;
}

/** Arguments of a query method: SQL text then variadic parameters, or one QueryConfig. */
export type QueryArgs = [sql: string, ...args: unknown[]] | [query: QueryConfig];

/** A PostgreSQL connection. Create one with `connect()`. */
export class Connection {
  /** @internal */
  readonly core: ConnectionCore;
  /** @internal */
  readonly registry: TypeRegistry;
  private readonly cache: StatementCache;
  private readonly settings: ConnectionSettings;
  private readonly logListeners = new Set<LogListener>();
  private readonly terminationListeners = new Set<TerminationListener>();
  private nextStatementId = 0;
  private closing: Promise<void> | undefined;

  /** @internal Use connect(). */
  constructor(core: ConnectionCore, registry: TypeRegistry, settings: ConnectionSettings) {
    this.core = core;
    this.registry = registry;
    this.settings = settings;
    this.cache = new StatementCache(settings.statementCacheSize);
  }

  /** @internal Routed from the core. */
  emitNotice(msg: PostgresLogMessage): void {
    if (this.logListeners.size === 0) return;
    for (const fn of this.logListeners) {
      try {
        fn(this, msg);
      } catch (e) {
        process.emitWarning(`pgjet: a log listener threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  /** @internal Routed from the core; LISTEN support builds on this. */
  emitNotification(_n: Notification): void {
    // Channel listeners arrive with LISTEN/NOTIFY support; until then
    // notifications are dropped rather than treated as protocol errors.
  }

  /** @internal Routed from the core. */
  emitClosed(err: Error | undefined): void {
    for (const fn of this.terminationListeners) {
      try {
        fn(this, err);
      } catch (e) {
        process.emitWarning(`pgjet: a termination listener threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  // ---------------------------------------------------------------- queries

  /**
   * Run a query and return all rows, as objects keyed by column name (or
   * arrays with `rowMode: 'array'`).
   *
   * @example const users = await conn.fetch<{ id: number; name: string }>('SELECT id, name FROM users WHERE age > $1', 30);
   */
  fetch<T = Record<string, unknown>>(...a: QueryArgs): Promise<T[]> {
    const q = this.normalize('fetch', a);
    if (q instanceof Error) return Promise.reject(q);
    const mode: RowMode = (q.rowMode ?? this.settings.rowMode) === 'array' ? 'array' : 'object';
    return this.run(q, (ctl) => this.query(q, mode, ctl)).then((r) => r.rows as T[]);
  }

  /** Run a query and return its first row, or null when there is none. */
  fetchRow<T = Record<string, unknown>>(...a: QueryArgs): Promise<T | null> {
    const q = this.normalize('fetchRow', a);
    if (q instanceof Error) return Promise.reject(q);
    const mode: RowMode = (q.rowMode ?? this.settings.rowMode) === 'array' ? 'array' : 'firstRow';
    return this.run(q, (ctl) => this.query(q, mode, ctl)).then((r) => (r.rows.length > 0 ? (r.rows[0] as T) : null));
  }

  /** Run a query and return the first column of its first row, or null when there is no row. */
  fetchVal<T = unknown>(...a: QueryArgs): Promise<T | null> {
    const q = this.normalize('fetchVal', a);
    if (q instanceof Error) return Promise.reject(q);
    return this.run(q, (ctl) => this.query(q, 'firstValue', ctl)).then((r) => (r.rows.length > 0 ? (r.rows[0] as T) : null));
  }

  /**
   * Run a command and return its status, e.g. "INSERT 0 1". Without
   * parameters it uses the simple protocol, so a script of several
   * statements separated by semicolons works (the last status is returned).
   */
  execute(...a: QueryArgs): Promise<string> {
    const q = this.normalize('execute', a);
    if (q instanceof Error) return Promise.reject(q);
    if (q.args.length === 0 && typeof a[0] === 'string') {
      return this.run(q, (ctl) => this.simpleQuery(q.text, ctl));
    }
    return this.run(q, (ctl) => this.query(q, 'none', ctl)).then((r) => r.tag);
  }

  /**
   * Run one statement once per argument list, all in one flight and
   * atomically: either every set applies or none does.
   *
   * @example await conn.executeMany('INSERT INTO t (a, b) VALUES ($1, $2)', [[1, 'x'], [2, 'y']]);
   */
  async executeMany(sql: string | QueryConfig, argsList: Iterable<readonly unknown[]>): Promise<void> {
    const q = normalizeQuery('executeMany', sql, []);
    if (argsList === null || typeof argsList !== 'object' || !(Symbol.iterator in argsList)) {
      throw new InterfaceError('executeMany(): the second argument must be an array (or iterable) of parameter arrays');
    }
    const list = Array.from(argsList);
    for (let i = 0; i < list.length; i++) {
      if (!Array.isArray(list[i])) {
        throw new InterfaceError(`executeMany(): argument set ${i} is not an array; pass an array of parameter arrays`);
      }
    }
    if (list.length === 0) return;
    return this.run(q, async (ctl) => {
      const stmt = await this.statementFor(q.text, ctl);
      await this.executeBatch(stmt, list, ctl, q.text);
    });
  }

  /** Prepare a statement explicitly; it stays prepared until close() or the connection ends. */
  async prepare(sql: string): Promise<PreparedStatement> {
    if (typeof sql !== 'string') throw new InterfaceError('prepare() expects SQL text');
    const name = `pgjet_p${this.nextStatementId++}`;
    const d = await this.describe(name, sql, new CallControl());
    return new PreparedStatement(this, new StatementInfo(name, sql, d.parameterOids, d.fields, this.registry));
  }

  // ---------------------------------------------------------------- state

  /** Server settings reported by ParameterStatus (server_version, TimeZone, ...), as a snapshot. */
  getSettings(): Readonly<Record<string, string>> {
    return Object.freeze(Object.fromEntries(this.core.parameters));
  }

  /** The server's version. */
  getServerVersion(): ServerVersion {
    return parseServerVersion(this.core.parameters.get('server_version') ?? '');
  }

  /** The process ID of the server backend serving this connection. */
  getServerPid(): number {
    return this.core.processId;
  }

  /** True inside a transaction block (including a failed one), from ReadyForQuery's status. */
  isInTransaction(): boolean {
    return this.core.txStatus !== 'I';
  }

  /** True once the connection is closed or lost. */
  isClosed(): boolean {
    return this.core.state.state === 'closed' || this.core.state.state === 'closing';
  }

  /** Statement cache counters: hits, misses, evictions. */
  getStatementCacheStats(): StatementCacheStats {
    return {
      size: this.cache.size,
      capacity: this.cache.capacity,
      hits: this.cache.hits,
      misses: this.cache.misses,
      evictions: this.cache.evictions,
    };
  }

  /** Receive the server's NOTICE/WARNING/INFO messages. They are never printed. */
  addLogListener(fn: LogListener): void {
    this.logListeners.add(fn);
  }

  /** Stop receiving log messages. */
  removeLogListener(fn: LogListener): void {
    this.logListeners.delete(fn);
  }

  /** Be told when the connection closes (error is undefined after close()). */
  addTerminationListener(fn: TerminationListener): void {
    this.terminationListeners.add(fn);
  }

  /** Stop being told about termination. */
  removeTerminationListener(fn: TerminationListener): void {
    this.terminationListeners.delete(fn);
  }

  /**
   * Close gracefully: wait for pending calls, then send Terminate. With a
   * timeout (ms), a close that takes longer terminates the connection.
   */
  close(options?: { timeout?: number }): Promise<void> {
    if (this.closing) return this.closing;
    const core = this.core;
    if (core.state.state === 'closed') return Promise.resolve();
    core.state.transition('closing');
    const graceful = this.idle().then(() => {
      core.end();
      return core.whenClosed();
    });
    const timeout = options?.timeout;
    if (timeout === undefined) {
      this.closing = graceful;
    } else {
      this.closing = new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.terminate();
          resolve();
        }, timeout);
        void graceful.then(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.closing;
  }

  /** Close at once: the socket is destroyed and pending calls reject. */
  terminate(): void {
    this.core.destroy();
  }

  /** `await using conn = await connect()` closes the connection at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------- internals

  /** Normalise the call's arguments; a malformed call comes back as the error to reject with. */
  private normalize(method: string, a: QueryArgs): NormalizedQuery | InterfaceError {
    const [first, ...rest] = a;
    try {
      return normalizeQuery(method, first, rest);
    } catch (e) {
      return e instanceof InterfaceError ? e : new InterfaceError(String(e));
    }
  }

  /**
   * Run a call under its timeout and AbortSignal. When either fires, the
   * call rejects at once and the server is asked to cancel the request the
   * call has in flight.
   */
  /** @internal */
  run<T>(q: { text: string; timeout?: number | undefined; signal?: AbortSignal | undefined }, body: (ctl: CallControl) => Promise<T>): Promise<T> {
    const timeout = q.timeout ?? this.settings.commandTimeout;
    const signal = q.signal;
    if (this.isClosed()) {
      return Promise.reject(this.core.closedError ?? new InterfaceError('the connection is closed; open a new one with connect()'));
    }
    if (signal?.aborted) return Promise.reject(abortError(signal, q.text));
    this.activeCalls++;
    return this.runControlled(timeout, signal, q.text, body).finally(this.callDone);
  }

  private activeCalls = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly callDone = (): void => {
    if (--this.activeCalls === 0) for (const w of this.idleWaiters.splice(0)) w();
  };

  /** Resolves when no call is in progress (a call may still be between its prepare and its execute). */
  private idle(): Promise<void> {
    if (this.activeCalls === 0) return this.core.drained();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve)).then(() => this.idle());
  }

  private runControlled<T>(timeout: number | undefined, signal: AbortSignal | undefined, text: string, body: (ctl: CallControl) => Promise<T>): Promise<T> {
    if (!timeout && !signal) return body(new CallControl());
    const q = { text };
    return new Promise<T>((resolve, reject) => {
      const ctl = new CallControl();
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const fire = (err: PgjetError) => {
        if (done) return;
        done = true;
        ctl.cancelled = true;
        cleanup();
        reject(err);
        if (ctl.request) this.core.cancel(ctl.request);
      };
      const onAbort = () => fire(abortError(signal!, q.text));
      if (timeout) timer = setTimeout(() => fire(timeoutError(timeout, q.text)), timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      body(ctl).then(
        (v) => {
          if (done) return;
          done = true;
          cleanup();
          resolve(v);
        },
        (e: unknown) => {
          if (done) return;
          done = true;
          cleanup();
          reject(e);
        },
      );
    });
  }

  private async query(q: NormalizedQuery, mode: RowMode, ctl: CallControl): Promise<QueryResult> {
    const stmt = await this.statementFor(q.text, ctl);
    if (ctl.cancelled) throw new InterfaceError('call cancelled');
    return this.executeStatement(stmt, q.args, mode, ctl, q.text);
  }

  /** @internal Bind + Execute + Sync for a described statement. */
  executeStatement(stmt: StatementInfo, args: readonly unknown[], mode: RowMode, ctl: CallControl, sql: string): Promise<QueryResult> {
    return new Promise<QueryResult>((resolve, reject) => {
      const req = new ExecuteRequest(stmt, mode, new Settle(resolve, reject), sql);
      const maxRows = mode === 'firstRow' || mode === 'firstValue' ? 1 : 0;
      const temporary = this.settings.statementCacheSize === 0 && stmt.name.startsWith('pgjet_s');
      try {
        this.core.enqueue(req, (w) => {
          writeBind(w, '', stmt, args, this.registry);
          writeExecute(w, '', maxRows);
          if (temporary) writeClose(w, 'S', stmt.name);
          writeSync(w);
        });
      } catch (e) {
        reject(decorateError(e, sql));
        return;
      }
      ctl.request = req;
    });
  }

  /** @internal All argument sets in one flight with a single Sync: atomic. */
  executeBatch(stmt: StatementInfo, list: readonly (readonly unknown[])[], ctl: CallControl, sql: string): Promise<QueryResult> {
    return new Promise<QueryResult>((resolve, reject) => {
      const req = new ExecuteRequest(stmt, 'none', new Settle(resolve, reject), sql);
      const temporary = this.settings.statementCacheSize === 0 && stmt.name.startsWith('pgjet_s');
      try {
        this.core.enqueue(req, (w) => {
          for (let i = 0; i < list.length; i++) {
            try {
              writeBind(w, '', stmt, list[i]!, this.registry);
            } catch (e) {
              if (e instanceof Error) e.message = `argument set ${i}: ${e.message}`;
              throw e;
            }
            writeExecute(w, '', 0);
          }
          if (temporary) writeClose(w, 'S', stmt.name);
          writeSync(w);
        });
      } catch (e) {
        reject(decorateError(e, sql));
        return;
      }
      ctl.request = req;
    });
  }

  private simpleQuery(sql: string, ctl: CallControl): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const req = new SimpleQueryRequest(new Settle(resolve, reject), sql, () => {
        this.core.writeNow((w) => {
          w.int8(0x66);
          const at = w.reserveLength();
          w.cstring('COPY FROM STDIN is not supported by execute(); use copyToTable() or copyRecordsToTable()');
          w.patchLength(at);
        });
      });
      try {
        this.core.enqueue(req, (w) => writeQuery(w, sql));
      } catch (e) {
        reject(decorateError(e, sql));
        return;
      }
      ctl.request = req;
    });
  }

  /** A described statement for `sql`: from the cache, or prepared now (and cached). */
  private statementFor(sql: string, ctl: CallControl): Promise<StatementInfo> {
    if (this.settings.statementCacheSize > 0) {
      const hit = this.cache.get(sql);
      if (hit) {
        return hit.then((s) => (s.closed ? this.prepareAndCache(sql, ctl) : s));
      }
    }
    return this.prepareAndCache(sql, ctl);
  }

  private prepareAndCache(sql: string, ctl: CallControl): Promise<StatementInfo> {
    const name = `pgjet_s${this.nextStatementId++}`;
    const p = this.describe(name, sql, ctl).then(
      (d) => new StatementInfo(name, sql, d.parameterOids, d.fields, this.registry),
    );
    if (this.settings.statementCacheSize > 0) {
      const evicted = this.cache.set(sql, p);
      for (const old of evicted) {
        old.then(
          (s) => {
            s.closed = true;
            this.core.writeRaw((w) => writeClose(w, 'S', s.name));
          },
          () => undefined,
        );
      }
      // A failed prepare must not stay cached.
      p.catch(() => {
        if (this.cache.peek(sql) === p) this.cache.delete(sql);
      });
    }
    return p;
  }

  private describe(name: string, sql: string, ctl: CallControl): Promise<Described> {
    return new Promise<Described>((resolve, reject) => {
      const req = new PrepareRequest(new Settle(resolve, reject), sql);
      try {
        this.core.enqueue(req, (w) => {
          writeParse(w, name, sql, []);
          writeDescribe(w, 'S', name);
          writeSync(w);
        });
      } catch (e) {
        reject(decorateError(e, sql));
        return;
      }
      ctl.request = req;
    });
  }

  /** @internal Close a named statement on the server now (Close + Sync). */
  closeStatement(name: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      try {
        this.core.enqueue(new AckRequest(new Settle(resolve, reject), undefined), (w) => {
          writeClose(w, 'S', name);
          writeSync(w);
        });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }
}

/** Attach the SQL to a client-side error raised while writing a request. */
function decorateError(e: unknown, sql: string): Error {
  if (e instanceof Error) {
    if (e instanceof InterfaceError && !e.message.includes(' in query: ')) {
      e.message = `${e.message} in query: ${sql.length > 200 ? sql.slice(0, 200) + '…' : sql}`;
    }
    return e;
  }
  return new InterfaceError(String(e));
}
