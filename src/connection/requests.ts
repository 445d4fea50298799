/**
 * The requests that sit in a connection's FIFO. Each one owns exactly one
 * Sync (or one simple Query), so each is finished by exactly one
 * ReadyForQuery: that invariant is what lets many calls be in flight at once
 * while every answer, and every error, stays with its own call.
 */
import { ProtocolError } from '../errors/client.js';
import { decodeBackend } from '../protocol/backend.js';
import { BackendCode } from '../protocol/messages.js';
import type { FieldDescription, TransactionStatus } from '../protocol/messages.js';
import { InvalidCachedStatementError } from '../errors/postgres-error.js';
import { commandTag, serverErrorAt, unexpectedMessage } from './server-reply.js';
import type { StatementInfo } from './statement.js';

const utf8 = new TextDecoder();

/** A pending entry in the connection's FIFO. */
export interface PendingRequest {
  /** Set by the core just before onReadyForQuery: the status that ReadyForQuery reported. */
  statusAtReady?: TransactionStatus;
  /** True once the server has finished this request's work (only ReadyForQuery is left). */
  readonly serverDone?: boolean;
  /** Every message up to (not including) this request's ReadyForQuery. */
  onMessage(type: number, buf: Uint8Array, start: number, end: number): void;
  /** The request's ReadyForQuery arrived: settle. */
  onReadyForQuery(): void;
  /** The connection died first: reject with this error. */
  onConnectionLost(err: Error): void;
  /** The SQL for error messages, when there is one. */
  readonly sql: string | undefined;
}

/** Settles a promise once, whoever gets there first (the server, a timeout, an abort). */
export class Settle<T> {
  done = false;
  constructor(
    private readonly resolveFn: (v: T) => void,
    private readonly rejectFn: (e: Error) => void,
  ) {}
  resolve(v: T): void {
    if (this.done) return;
    this.done = true;
    this.resolveFn(v);
  }
  reject(e: Error): void {
    if (this.done) return;
    this.done = true;
    this.rejectFn(e);
  }
}

/** How rows are collected. */
export type RowMode = 'object' | 'array' | 'firstRow' | 'firstArray' | 'firstValue' | 'none';

/**
 * Set on a server error: the transaction status in the ReadyForQuery that
 * ended the failed call ('I' means no transaction was open, so a retry is safe).
 */
export const TX_STATUS_AT_ERROR = Symbol('pgjet.txStatusAtError');

/** Decode one DataRow body of `stmt` into `rows` as `mode` asks (the first-row modes keep only one). */
export function collectRow(stmt: StatementInfo, mode: RowMode, rows: unknown[], buf: Uint8Array, start: number, end: number): void {
  switch (mode) {
    case 'object':
      rows.push(stmt.decodeObject(buf, start, end));
      return;
    case 'array':
      rows.push(stmt.decodeArray(buf, start, end));
      return;
    case 'firstRow':
      if (rows.length === 0) rows.push(stmt.decodeObject(buf, start, end));
      return;
    case 'firstArray':
      if (rows.length === 0) rows.push(stmt.decodeArray(buf, start, end));
      return;
    case 'firstValue':
      if (rows.length === 0) rows.push(stmt.decodeFirst(buf, start, end));
      return;
    case 'none':
      return;
  }
}

/** What a query returns: its rows and the CommandComplete tag. */
export interface QueryResult {
  rows: unknown[];
  /** The command tag, e.g. "SELECT 3" or "INSERT 0 1"; '' when none. */
  tag: string;
  /** Number of Execute results completed (executeMany). */
  completed: number;
}

/**
 * Bind/Execute (one or many) then Sync against a described statement.
 * Rows are decoded straight from the read buffer.
 */
export class ExecuteRequest implements PendingRequest {
  statusAtReady?: TransactionStatus;
  serverDone = false;
  /** How many Execute messages this request sent (executeMany sends several). */
  expected = 1;
  rows: unknown[] = [];
  tag = '';
  completed = 0;
  error: Error | undefined;

  constructor(
    readonly stmt: StatementInfo,
    readonly mode: RowMode,
    readonly settle: Settle<QueryResult>,
    readonly sql: string,
  ) {}

  onMessage(type: number, buf: Uint8Array, start: number, end: number): void {
    switch (type) {
      case BackendCode.DataRow:
        if (this.error !== undefined) return;
        try {
          collectRow(this.stmt, this.mode, this.rows, buf, start, end);
        } catch (e) {
          if (e instanceof ProtocolError) throw e;
          // A codec rejected a value: the stream is still in step, so this
          // fails only this call, after its ReadyForQuery.
          this.error = e instanceof Error ? e : new Error(String(e));
        }
        return;
      case BackendCode.CommandComplete:
        this.completed++;
        this.tag = commandTag(buf, start, end);
        if (this.completed >= this.expected) this.serverDone = true;
        return;
      case BackendCode.PortalSuspended:
        this.completed++;
        if (this.completed >= this.expected) this.serverDone = true;
        return;
      case BackendCode.BindComplete:
      case BackendCode.CloseComplete:
      case BackendCode.ParseComplete:
      case BackendCode.NoData:
        return;
      case BackendCode.EmptyQueryResponse:
        this.completed++;
        if (this.completed >= this.expected) this.serverDone = true;
        return;
      case BackendCode.ErrorResponse:
        this.serverDone = true;
        if (this.error === undefined) {
          const err = serverErrorAt(buf, start, end, this.sql);
          Object.defineProperty(err, 'completedBeforeError', { value: this.completed, enumerable: false });
          this.error = err;
        }
        return;
      case BackendCode.RowDescription: {
        // Only the unnamed statement asks for it (Describe Portal): check the
        // remembered column types still hold before decoding any row.
        const m = decodeBackend(type, buf, start, end);
        if (m.type === 'RowDescription' && !this.stmt.sameShape(m.fields) && this.error === undefined) {
          this.error = staleStatementError(this.sql);
        }
        return;
      }
      default:
        throw unexpectedMessage(type, 'a query');
    }
  }

