/**
 * Turning the fields of an ErrorResponse or NoticeResponse into the most
 * specific class for its SQLSTATE.
 */

import { PostgresError, PostgresLogMessage } from './postgres-message.js';
import { FeatureNotSupportedError, PostgresWarning, SQLSTATE_CLASSES } from './sqlstate.generated.js';
import type { PostgresErrorClass, PostgresLogMessageClass, SqlstateClass } from './postgres-message.js';
import type { NoticeFields } from '../protocol/messages.js';

export { PostgresError, PostgresLogMessage };
export type { PostgresErrorClass, PostgresLogMessageClass, PostgresMessageFields, SqlstateClass } from './postgres-message.js';

/**
 * A cached prepared statement can no longer run because a table or type it
 * uses changed shape since it was prepared (the server's "cached plan must not
 * change result type", SQLSTATE 0A000 from RevalidateCachedQuery). Preparing
 * the statement again fixes it.
 */
export class InvalidCachedStatementError extends FeatureNotSupportedError {
  override name = 'InvalidCachedStatementError';
}

function prototypeOf(cls: SqlstateClass): unknown {
  return (cls as unknown as { prototype: unknown }).prototype;
}

function isErrorClass(cls: SqlstateClass): cls is PostgresErrorClass {
  return prototypeOf(cls) instanceof PostgresError;
}

function isLogMessageClass(cls: SqlstateClass): cls is PostgresLogMessageClass {
  return prototypeOf(cls) instanceof PostgresLogMessage;
}

/** The generated class for `sqlstate`, or else the generic class (xx000) of its SQLSTATE class. */
function lookup(sqlstate: string | undefined): SqlstateClass | undefined {
  if (sqlstate === undefined) return undefined;
  return SQLSTATE_CLASSES.get(sqlstate) ?? SQLSTATE_CLASSES.get(`${sqlstate.slice(0, 2)}000`);
}

/**
 * The error for an ErrorResponse: an instance of the class generated for its
 * SQLSTATE (23505 gives UniqueViolationError), else of the generic class of
 * that SQLSTATE class (an unknown 23ZZZ gives IntegrityConstraintViolationError),
 * else a plain PostgresError. `query` is the SQL that failed, for the message.
 */
export function postgresErrorFromFields(fields: NoticeFields, query?: string): PostgresError {
  const cls = lookup(fields['C']);
  if (fields['C'] === FeatureNotSupportedError.sqlstate && fields['R'] === 'RevalidateCachedQuery') {
    return new InvalidCachedStatementError(fields, query);
  }
  // A warning code in an ErrorResponse has no error class; keep the error generic.
  if (cls !== undefined && isErrorClass(cls)) return new cls(fields, query);
  return new PostgresError(fields, query);
}

/**
 * The message for a NoticeResponse. Warnings (SQLSTATE classes 01 and 02) get
 * their generated class; any other message of severity WARNING (such as
 * "there is no transaction in progress", SQLSTATE 25P01) is a PostgresWarning;
 * everything else is a PostgresLogMessage. `sqlstate` always holds the code
 * the server sent.
 */
export function logMessageFromFields(fields: NoticeFields, query?: string): PostgresLogMessage {
  const cls = lookup(fields['C']);
  if (cls !== undefined && isLogMessageClass(cls)) return new cls(fields, query);
  if ((fields['V'] ?? fields['S'])?.toUpperCase() === 'WARNING') return new PostgresWarning(fields, query);
  return new PostgresLogMessage(fields, query);
}
