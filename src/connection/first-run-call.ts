/**
 * One call's first run of a statement, start to finish: the one-flight
 * request, holding later calls back until this one can no longer need a
 * retry (so calls still reach the server in the order they were made), the
 * retry when the server refused the speculative Bind, and the rows that had
 * to wait for type lookups or text conversion.
 */
import { ProtocolError } from '../errors/client.js';
import { PostgresError } from '../errors/postgres-error.js';
import type { CallControl, ConnectionCore } from './core.js';
import { withTextColumns } from './binary-columns.js';
import { withSql } from './execute.js';
import { FirstRunRequest, writeFirstRun } from './first-run.js';
import type { FirstRunOutcome } from './first-run.js';
import { collectRow, Settle } from './requests.js';
import type { QueryResult, RowMode } from './requests.js';
import type { StatementInfo } from './statement.js';
import type { FirstRunSlot, StatementManager } from './statements.js';

/** What a first run needs from its connection. */
export interface FirstRunHost {
  readonly core: ConnectionCore;
  readonly statements: StatementManager;
  /**
   * Hold back every call made after this point. The returned function lets
   * them go; `first`, when given, is sent ahead of all of them.
   */
  holdLaterCalls(): (first?: () => void) => void;
  /** Execute the described statement now, the usual way (binary parameters). */
  resend(stmt: StatementInfo, args: readonly unknown[], mode: RowMode, ctl: CallControl): Promise<QueryResult>;
}

/**
 * A column type without a binary output function (aclitem) is refused when
 * the first row is sent, after BindComplete: still before any row.
 */
function noBinaryOutput(o: FirstRunOutcome): boolean {
  const e = o.error;
  return (
    o.phase === 'execute' &&
    o.rowsSeen === 0 &&
    e instanceof PostgresError &&
    e.sqlstate === '42883' &&
    // The reporting routine is never translated; the message may be.
    (e.routine === 'getTypeBinaryOutputInfo' || e.message.startsWith('no binary output function available for type'))
  );
}

/** Run `slot.sql` for the first time with parameters already turned into `texts`. */
export async function runFirstTime(
  host: FirstRunHost,
  slot: FirstRunSlot,
  args: readonly unknown[],
  texts: readonly (string | null)[],
  mode: RowMode,
  ctl: CallControl,
): Promise<QueryResult> {
  const { sql, name } = slot;
  const release = host.holdLaterCalls();
  const maxRows = mode === 'firstRow' || mode === 'firstArray' || mode === 'firstValue' ? 1 : 0;
  let outcome: FirstRunOutcome;
  try {
    outcome = await new Promise<FirstRunOutcome>((resolve, reject) => {
      let early = false;
      const req = new FirstRunRequest(sql, mode, new Settle(resolve, reject), {
        described: (d) => {
          const info = host.statements.readyInfo(name, sql, d);
          // Once bound, nothing is left that needs a request ahead of later
          // calls (no type lookup, no conversion): let them go at once.
          early = info !== undefined;
          return info;
        },
        bound: () => {
          if (early) queueMicrotask(() => release());
        },
      });
      host.core.enqueue(req, (w) => writeFirstRun(w, name, sql, texts, maxRows));
      ctl.request = req;
    });
  } catch (e) {
    const err = withSql(e, sql);
    release();
    slot.reject(err);
    throw err;
  }

  const d = outcome.described;
  if (d === undefined) {
    // Parse failed: the statement itself is wrong, exactly as a prepare would have said.
    const err = outcome.error ?? new ProtocolError('the server ended a first run without describing the statement');
    release();
    slot.reject(err);
    throw err;
  }
  let info: StatementInfo;
  try {
    info = outcome.info ?? (await host.statements.describedInfo(name, sql, d));
  } catch (e) {
    const err = withSql(e, sql);
    release();
    slot.reject(err);
    throw err;
  }
  slot.resolve(info);

  if (outcome.error !== undefined) {
    if ((outcome.phase === 'bind' || noBinaryOutput(outcome)) && !ctl.cancelled) {
      // The server refused the Bind, or a column's binary output before any
      // row, with no transaction block open: its implicit transaction is
      // rolled back. Run it again with the described types, ahead of later calls.
      const stmt = info;
      return new Promise<QueryResult>((resolve, reject) => {
        release(() => {
          host.resend(stmt, args, mode, ctl).then(resolve, reject);
        });
      });
    }
    release();
    throw outcome.error;
  }
  if (outcome.info !== undefined) {
    release();
    return { rows: outcome.rows, tag: outcome.tag, completed: 1 };
  }
  try {
    const bodies = info.resultFormats.includes(0) ? await withTextColumns(host.core, info, outcome.raw) : outcome.raw;
    const rows: unknown[] = [];
    for (const b of bodies) collectRow(info, mode, rows, b, 0, b.length);
    return { rows, tag: outcome.tag, completed: 1 };
  } finally {
    release();
  }
}
