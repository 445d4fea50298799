/**
 * Connection: the public per-connection API (fetch, fetchRow, fetchVal,
 * execute, executeMany, prepare ...), built on the pipeline in core.ts.
 * Statements are prepared and cached automatically; concurrent calls are
 * pipelined; every call can carry a timeout and an AbortSignal.
 */
import { InterfaceError, PgjetError } from '../errors/client.js';
import { InvalidCachedStatementError, PostgresError } from '../errors/postgres-error.js';
import type { PostgresLogMessage } from '../errors/postgres-error.js';
import type { StatementMode } from '../config/options.js';
import { writeClose, writeQuery, writeSync } from '../protocol/frontend.js';
import type { TypeRegistry } from '../types/registry.js';
import type { BuiltinTypeCodecOptions, TypeCodecOptions } from '../types/custom.js';
import { TypeResolver } from './type-resolver.js';
import type { TypeCache } from './type-resolver.js';
import { abortError, CallControl, ConnectionCore, timeoutError } from './core.js';
import type { Notification } from './core.js';
import { Batch } from './batch.js';
import type { BatchExecution } from './batch.js';
import { sendBatch, sendExecute, withSql } from './execute.js';
import { runFirstTime } from './first-run-call.js';
import type { FirstRunHost } from './first-run-call.js';
import { firstRunTexts } from './first-run.js';
import { PreparedStatement } from './prepared-statement.js';
import { normalizeQuery } from './query-args.js';
import type { QueryConfig, NormalizedQuery } from './query-args.js';
import { AckRequest, Settle, SimpleQueryRequest, TX_STATUS_AT_ERROR } from './requests.js';
import type { QueryResult, RowMode } from './requests.js';
import { parseServerVersion } from './server-version.js';
import type { ServerVersion } from './server-version.js';
import type { StatementInfo } from './statement.js';
import { StatementManager } from './statements.js';
import type { StatementCacheStats } from './statements.js';
import { runTransaction, Transaction, TransactionStack } from './transaction.js';
import { CursorFactory, normalizeCursor } from './cursor.js';
import type { CursorConfig } from './cursor.js';
import { copyFromQuery, copyFromTable, copyRecordsToTable, copyToTable } from './copy.js';
import type { CopyFromQueryOptions, CopyFromTableOptions, CopyOutput, CopyRecordsOptions, CopyToTableOptions } from './copy.js';
import { ChannelListeners, logQuery } from './listeners.js';
import type { NotificationListener, QueryLogger } from './listeners.js';
import type { TransactionBlockOptions, TransactionOptions } from './transaction.js';

/** A log listener receives every NoticeResponse (NOTICE, WARNING, INFO ...) from the server. */
export type LogListener = (connection: Connection, message: PostgresLogMessage) => void;
/** Called once when the connection closes, for any reason. */
export type TerminationListener = (connection: Connection, error: Error | undefined) => void;

/** Options that shape a Connection once connected (set by connect()). */
export interface ConnectionSettings {
  statementCacheSize: number;
  maxCachedStatementLifetime: number;
  maxCacheableStatementSize: number;
  statementMode: StatementMode;
  commandTimeout: number | undefined;
  rowMode: 'object' | 'array';
  /** Catalog answers about run-time types, shared by a pool's connections. */
  typeCache?: TypeCache;
  /** types.jsonStringify was given: json parameters are not what JSON.stringify writes. */
  customJsonStringify?: boolean;
}

export type { StatementCacheStats };

/** A call waiting for its turn to be written, so calls reach the server in call order. */
interface SubmitEntry {
  ready: boolean;
  run: () => void;
}

/** Server errors that mean a statement the client remembers is no longer valid on the server. */
function statementTrouble(e: unknown): 'invalid' | 'missing' | 'duplicate' | undefined {
  if (e instanceof InvalidCachedStatementError) return 'invalid';
  if (e instanceof PostgresError) {
    if (e.sqlstate === '26000') return 'missing';
    if (e.sqlstate === '42P05') return 'duplicate';
  }
  return undefined;
}

/** Arguments of a query method: SQL text then variadic parameters, or one QueryConfig. */
export type QueryArgs = [sql: string, ...args: unknown[]] | [query: QueryConfig];

