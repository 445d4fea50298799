/**
 * PreparedStatement: a statement prepared once with `conn.prepare(sql)` and
 * run many times. It is named on the server and lives until close().
 */
import { InterfaceError } from '../errors/client.js';
import type { FieldDescription } from '../protocol/messages.js';
import { CallControl } from './core.js';
import type { Connection } from './connection.js';
import type { QueryConfig } from './query-args.js';
import { normalizeQuery } from './query-args.js';
import type { RowMode } from './requests.js';
import type { StatementInfo } from './statement.js';

/** A type as the statement describes it. */
export interface StatementType {
  oid: number;
  /** The type name when pgjet has a codec for it, else `"oid:<n>"`. */
  name: string;
}

/** A result column as the statement describes it. */
export interface Attribute {
  name: string;
  type: StatementType;
  /** The table and column it comes from, when it is a plain column reference. */
  tableOid: number;
  columnNumber: number;
}

/** Per-call options for a prepared statement's methods. */
export type PreparedCallOptions = Pick<QueryConfig, 'timeout' | 'signal'>;

/** A prepared statement bound to one connection. */
export class PreparedStatement {
  private closed = false;

  /** @internal Use conn.prepare(). */
  constructor(
    private readonly conn: Connection,
    private readonly info: StatementInfo,
  ) {}

  /** The SQL text. */
  getQuery(): string {
    return this.info.sql;
  }

  /** The server-side statement name. */
  getName(): string {
    return this.info.name;
  }

  /** The parameter types the server inferred, in $1, $2 ... order. */
  getParameters(): StatementType[] {
    return this.info.parameterOids.map((oid) => this.typeOf(oid));
  }

  /** The result columns: name and type; empty for statements that return no rows. */
  getAttributes(): Attribute[] {
    return (this.info.fields ?? []).map((f: FieldDescription) => ({
      name: f.name,
      type: this.typeOf(f.dataTypeOid),
      tableOid: f.tableOid,
      columnNumber: f.columnAttributeNumber,
    }));
  }

  /** Run with these parameters and return all rows. */
  fetch<T = Record<string, unknown>>(...args: unknown[]): Promise<T[]> {
    return this.call('fetch', args, this.conn.defaultRowMode === 'array' ? 'array' : 'object').then((r) => r.rows as T[]);
  }

  /** Run and return the first row, or null. */
  fetchRow<T = Record<string, unknown>>(...args: unknown[]): Promise<T | null> {
    return this.call('fetchRow', args, this.conn.defaultRowMode === 'array' ? 'firstArray' : 'firstRow').then((r) =>
      r.rows.length > 0 ? (r.rows[0] as T) : null,
    );
  }

  /** Run and return the first column of the first row, or null. */
  fetchVal<T = unknown>(...args: unknown[]): Promise<T | null> {
    return this.call('fetchVal', args, 'firstValue').then((r) => (r.rows.length > 0 ? (r.rows[0] as T) : null));
  }

  /** Run and return the command status, e.g. "UPDATE 3". */
  execute(...args: unknown[]): Promise<string> {
    return this.call('execute', args, 'none').then((r) => r.tag);
  }

  /** Run once per argument list, in one flight, atomically. */
  async executeMany(argsList: Iterable<readonly unknown[]>, options?: PreparedCallOptions): Promise<void> {
    this.checkOpen();
    const list = Array.from(argsList);
    if (list.length === 0) return;
    for (let i = 0; i < list.length; i++) {
      if (!Array.isArray(list[i])) {
        throw new InterfaceError(`executeMany(): argument set ${i} is not an array; pass an array of parameter arrays`);
      }
    }
    await this.conn.run({ text: this.info.sql, ...options }, (ctl: CallControl) => this.conn.runStatementBatch(this.info, list, ctl));
  }

  /**
   * EXPLAIN the statement with these parameters and return the plan as
   * PostgreSQL's JSON. With `{ analyze: true }` as the last argument the
   * statement is really executed (inside a rolled-back transaction is up to you).
   */
  async explain(...args: unknown[]): Promise<unknown> {
    this.checkOpen();
    let analyze = false;
    const last = args[args.length - 1];
    if (args.length > this.info.parameterOids.length && isExplainOptions(last)) {
      analyze = last.analyze === true;
      args = args.slice(0, -1);
    }
    const sql = `EXPLAIN (FORMAT JSON, VERBOSE${analyze ? ', ANALYZE' : ''}) ${this.info.sql}`;
    const plan = await this.conn.fetchVal<unknown>({ text: sql, args });
    return typeof plan === 'string' ? JSON.parse(plan) : plan;
  }

  /** Deallocate on the server. Later calls fail with InterfaceError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.conn.isClosed()) return;
    await this.conn.closeStatement(this.info.name);
  }

  private call(method: string, args: unknown[], mode: RowMode) {
    if (this.closed) {
      return Promise.reject(new InterfaceError(`prepared statement ${this.info.name} is closed; prepare it again with conn.prepare()`));
    }
    const q = normalizeQuery(method, this.info.sql, []);
    return this.conn.run(q, (ctl) => this.conn.runStatement(this.info, args, mode, ctl));
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new InterfaceError(`prepared statement ${this.info.name} is closed; prepare it again with conn.prepare()`);
    }
  }

  private typeOf(oid: number): StatementType {
    const codec = this.conn.registry.get(oid);
    return { oid, name: codec?.name ?? `oid:${oid}` };
  }
}

function isExplainOptions(v: unknown): v is { analyze?: boolean } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).every((k) => k === 'analyze');
}
