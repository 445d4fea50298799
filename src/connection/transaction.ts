/**
 * Managed transactions: BEGIN/COMMIT/ROLLBACK for the outermost block and
 * SAVEPOINTs with generated names for nested ones, so an inner rollback
 * keeps the outer work. Two forms: `conn.transaction(fn)` commits when fn
 * resolves and rolls back when it throws; `conn.transaction()` returns a
 * Transaction to drive by hand (or with `await using`).
 */
import { InterfaceError } from '../errors/client.js';
import { PostgresError } from '../errors/postgres-error.js';
import type { Connection } from './connection.js';

/** Transaction isolation levels, as PostgreSQL names them (with underscores). */
export type IsolationLevel = 'read_committed' | 'repeatable_read' | 'serializable' | 'read_uncommitted';

/** How a transaction starts. Omitted settings take the server's defaults. */
export interface TransactionOptions {
  /** ISOLATION LEVEL of the transaction. A nested transaction may only repeat the outer one's. */
  isolation?: IsolationLevel;
  /** READ ONLY (true) or READ WRITE (false). */
  readOnly?: boolean;
  /** DEFERRABLE: with serializable and readOnly, wait for a snapshot that cannot fail. */
  deferrable?: boolean;
}

/** Retry policy for `conn.transaction(fn, { retry })`. */
export interface TransactionRetryOptions {
  /** Total attempts, the first included (default 5, at most 100). */
  attempts?: number;
  /** Delay before the first retry in ms (default 10); doubles each time, with jitter. */
  initialDelay?: number;
  /** Upper bound of one delay in ms (default 1000). */
  maxDelay?: number;
}

/** Options of the callback form, `conn.transaction(fn, options)`. */
export interface TransactionBlockOptions extends TransactionOptions {
  /**
   * Run fn again when the transaction fails with a serialization failure
   * (40001) or a deadlock (40P01), with exponential backoff. Only for a
   * top-level transaction; fn must be safe to run more than once.
   */
  retry?: boolean | TransactionRetryOptions;
}

/** Where a Transaction is in its life. */
export type TransactionState = 'new' | 'started' | 'committed' | 'rolledBack' | 'failed';

const ISOLATION_SQL: Record<IsolationLevel, string> = {
  read_committed: 'READ COMMITTED',
  repeatable_read: 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
  read_uncommitted: 'READ UNCOMMITTED',
};

/** transaction_isolation as SHOW reports it, back to our names. */
const ISOLATION_FROM_SETTING: Record<string, IsolationLevel> = {
  'read committed': 'read_committed',
  'repeatable read': 'repeatable_read',
  serializable: 'serializable',
  'read uncommitted': 'read_uncommitted',
};

const OPTION_KEYS = new Set(['isolation', 'readOnly', 'deferrable']);
const BLOCK_OPTION_KEYS = new Set([...OPTION_KEYS, 'retry']);
const RETRY_KEYS = new Set(['attempts', 'initialDelay', 'maxDelay']);

/** SQLSTATEs after which running the whole transaction again can succeed. */
const RETRYABLE = new Set(['40001', '40P01']);

/**
 * The managed transactions open on one connection, outermost first.
 * @internal
 */
export class TransactionStack {
  readonly open: Transaction[] = [];
  private nextSavepoint = 0;

  /** The innermost open transaction. */
  get top(): Transaction | undefined {
    return this.open[this.open.length - 1];
  }

  /** A savepoint name no other open transaction on this connection uses. */
  savepointName(): string {
    return `pgjet_sp_${++this.nextSavepoint}`;
  }

  /** Take `tx` and every transaction nested in it off the stack, marking the nested ones `state`. */
  remove(tx: Transaction, nestedState: TransactionState): void {
    const i = this.open.indexOf(tx);
    if (i === -1) return;
    for (const inner of this.open.splice(i).slice(1)) inner.markFinished(nestedState);
  }
}

/**
 * One transaction (or savepoint, when nested). Get it from
 * `conn.transaction(options)`, then `start()`, and end it with `commit()`
 * or `rollback()`. `await using tx = await conn.transaction().start()` rolls
 * back at the end of the block unless committed.
 */
export class Transaction {
  private stateValue: TransactionState = 'new';
  private savepoint: string | undefined;
  private readonly options: TransactionOptions;