/** A PostgreSQL connection. Create one with `connect()`. */
export class Connection {
  /** @internal */
  readonly core: ConnectionCore;
  /** @internal */
  readonly registry: TypeRegistry;
  /** @internal */
  readonly statements: StatementManager;
  /** @internal Run-time types: catalog lookups and custom codecs. */
  readonly types: TypeResolver;
  private readonly settings: ConnectionSettings;
  private readonly logListeners = new Set<LogListener>();
  private readonly terminationListeners = new Set<TerminationListener>();
  /** @internal The managed transactions open on this connection. */
  readonly txStack = new TransactionStack();
  /** @internal LISTEN channels and their callbacks. */
  readonly channelListeners = new ChannelListeners();
  /** @internal */
  readonly queryLoggers = new Set<QueryLogger>();
  private readonly submitQueue: SubmitEntry[] = [];
  private closing: Promise<void> | undefined;
  private closedByUser = false;

  /** @internal Use connect(). */
  constructor(core: ConnectionCore, registry: TypeRegistry, settings: ConnectionSettings) {
    this.core = core;
    this.registry = registry;
    this.settings = settings;
    core.onWritable = () => this.drainSubmit();
    this.statements = new StatementManager(
      core,
      registry,
      {
        cacheSize: settings.statementCacheSize,
        lifetime: settings.maxCachedStatementLifetime,
        maxSqlBytes: settings.maxCacheableStatementSize,
        mode: settings.statementMode,
      },
      (m) => this.emitNotice(m),
    );
    this.types = new TypeResolver(core, registry, settings.typeCache);
    this.statements.describeHook = (d) => this.types.ensureDescribed(d.parameterOids, d.fields);
  }

