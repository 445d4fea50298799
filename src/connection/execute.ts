/**
 * Sending executions of a described statement: Bind + Execute + Sync for a
 * named statement, or Parse + Bind + Describe(Portal) + Execute + Sync for
 * the unnamed one (nothing outlives the Sync, which is what a transaction
 * pooler needs). One Sync per call keeps an error with its own call; a batch
 * of argument sets shares one Sync, which makes it atomic.
 */
import { InterfaceError } from '../errors/client.js';
import { PostgresError } from '../errors/postgres-error.js';
import { writeClose, writeDescribe, writeExecute, writeParse, writeSync } from '../protocol/frontend.js';
import type { Writer } from '../protocol/writer.js';
import type { TypeRegistry } from '../types/registry.js';
import { writeBind } from './bind.js';
import type { CallControl, ConnectionCore } from './core.js';
import { ExecuteRequest, Settle } from './requests.js';
import type { QueryResult, RowMode } from './requests.js';
import type { StatementInfo } from './statement.js';

/** What an execution needs besides the statement. */
export interface ExecuteContext {
  core: ConnectionCore;
  registry: TypeRegistry;
  /** Close the statement after this use (not cached). */
  temporary: boolean;
}

function writeOne(w: Writer, stmt: StatementInfo, args: readonly unknown[], registry: TypeRegistry, maxRows: number): void {
  if (stmt.name === '') writeParse(w, '', stmt.sql, stmt.parameterOids);
  writeBind(w, '', stmt, args, registry);
  // For the unnamed statement the portal's RowDescription confirms the
  // remembered column types are still right before any row is decoded.
  if (stmt.name === '') writeDescribe(w, 'P', '');
  writeExecute(w, '', maxRows);
}

/** Execute once with `args`; rows collected per `mode`. */
export function sendExecute(
  x: ExecuteContext,
  stmt: StatementInfo,
  args: readonly unknown[],
  mode: RowMode,
  ctl: CallControl,
  sql: string,
): Promise<QueryResult> {
  return new Promise<QueryResult>((resolve, reject) => {
    const req = new ExecuteRequest(stmt, mode, new Settle(resolve, reject), sql);
    const maxRows = mode === 'firstRow' || mode === 'firstValue' || mode === 'firstArray' ? 1 : 0;
    try {
      x.core.enqueue(req, (w) => {
        writeOne(w, stmt, args, x.registry, maxRows);
        if (x.temporary) writeClose(w, 'S', stmt.name);
        writeSync(w);
      });
    } catch (e) {
      reject(withSql(e, sql));
      return;
    }
    ctl.request = req;
  });
}

/** Execute once per argument set, all under one Sync: every set applies or none does. */
export function sendBatch(
  x: ExecuteContext,
  stmt: StatementInfo,
  list: readonly (readonly unknown[])[],
  ctl: CallControl,
  sql: string,
): Promise<QueryResult> {
  return new Promise<QueryResult>((resolve, reject) => {
    const req = new ExecuteRequest(stmt, 'none', new Settle(resolve, reject), sql);
    req.expected = list.length;
    try {
      x.core.enqueue(req, (w) => {
        for (let i = 0; i < list.length; i++) {
          try {
            writeOne(w, stmt, list[i]!, x.registry, 0);
          } catch (e) {
            if (e instanceof Error) e.message = `argument set ${i}: ${e.message}`;
            throw e;
          }
        }
        if (x.temporary) writeClose(w, 'S', stmt.name);
        writeSync(w);
      });
    } catch (e) {
      reject(withSql(e, sql));
      return;
    }
    ctl.request = req;
  }).catch((e: unknown) => {
    // The sets before the failing one completed (then rolled back): name the one that failed.
    if (e instanceof PostgresError) {
      const done = (e as PostgresError & { completedBeforeError?: number }).completedBeforeError;
      if (done !== undefined) e.message = `argument set ${done} failed: ${e.message}`;
    }
    throw e;
  });
}

/** Attach the SQL to a client-side error raised while writing a request. */
export function withSql(e: unknown, sql: string): Error {
  // A client-side DataError (a parameter that cannot be encoded) names the query like a server error does.
  if (e instanceof PostgresError && e.query === undefined) {
    Object.defineProperty(e, 'query', { value: sql, enumerable: true, configurable: true, writable: false });
    return e;
  }
  if (e instanceof Error) {
    if (e instanceof InterfaceError && !e.message.includes(' in query: ')) {
      e.message = `${e.message} in query: ${sql.length > 200 ? sql.slice(0, 200) + '…' : sql}`;
    }
    return e;
  }
  return new InterfaceError(String(e));
}