  onReadyForQuery(): void {
    if (this.error !== undefined) {
      Object.defineProperty(this.error, TX_STATUS_AT_ERROR, { value: this.statusAtReady, enumerable: false });
      this.settle.reject(this.error);
    } else this.settle.resolve({ rows: this.rows, tag: this.tag, completed: this.completed });
  }

  onConnectionLost(err: Error): void {
    this.settle.reject(err);
  }
}

/** What Parse + Describe(Statement) told us. */
export interface Described {
  parameterOids: number[];
  fields: FieldDescription[] | null;
}

/** Parse + Describe(Statement) + Sync: learns parameter and column types. */
export class PrepareRequest implements PendingRequest {
  statusAtReady?: TransactionStatus;
  private parameterOids: number[] = [];
  private fields: FieldDescription[] | null = null;
  private error: Error | undefined;

  constructor(
    readonly settle: Settle<Described>,
    readonly sql: string,
  ) {}

  onMessage(type: number, buf: Uint8Array, start: number, end: number): void {
    switch (type) {
      case BackendCode.ParseComplete:
      case BackendCode.CloseComplete:
        return;
      case BackendCode.ParameterDescription: {
        const m = decodeBackend(type, buf, start, end);
        if (m.type === 'ParameterDescription') this.parameterOids = m.parameterOids;
        return;
      }
      case BackendCode.RowDescription: {
        const m = decodeBackend(type, buf, start, end);
        if (m.type === 'RowDescription') this.fields = m.fields;
        return;
      }
      case BackendCode.NoData:
        this.fields = null;
        return;
      case BackendCode.ErrorResponse:
        if (this.error === undefined) this.error = serverErrorAt(buf, start, end, this.sql);
        return;
      default:
        throw unexpectedMessage(type, 'statement preparation');
    }
  }

  onReadyForQuery(): void {
    if (this.error !== undefined) {
      Object.defineProperty(this.error, TX_STATUS_AT_ERROR, { value: this.statusAtReady, enumerable: false });
      this.settle.reject(this.error);
    } else this.settle.resolve({ parameterOids: this.parameterOids, fields: this.fields });
  }

  onConnectionLost(err: Error): void {
    this.settle.reject(err);
  }
}

/**
 * A simple-protocol Query: possibly many statements; results are not
 * returned (execute() answers with the last command's status).
 */
export class SimpleQueryRequest implements PendingRequest {
  private tag = '';
  private error: Error | undefined;
  /** The first column of the first row, as text, when the query returned one. */
  firstValue: string | null | undefined;

  constructor(
    readonly settle: Settle<string>,
    readonly sql: string,
    /** Called when the server asks for COPY data, which this request cannot supply. */
    private readonly onCopyIn: () => void,
  ) {}

  onMessage(type: number, buf: Uint8Array, start: number, end: number): void {
    switch (type) {
      case BackendCode.CommandComplete:
        this.tag = commandTag(buf, start, end);
        return;
      case BackendCode.DataRow:
        if (this.firstValue === undefined) {
          const m = decodeBackend(type, buf, start, end);
          if (m.type === 'DataRow') this.firstValue = m.values[0] ? utf8.decode(m.values[0]) : null;
        }
        return;
      // CloseComplete: a Close of an evicted statement may ride ahead of this query.
      case BackendCode.RowDescription:
      case BackendCode.EmptyQueryResponse:
      case BackendCode.CloseComplete:
      case BackendCode.CopyData:
      case BackendCode.CopyDone:
      case BackendCode.CopyOutResponse:
        return;
      case BackendCode.CopyInResponse:
        this.onCopyIn();
        return;
      case BackendCode.ErrorResponse:
        if (this.error === undefined) this.error = serverErrorAt(buf, start, end, this.sql);
        return;
      default:
        throw unexpectedMessage(type, 'a simple query');
    }
  }

  onReadyForQuery(): void {
    if (this.error !== undefined) this.settle.reject(this.error);
    else this.settle.resolve(this.tag);
  }

  onConnectionLost(err: Error): void {
    this.settle.reject(err);
  }
}

/** Messages then Sync whose only answer that matters is success or an error (Close, ...). */
export class AckRequest implements PendingRequest {
  private error: Error | undefined;
  constructor(
    readonly settle: Settle<void>,
    readonly sql: string | undefined,
  ) {}

  onMessage(type: number, buf: Uint8Array, start: number, end: number): void {
    if (type === BackendCode.ErrorResponse) {
      if (this.error === undefined) this.error = serverErrorAt(buf, start, end, this.sql);
      return;
    }
    if (type === BackendCode.CloseComplete || type === BackendCode.ParseComplete || type === BackendCode.BindComplete) return;
    throw unexpectedMessage(type, 'a close');
  }

  onReadyForQuery(): void {
    if (this.error !== undefined) this.settle.reject(this.error);
    else this.settle.resolve();
  }

  onConnectionLost(err: Error): void {
    this.settle.reject(err);
  }
}

/** The result shape changed under a remembered statement description. */
function staleStatementError(sql: string): InvalidCachedStatementError {
  return new InvalidCachedStatementError(
    {
      S: 'ERROR',
      V: 'ERROR',
      C: '0A000',
      M: 'the result columns of this statement changed since it was described',
      H: 'the statement is described again automatically; inside a transaction, retry the transaction',
    },
    sql,
  );
}