  /** @internal Routed from the core. */
  emitNotice(msg: PostgresLogMessage): void {
    if (this.logListeners.size === 0) {
      if (!this.connected && this.earlyNotices !== undefined && this.earlyNotices.length < 20) this.earlyNotices.push(msg);
      return;
    }
    for (const fn of this.logListeners) {
      try {
        fn(this, msg);
      } catch (e) {
        process.emitWarning(`pgjet: a log listener threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  /** @internal Routed from the core; LISTEN support builds on this. */
  emitNotification(n: Notification): void {
    this.channelListeners.dispatch(this, n);
  }

  /** @internal Routed from the core. */
  emitClosed(err: Error | undefined): void {
    // Calls held back by a full pipeline now run and reject with the connection's error.
    this.drainSubmit();
    if (this.closedByUser) err = undefined;
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
    const mode: RowMode = (q.rowMode ?? this.settings.rowMode) === 'array' ? 'firstArray' : 'firstRow';
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
      return this.run(q, (ctl) => this.ordered(q.text, (text) => this.simpleQuery(text, ctl)));
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
    if (q.args.length > 0) {
      throw new InterfaceError('executeMany(): pass the argument sets as the second argument, not in "args"');
    }
    if (list.length === 0) return;
    await this.run(q, (ctl) => this.submit(q.text, ctl, (stmt) => sendBatch(this.execContext(stmt), stmt, list, ctl, q.text)));
  }

  /**
   * Start an explicit batch: queries added to it go to the server in one
   * flight when you `await batch.run()`, and their results come back in order.
   *
   * @example
   * const [user, n] = await conn.batch().fetchRow('SELECT * FROM users WHERE id = $1', 7).fetchVal('SELECT count(*) FROM orders').run();
   */
  batch(): Batch {
    return new Batch({
      statementFor: (sql, ctl) => this.statements.get(sql, ctl),
      sendAll: (items, ctl) => this.sendAll(items, ctl),
      defaultRowMode: this.settings.rowMode,
    });
  }

  /** Send batch executions in call order, all in one synchronous block. */
  private sendAll(items: readonly BatchExecution[], ctl: CallControl): Promise<QueryResult>[] {
    const results: Promise<QueryResult>[] = [];
    const gate = this.ordered(0, () => {
      for (const it of items) results.push(sendExecute(this.execContext(it.stmt), it.stmt, it.args, it.mode, ctl, it.stmt.sql));
      return Promise.resolve();
    });
    // ordered() runs the block synchronously when nothing waits ahead; otherwise
    // hand back promises that follow the block.
    if (results.length === items.length) return results;
    return items.map((_, i) => gate.then(() => results[i]!));
  }

  /**
   * Prepare a statement explicitly. It stays prepared until its close() or
   * the end of the connection (in unnamed statement mode it is parsed again
   * with each execution, and only its description is kept).
   */
  async prepare(sql: string): Promise<PreparedStatement> {
    if (typeof sql !== 'string') throw new InterfaceError('prepare() expects SQL text');
    const info = await this.run({ text: sql }, (ctl) => this.ordered(this.statements.prepareExplicit(sql, ctl), (s) => Promise.resolve(s)));
    return new PreparedStatement(this, info);
  }

  // ---------------------------------------------------------------- transactions, cursors, COPY, LISTEN

  /**
   * Run `fn` in a transaction: COMMIT when it resolves, ROLLBACK and rethrow
   * when it throws. Inside another managed transaction it runs in a SAVEPOINT.
   *
   * @example await conn.transaction(async () => { await conn.execute('INSERT INTO t VALUES ($1)', 1); });
   */
  transaction<T>(fn: (conn: Connection) => Promise<T> | T, options?: TransactionBlockOptions): Promise<T>;
  /**
   * A Transaction to drive by hand: `start()`, then `commit()` or `rollback()`.
   *
   * @example await using tx = await conn.transaction({ isolation: 'serializable' }).start();
   */
  transaction(options?: TransactionOptions): Transaction;
  transaction<T>(a?: ((conn: Connection) => Promise<T> | T) | TransactionOptions, b?: TransactionBlockOptions): Promise<T> | Transaction {
    if (typeof a === 'function') return runTransaction(this, a, b);
    if (b !== undefined) throw new InterfaceError('transaction(options) takes one argument; pass a function first to use the callback form');
    return new Transaction(this, a);
  }

  /**
   * A cursor over a query's rows, inside a transaction. Iterate it with
   * `for await` (rows come `prefetch` at a time, default 100; breaking out
   * closes it), or await it for a Cursor with fetch(n), fetchRow() and forward(n).
   *
   * @example for await (const row of conn.cursor('SELECT * FROM big WHERE kind = $1', 'a')) { ... }
   */
  cursor<T = Record<string, unknown>>(sql: string, ...args: unknown[]): CursorFactory<T>;
  /** A cursor from the object form: `{ text, args, prefetch, timeout, signal, rowMode }`. */
  cursor<T = Record<string, unknown>>(config: CursorConfig): CursorFactory<T>;
  cursor<T>(first: string | CursorConfig, ...rest: unknown[]): CursorFactory<T> {
    return new CursorFactory<T>(this, normalizeCursor(this, first, rest));
  }

  /**
   * Load records into a table with binary COPY, using the codecs of the
   * table's column types; records stream in chunks. Resolves with the command tag.
   *
   * @example await conn.copyRecordsToTable('people', { records: [[1, 'Ann'], [2, 'Bo']], columns: ['id', 'name'] });
   */
  copyRecordsToTable(table: string, options: CopyRecordsOptions): Promise<string> {
    return copyRecordsToTable(this, table, options);
  }

  /**
   * Load raw COPY data (text, csv or binary) from a file path, a Buffer, a
   * Readable or an (async) iterable. Resolves with the command tag.
   *
   * @example await conn.copyToTable('people', { source: 'people.csv', format: 'csv', header: true });
   */
  copyToTable(table: string, options: CopyToTableOptions): Promise<string> {
    return copyToTable(this, table, options);
  }

  /** Export a table to `output` (a path, a Writable or a chunk callback). Resolves with the command tag. */
  copyFromTable(table: string, options: CopyFromTableOptions & { output: CopyOutput }): Promise<string>;
  /** Export a table as an async iterator of chunks; ending the loop early cancels the COPY. */
  copyFromTable(table: string, options?: Omit<CopyFromTableOptions, 'output'>): AsyncIterableIterator<Buffer>;
  copyFromTable(table: string, options: CopyFromTableOptions = {}): Promise<string> | AsyncIterableIterator<Buffer> {
    try {
      return copyFromTable(this, table, options);
    } catch (e) {
      if (options !== null && typeof options === 'object' && options.output !== undefined) return Promise.reject(e);
      throw e;
    }
  }

  /** Export a query's rows to `output` (a path, a Writable or a chunk callback). Resolves with the command tag. */
  copyFromQuery(query: string, options: CopyFromQueryOptions & { output: CopyOutput }): Promise<string>;
  /** Export a query's rows as an async iterator of chunks; ending the loop early cancels the COPY. */
  copyFromQuery(query: string, options?: Omit<CopyFromQueryOptions, 'output'>): AsyncIterableIterator<Buffer>;
  copyFromQuery(query: string, options: CopyFromQueryOptions = {}): Promise<string> | AsyncIterableIterator<Buffer> {
    try {
      return copyFromQuery(this, query, options);
    } catch (e) {
      if (options !== null && typeof options === 'object' && options.output !== undefined) return Promise.reject(e);
      throw e;
    }
  }

  // ---------------------------------------------------------------- types

  /**
   * Read and write a type through your own functions, in text or binary
   * format; arrays of the type follow. Cached statements are prepared again
   * so they pick it up (a PreparedStatement keeps the codecs it was made with).
   *
   * @example await conn.setTypeCodec('money', { encoder: (v) => String(v), decoder: (s) => Number(s.replace(/[$,]/g, '')) });
   */
  async setTypeCodec(typeName: string, options: TypeCodecOptions): Promise<void> {
    await this.types.setTypeCodec(typeName, options);
    this.statements.forgetAll();
  }

  /** Undo setTypeCodec() or setBuiltinTypeCodec() for a type. */
  async resetTypeCodec(typeName: string, options?: { schema?: string }): Promise<void> {
    await this.types.resetTypeCodec(typeName, options);
    this.statements.forgetAll();
  }

  /**
   * Use one of pgjet's codecs for a type that shares its wire format, such as
   * `setBuiltinTypeCodec('hstore', { codecName: 'hstore' })` for an hstore
   * installed under another name, or 'text' for a text-like extension type.
   */
  async setBuiltinTypeCodec(typeName: string, options: BuiltinTypeCodecOptions): Promise<void> {
    await this.types.setBuiltinTypeCodec(typeName, options);
    this.statements.forgetAll();
  }

  /**
   * Look every type found at run time up again (after ALTER TYPE, or a type
   * dropped and created anew) and prepare cached statements again.
   */
  async reloadSchemaState(): Promise<void> {
    await this.types.reloadSchemaState();
    this.statements.forgetAll();
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

  /** @internal The connection's default row shape. */
  get defaultRowMode(): 'object' | 'array' {
    return this.settings.rowMode;
  }

  /** True inside a transaction block (including a failed one), from ReadyForQuery's status. */
  isInTransaction(): boolean {
    return this.core.txStatus !== 'I';
  }

  /** True once the connection is closed or lost. */
  isClosed(): boolean {
    return this.core.state.state === 'closed' || this.core.state.state === 'closing';
  }

  /** Statement cache counters (hits, misses, evictions, expirations, invalidations) and the statement mode. */
  getStatementCacheStats(): StatementCacheStats {
    return this.statements.stats();
  }

  /**
   * Forget every cached prepared statement (each is closed on the server
   * with the next call), so the next run of each is prepared afresh. A pool
   * calls this on all its connections when one of them found a cached
   * statement invalidated by a schema change.
   */
  clearStatementCache(): void {
    this.statements.forgetAll();
  }

  /** Receive the server's NOTICE/WARNING/INFO messages. They are never printed. */
  addLogListener(fn: LogListener): void {
    this.logListeners.add(fn);
    const early = this.earlyNotices;
    this.earlyNotices = undefined;
    if (early !== undefined && early.length > 0) queueMicrotask(() => early.forEach((m) => this.emitNotice(m)));
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
   * Call `fn` for every NOTIFY on `channel` (any string: it is quoted). The
   * first listener of a channel sends LISTEN; resolves once it is in effect.
   *
   * @example await conn.addListener('jobs', (payload, { pid }) => console.log(pid, payload));
   */
  addListener(channel: string, fn: NotificationListener): Promise<void> {
    try {
      return this.channelListeners.add(this, channel, fn);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Remove `fn` from `channel`, or every callback when `fn` is omitted; the last one gone sends UNLISTEN. */
  removeListener(channel: string, fn?: NotificationListener): Promise<void> {
    try {
      return this.channelListeners.remove(this, channel, fn);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Receive a record (SQL, args, duration, rows, error, connection) of every call once it settles. */
  addQueryLogger(fn: QueryLogger): void {
    if (typeof fn !== 'function') throw new InterfaceError('addQueryLogger(): the logger must be a function');
    this.queryLoggers.add(fn);
  }

  /** Stop a query logger. */
  removeQueryLogger(fn: QueryLogger): void {
    this.queryLoggers.delete(fn);
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
    this.closedByUser = true;
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
    const p = this.runControlled(timeout, signal, q.text, body).finally(this.callDone);
    return this.queryLoggers.size === 0 ? p : logQuery(this, this.queryLoggers, q, p);
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
        ctl.onCancel?.(err);
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

  private query(q: NormalizedQuery, mode: RowMode, ctl: CallControl): Promise<QueryResult> {
    // Idle outside a transaction block, a statement's first run can go in
    // one flight: a refused speculative Bind is then safe to retry.
    if (this.core.pending === 0 && this.submitQueue.length === 0 && this.core.txStatus === 'I' && !this.core.congested && this.statements.isNew(q.text)) {
      const texts = firstRunTexts(q.args, !this.types.hasCustomCodecs && this.settings.customJsonStringify !== true);
      const slot = texts === undefined ? undefined : this.statements.reserveFirstRun(q.text);
      if (slot !== undefined) return runFirstTime(this.firstRunHost, slot, q.args, texts!, mode, ctl);
    }
    return this.submit(q.text, ctl, (stmt) => sendExecute(this.execContext(stmt), stmt, q.args, mode, ctl, q.text));
  }

  /** What a first run needs from this connection (made per first run: they are rare). */
  private get firstRunHost(): FirstRunHost {
    return {
      core: this.core,
      statements: this.statements,
      holdLaterCalls: () => {
        const entry: SubmitEntry = { ready: false, run: () => undefined };
        this.submitQueue.push(entry);
        return (first) => {
          if (entry.ready) {
            first?.();
            return;
          }
          if (first) entry.run = first;
          entry.ready = true;
          this.drainSubmit();
        };
      },
      resend: (stmt, args, mode, ctl) => {
        const send = (s: StatementInfo) => sendExecute(this.execContext(s), s, args, mode, ctl, s.sql);
        // A statement the server lost (an undetected pooler): the usual recovery.
        return send(stmt).catch((e: unknown) => {
          if (statementTrouble(e) === undefined || ctl.cancelled) throw e;
          return this.submit(stmt.sql, ctl, send);
        });
      },
    };
  }

  /** @internal What an execution of `stmt` needs. */
  execContext(stmt: StatementInfo) {
    return { core: this.core, registry: this.registry, temporary: this.statements.isTemporary(stmt) };
  }

  /**
   * Find the statement for `sql`, then send in call order. When the server
   * says the statement is stale, missing or duplicated, forget it and, if no
   * transaction was open, retry once; inside a transaction the transaction
   * is already aborted, so the error says to retry the transaction.
   */
  private submit<R>(sql: string, ctl: CallControl, send: (stmt: StatementInfo) => Promise<R>, retried = false): Promise<R> {
    let used: StatementInfo | undefined;
    const got = this.statements.get(sql, ctl);
    return this.ordered(got, (stmt) => {
      used = stmt;
      if (ctl.cancelled) return Promise.reject(new InterfaceError('call cancelled'));
      return send(stmt);
    }).catch((e: unknown) => {
      const trouble = statementTrouble(e);
      if (trouble === undefined || retried || ctl.cancelled) throw e;
      if (trouble === 'invalid') {
        if (used) this.statements.forget(used);
      } else if (!this.statements.switchToUnnamed(`the server reported ${(e as PostgresError).message}`)) {
        throw e;
      }
      const status = (e as Record<symbol, unknown>)[TX_STATUS_AT_ERROR];
      if (status !== undefined && status !== 'I') throw retryTransactionError(e as PostgresError);
      return this.submit(sql, ctl, send, true);
    });
  }

  /**
   * Write calls in the order they were made. A call whose statement is
   * still being prepared holds back the calls after it, so a BEGIN, an
   * INSERT and a COMMIT issued together reach the server in that order.
   */
  private ordered<S, R>(got: S | Promise<S>, send: (s: S) => Promise<R>): Promise<R> {
    if (!(got instanceof Promise) && this.submitQueue.length === 0 && !this.core.congested) return send(got);
    return new Promise<R>((resolve, reject) => {
      const entry: SubmitEntry = { ready: false, run: () => undefined };
      this.submitQueue.push(entry);
      const ready = (run: () => void) => {
        entry.run = run;
        entry.ready = true;
        this.drainSubmit();
      };
      if (got instanceof Promise) {
        got.then(
          (s: S) => ready(() => send(s).then(resolve, reject)),
          (e: unknown) => ready(() => reject(e)),
        );
      } else {
        ready(() => send(got).then(resolve, reject));
      }
    });
  }

  private drainSubmit(): void {
    const q = this.submitQueue;
    // A full pipeline pauses the queue; the core calls back when there is room.
    while (q.length > 0 && q[0]!.ready && !this.core.congested) q.shift()!.run();
  }

  /** @internal Run a described statement in call order (PreparedStatement). */
  runStatement(stmt: StatementInfo, args: readonly unknown[], mode: RowMode, ctl: CallControl): Promise<QueryResult> {
    return this.ordered(stmt, (s) => sendExecute(this.execContext(s), s, args, mode, ctl, s.sql));
  }

  /** @internal Run a described statement once per argument set, atomically (PreparedStatement). */
  runStatementBatch(stmt: StatementInfo, list: readonly (readonly unknown[])[], ctl: CallControl): Promise<QueryResult> {
    return this.ordered(stmt, (s) => sendBatch(this.execContext(s), s, list, ctl, s.sql));
  }

  /** @internal Find the statement for `sql`, then send in call order (cursors). */
  submitStatement<R>(sql: string, ctl: CallControl, send: (stmt: StatementInfo) => Promise<R>): Promise<R> {
    return this.submit(sql, ctl, send);
  }

  /** @internal Send in call order (portal fetches, COPY). */
  submitOrdered<R>(send: () => Promise<R>): Promise<R> {
    return this.ordered(undefined, () => send());
  }

  /**
   * @internal In `auto` statement mode: a pooler in front (PgBouncer and
   * the like) hands out its own BackendKeyData, so the process ID the
   * server reports differs. Then named statements cannot be trusted to
   * survive between transactions: use unnamed ones from the start.
   */
  async detectPooler(): Promise<void> {
    if (this.settings.statementMode !== 'auto') return;
    let req: SimpleQueryRequest | undefined;
    await this.run({ text: 'SELECT pg_backend_pid()' }, (ctl) =>
      this.ordered('SELECT pg_backend_pid()', (text) => {
        const p = this.simpleQuery(text, ctl);
        req = ctl.request as SimpleQueryRequest;
        return p;
      }),
    );
    const pid = Number(req?.firstValue);
    if (Number.isInteger(pid) && pid !== this.core.processId) {
      this.poolerDetected = true;
      this.statements.switchToUnnamed(
        `the server process ID (${pid}) differs from the one given at connection (${this.core.processId}), so a connection pooler such as PgBouncer is in front`,
      );
    }
  }

  /** True when connect() found a connection pooler between this connection and the server. */
  isBehindPooler(): boolean {
    return this.poolerDetected;
  }

  private poolerDetected = false;
  /** @internal Set by connect() once the connection is handed to the caller. */
  connected = false;
  /** Warnings raised before anyone listened (during connect), replayed to the first log listener. */
  private earlyNotices: PostgresLogMessage[] | undefined = [];

  private simpleQuery(sql: string, ctl: CallControl): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const req = new SimpleQueryRequest(new Settle(resolve, reject), sql, () => {
        this.core.writeNow((w) => {
          w.int8(0x66);
          const at = w.reserveLength();
          w.cstring('COPY FROM STDIN needs a data source: use copyToTable() or copyRecordsToTable()');
          w.patchLength(at);
        });
      });
      try {
        this.core.enqueue(req, (w) => writeQuery(w, sql));
      } catch (e) {
        reject(withSql(e, sql));
        return;
      }
      ctl.request = req;
    });
  }

  /** @internal Close a named statement on the server now (Close + Sync). */
  closeStatement(name: string): Promise<void> {
    if (name === '') return Promise.resolve();
    return this.ordered(name, (n) =>
      new Promise<void>((resolve, reject) => {
        try {
          this.core.enqueue(new AckRequest(new Settle(resolve, reject), undefined), (w) => {
            writeClose(w, 'S', n);
            writeSync(w);
          });
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      }),
    );
  }
}

/** A stale statement inside a transaction: the transaction is aborted, so only the caller can retry it. */
function retryTransactionError(e: PostgresError): InvalidCachedStatementError {
  const err = new InvalidCachedStatementError(
    {
      ...e.fields,
      C: '0A000',
      H: 'The statement was prepared again, but the transaction it ran in is aborted: retry the whole transaction.',
    },
    e.query,
  );
  err.message = `${e.message} (inside a transaction: retry the transaction)`;
  return err;
}