  /** @internal Use conn.transaction(). */
  constructor(
    /** The connection this transaction runs on. */
    readonly connection: Connection,
    options: TransactionOptions | undefined,
  ) {
    this.options = validateOptions(options, OPTION_KEYS, 'transaction()');
  }

  /** 'new' until started, 'started' while open, then 'committed', 'rolledBack' or 'failed' (BEGIN failed). */
  get state(): TransactionState {
    return this.stateValue;
  }

  /** True when this transaction is a SAVEPOINT inside another one (known once started). */
  get isNested(): boolean {
    return this.savepoint !== undefined;
  }

  /** The isolation level asked for, if any. */
  get isolation(): IsolationLevel | undefined {
    return this.options.isolation;
  }

  /** Whether READ ONLY was asked for (undefined: the server's default). */
  get readOnly(): boolean | undefined {
    return this.options.readOnly;
  }

  /** Whether DEFERRABLE was asked for (undefined: the server's default). */
  get deferrable(): boolean | undefined {
    return this.options.deferrable;
  }

  /**
   * Send BEGIN (or SAVEPOINT when another managed transaction is open on
   * this connection). Resolves with the transaction itself.
   * @throws InterfaceError when already started or finished, when the
   *   connection is inside a transaction begun with a manual BEGIN, or when
   *   a nested transaction asks for settings the outer one does not have.
   */
  async start(): Promise<this> {
    if (this.stateValue !== 'new') throw this.finishedError('start');
    const stack = this.connection.txStack;
    const parent = stack.top;
    if (parent === undefined && this.connection.isInTransaction()) {
      throw new InterfaceError(
        'cannot start a managed transaction: the connection is already inside a transaction begun with a manual BEGIN; ' +
          'COMMIT or ROLLBACK it first, or manage the whole transaction with conn.transaction()',
      );
    }
    this.stateValue = 'started';
    // On the stack before the first await, so a nested transaction started
    // without awaiting this one still becomes its savepoint.
    stack.open.push(this);
    try {
      if (parent === undefined) {
        await this.connection.execute(beginSql(this.options));
      } else {
        await this.checkNested(parent);
        this.savepoint = stack.savepointName();
        await this.connection.execute(`SAVEPOINT ${this.savepoint}`);
      }
    } catch (e) {
      stack.remove(this, 'failed');
      this.stateValue = 'failed';
      throw e;
    }
    return this;
  }

  /**
   * COMMIT, or RELEASE SAVEPOINT when nested.
   * @throws InterfaceError when not open, when a nested transaction is still
   *   open, when the transaction was ended by a manual COMMIT or ROLLBACK, or
   *   when the server rolled it back because a statement in it had failed;
   *   the server's error (a SerializationError, say) when COMMIT fails.
   */
  async commit(): Promise<void> {
    this.checkCanEnd('commit');
    const stack = this.connection.txStack;
    const status = this.connection.core.txStatus;
    if (this.savepoint === undefined && status === 'I' && this.connection.core.pending === 0) {
      stack.remove(this, 'rolledBack');
      this.stateValue = 'failed';
      throw new InterfaceError(
        'commit(): the transaction was already ended by a manual COMMIT or ROLLBACK; ' +
          'do not mix manual transaction commands with a managed transaction',
      );
    }
    if (status === 'E' && this.connection.core.pending === 0) {
      await this.rollback();
      throw abortedError(this.savepoint !== undefined);
    }
    try {
      if (this.savepoint === undefined) {
        const tag = await this.connection.execute('COMMIT');
        if (tag === 'ROLLBACK') {
          stack.remove(this, 'rolledBack');
          this.stateValue = 'rolledBack';
          throw abortedError(false);
        }
      } else {
        await this.connection.execute(`RELEASE SAVEPOINT ${this.savepoint}`);
      }
    } catch (e) {
      if (this.stateValue !== 'started') throw e;
      if (this.savepoint === undefined) {
        // A failed COMMIT ends the transaction: the server rolled it back.
        stack.remove(this, 'rolledBack');
        this.stateValue = 'rolledBack';
      } else {
        await this.rollback().catch(() => undefined);
      }
      throw e;
    }
    stack.remove(this, 'committed');
    this.stateValue = 'committed';
  }

