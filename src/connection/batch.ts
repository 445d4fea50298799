/**
 * An explicit batch: several queries sent in one flight, their results
 * returned together (in the spirit of pgx's SendBatch and Npgsql's
 * NpgsqlBatch). Each query has its own Sync, so outside a transaction an
 * error fails only its own query; inside a transaction an error aborts the
 * transaction and the queries after it fail with the server's "current
 * transaction is aborted" error.
 */
import { InterfaceError } from '../errors/client.js';
import { CallControl } from './core.js';
import type { QueryResult, RowMode } from './requests.js';
import type { StatementInfo } from './statement.js';

/** What a batch needs from its connection. */
export interface BatchHost {
  /** The statement for `sql`, prepared if needed. */
  statementFor(sql: string, ctl: CallControl): StatementInfo | Promise<StatementInfo>;
  /** Send all executions in call order, in one synchronous block (one flight). */
  sendAll(items: readonly BatchExecution[], ctl: CallControl): Promise<QueryResult>[];
  readonly defaultRowMode: 'object' | 'array';
}

/** One query of a batch, ready to send. */
export interface BatchExecution {
  stmt: StatementInfo;
  args: readonly unknown[];
  mode: RowMode;
}

type Kind = 'fetch' | 'fetchRow' | 'fetchVal' | 'execute';

interface Item {
  kind: Kind;
  sql: string;
  args: readonly unknown[];
}

/** Build with fetch/fetchRow/fetchVal/execute, then `await batch.run()`. */
export class Batch {
  private readonly items: Item[] = [];
  private ran = false;

  /** @internal Use conn.batch(). */
  constructor(private readonly host: BatchHost) {}

  /** Add a query whose result is all its rows. */
  fetch(sql: string, ...args: unknown[]): this {
    return this.add('fetch', sql, args);
  }

  /** Add a query whose result is its first row, or null. */
  fetchRow(sql: string, ...args: unknown[]): this {
    return this.add('fetchRow', sql, args);
  }

  /** Add a query whose result is the first column of its first row, or null. */
  fetchVal(sql: string, ...args: unknown[]): this {
    return this.add('fetchVal', sql, args);
  }

  /** Add a command whose result is its status, e.g. "INSERT 0 1". */
  execute(sql: string, ...args: unknown[]): this {
    return this.add('execute', sql, args);
  }

  /** Number of queries in the batch. */
  get length(): number {
    return this.items.length;
  }

  /**
   * Send every query in one flight and return their results in order. If
   * any query fails, this rejects with the first failure, whose
   * `batchIndex` property says which query it was; use runSettled() to get
   * every outcome.
   */
  async run(): Promise<unknown[]> {
    const settled = await this.runSettled();
    const failed = settled.findIndex((r) => r.status === 'rejected');
    if (failed !== -1) throw (settled[failed] as PromiseRejectedResult).reason;
    return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value);
  }

  /** Send every query in one flight and return each outcome, fulfilled or rejected. */
  async runSettled(): Promise<PromiseSettledResult<unknown>[]> {
    if (this.ran) throw new InterfaceError('this batch was already run; build a new one with conn.batch()');
    this.ran = true;
    if (this.items.length === 0) return [];
    const ctl = new CallControl();
    // Prepare what is not cached yet (in one flight too), then send all executions together.
    const stmts = await Promise.all(this.items.map((it) => this.host.statementFor(it.sql, ctl)));
    const executions = this.items.map((it, i): BatchExecution => ({ stmt: stmts[i]!, args: it.args, mode: this.modeOf(it.kind) }));
    const sent = this.host.sendAll(executions, ctl);
    const outcomes = await Promise.allSettled(sent);
    return outcomes.map((o, i) => {
      if (o.status === 'rejected') {
        if (o.reason instanceof Error) Object.defineProperty(o.reason, 'batchIndex', { value: i, enumerable: true });
        return o;
      }
      return { status: 'fulfilled', value: this.shape(this.items[i]!.kind, o.value) };
    });
  }

  private add(kind: Kind, sql: string, args: unknown[]): this {
    if (this.ran) throw new InterfaceError('this batch was already run; build a new one with conn.batch()');
    if (typeof sql !== 'string') throw new InterfaceError(`batch.${kind}() expects SQL text as its first argument`);
    this.items.push({ kind, sql, args });
    return this;
  }

  private modeOf(kind: Kind): RowMode {
    const arrays = this.host.defaultRowMode === 'array';
    switch (kind) {
      case 'fetch':
        return arrays ? 'array' : 'object';
      case 'fetchRow':
        return arrays ? 'firstArray' : 'firstRow';
      case 'fetchVal':
        return 'firstValue';
      case 'execute':
        return 'none';
    }
  }

  private shape(kind: Kind, r: QueryResult): unknown {
    switch (kind) {
      case 'fetch':
        return r.rows;
      case 'fetchRow':
      case 'fetchVal':
        return r.rows.length > 0 ? r.rows[0] : null;
      case 'execute':
        return r.tag;
    }
  }
}