  /**
   * ROLLBACK, or ROLLBACK TO SAVEPOINT when nested (keeping the outer work).
   * Transactions nested in this one end with it.
   * @throws InterfaceError when not open.
   */
  async rollback(): Promise<void> {
    if (this.stateValue !== 'started') throw this.finishedError('rollback');
    const stack = this.connection.txStack;
    const sql = this.savepoint === undefined ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${this.savepoint}; RELEASE SAVEPOINT ${this.savepoint}`;
    // Whatever the server answers, this transaction is over for the client.
    stack.remove(this, 'rolledBack');
    this.stateValue = 'rolledBack';
    await this.connection.execute(sql);
  }

  /** Roll back if still open; nothing otherwise. Lets `await using` end the transaction. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.stateValue !== 'started') return;
    try {
      await this.rollback();
    } catch (e) {
      // A closed connection has no transaction left to roll back.
      if (!this.connection.isClosed()) throw e;
    }
  }

  /** @internal The transaction ended with an outer one. */
  markFinished(state: TransactionState): void {
    if (this.stateValue === 'started') this.stateValue = state;
  }

  private checkCanEnd(method: string): void {
    if (this.stateValue !== 'started') throw this.finishedError(method);
    const top = this.connection.txStack.top;
    if (top !== this) {
      throw new InterfaceError(
        `${method}(): a transaction nested in this one is still open; commit or roll back the inner transaction first`,
      );
    }
  }

  private finishedError(method: string): InterfaceError {
    switch (this.stateValue) {
      case 'new':
        return new InterfaceError(`${method}(): the transaction was not started; call start() first`);
      case 'started':
        return new InterfaceError(`${method}(): the transaction is already started`);
      case 'committed':
        return new InterfaceError(`${method}(): the transaction is already committed; start a new one with conn.transaction()`);
      case 'rolledBack':
        return new InterfaceError(`${method}(): the transaction is already rolled back; start a new one with conn.transaction()`);
      case 'failed':
        return new InterfaceError(`${method}(): the transaction failed to start or was ended outside its control; start a new one with conn.transaction()`);
    }
  }

  /** A savepoint cannot change isolation, read-only or deferrable: refuse rather than silently ignore. */
  private async checkNested(parent: Transaction): Promise<void> {
    const o = this.options;
    if (o.isolation !== undefined && o.isolation !== parent.isolation) {
      let outer = parent.isolation;
      if (outer === undefined) {
        const setting = await this.connection.fetchVal<string>('SHOW transaction_isolation');
        outer = ISOLATION_FROM_SETTING[setting ?? ''];
      }
      if (o.isolation !== outer) {
        throw new InterfaceError(
          `a nested transaction cannot use isolation "${o.isolation}": the outer transaction runs at ` +
            `"${outer ?? 'unknown'}"; drop the option or set it on the outermost transaction`,
        );
      }
    }
    if (o.readOnly !== undefined && o.readOnly !== (parent.readOnly ?? false)) {
      throw new InterfaceError(
        `a nested transaction cannot be ${o.readOnly ? 'read-only' : 'read-write'} when the outer one is ${o.readOnly ? 'read-write' : 'read-only'}; ` +
          'set readOnly on the outermost transaction',
      );
    }
    if (o.deferrable !== undefined && o.deferrable !== (parent.deferrable ?? false)) {
      throw new InterfaceError('a nested transaction cannot change "deferrable"; set it on the outermost transaction');
    }
  }
}

function beginSql(o: TransactionOptions): string {
  let sql = 'BEGIN';
  if (o.isolation !== undefined) sql += ` ISOLATION LEVEL ${ISOLATION_SQL[o.isolation]}`;
  if (o.readOnly !== undefined) sql += o.readOnly ? ' READ ONLY' : ' READ WRITE';
  if (o.deferrable !== undefined) sql += o.deferrable ? ' DEFERRABLE' : ' NOT DEFERRABLE';
  return sql;
}

function abortedError(nested: boolean): InterfaceError {
  return new InterfaceError(
    `commit(): the ${nested ? 'nested transaction was rolled back to its savepoint' : 'transaction was rolled back'} ` +
      'because a statement in it failed; catch errors inside a nested conn.transaction() to keep the rest of the work',
  );
}

/** Check option objects strictly: a misspelled key must not silently start the wrong kind of transaction. */
function validateOptions<T extends TransactionOptions>(options: T | undefined, keys: ReadonlySet<string>, where: string): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InterfaceError(`${where}: options must be an object such as { isolation: 'serializable', readOnly: true }`);
  }
  for (const k of Object.keys(options)) {
    if (!keys.has(k)) throw new InterfaceError(`${where}: unknown option "${k}" (valid: ${[...keys].join(', ')})`);
  }
  if (options.isolation !== undefined && !(options.isolation in ISOLATION_SQL)) {
    throw new InterfaceError(
      `${where}: isolation must be one of ${Object.keys(ISOLATION_SQL).map((k) => `'${k}'`).join(', ')}, got ${JSON.stringify(options.isolation)}`,
    );
  }
  for (const k of ['readOnly', 'deferrable'] as const) {
    const v = options[k];
    if (v !== undefined && typeof v !== 'boolean') throw new InterfaceError(`${where}: "${k}" must be a boolean, got ${typeof v}`);
  }
  return { ...options };
}

interface RetryPolicy {
  attempts: number;
  initialDelay: number;
  maxDelay: number;
}

function retryPolicy(retry: TransactionBlockOptions['retry']): RetryPolicy | undefined {
  if (retry === undefined || retry === false) return undefined;
  const p: RetryPolicy = { attempts: 5, initialDelay: 10, maxDelay: 1000 };
  if (retry === true) return p;
  if (retry === null || typeof retry !== 'object') {
    throw new InterfaceError('transaction(): "retry" must be true or { attempts?, initialDelay?, maxDelay? }');
  }
  for (const k of Object.keys(retry)) {
    if (!RETRY_KEYS.has(k)) throw new InterfaceError(`transaction(): unknown retry option "${k}" (valid: ${[...RETRY_KEYS].join(', ')})`);
  }
  if (retry.attempts !== undefined) {
    if (!Number.isInteger(retry.attempts) || retry.attempts < 1 || retry.attempts > 100) {
      throw new InterfaceError(`transaction(): retry.attempts must be an integer from 1 to 100, got ${String(retry.attempts)}`);
    }
    p.attempts = retry.attempts;
  }
  for (const k of ['initialDelay', 'maxDelay'] as const) {
    const v = retry[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new InterfaceError(`transaction(): retry.${k} must be a non-negative number of milliseconds, got ${String(v)}`);
    }
    p[k] = v;
  }
  return p;
}

/** True for a failure that running the whole transaction again may avoid. */
export function isRetryableTransactionError(e: unknown): boolean {
  return e instanceof PostgresError && RETRYABLE.has(e.sqlstate);
}

/**
 * The callback form: BEGIN, fn, COMMIT; ROLLBACK and rethrow when fn throws.
 * @internal Called by Connection.transaction(fn, options).
 */
export async function runTransaction<T>(
  conn: Connection,
  fn: (conn: Connection) => Promise<T> | T,
  options: TransactionBlockOptions | undefined,
): Promise<T> {
  if (typeof fn !== 'function') throw new InterfaceError('transaction(fn): fn must be a function');
  const opts = validateOptions(options, BLOCK_OPTION_KEYS, 'transaction()');
  const { retry, ...txOptions } = opts;
  const policy = retryPolicy(retry);
  if (policy !== undefined && conn.txStack.top !== undefined) {
    throw new InterfaceError(
      'transaction(): "retry" needs a top-level transaction; a nested one cannot be retried on its own ' +
        'because a serialization failure aborts the outer transaction too',
    );
  }
  const attempts = policy?.attempts ?? 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnce(conn, fn, txOptions);
    } catch (e) {
      if (policy === undefined || attempt >= attempts || !isRetryableTransactionError(e) || conn.isClosed()) throw e;
      const ceiling = Math.min(policy.maxDelay, policy.initialDelay * 2 ** (attempt - 1));
      // Jitter spreads out transactions that failed against each other.
      await new Promise((r) => setTimeout(r, ceiling / 2 + (Math.random() * ceiling) / 2));
    }
  }
}

async function runOnce<T>(conn: Connection, fn: (conn: Connection) => Promise<T> | T, options: TransactionOptions): Promise<T> {
  const tx = new Transaction(conn, options);
  await tx.start();
  let result: T;
  try {
    result = await fn(conn);
  } catch (e) {
    if (tx.state === 'started') {
      try {
        await tx.rollback();
      } catch {
        // The error from fn is the one that matters; a rollback that fails
        // means the connection is gone, and the transaction with it.
      }
    }
    throw e;
  }
  if (tx.state === 'started') await tx.commit();
  else if (tx.state !== 'committed') {
    throw new InterfaceError(`transaction(fn): the transaction was ${tx.state === 'rolledBack' ? 'rolled back' : 'ended'} inside fn, so nothing was committed`);
  }
  return result;
}
