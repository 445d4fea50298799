/**
 * The two shapes a server message takes: PostgresError for an ErrorResponse
 * (thrown), PostgresLogMessage for a NoticeResponse (reported, never thrown).
 * The per-SQLSTATE classes in sqlstate.generated.ts extend these; the
 * functions that pick a class for a message live in postgres-error.ts, so
 * that this module does not import the generated one (which imports it).
 */

import { PgjetError } from './client.js';
import { detailLines } from './format.js';
import type { NoticeFields } from '../protocol/messages.js';

/**
 * The typed view of an ErrorResponse or NoticeResponse. A field the server
 * did not send is undefined. Field letters are those of the protocol's
 * "Error and Notice Message Fields".
 */
export interface PostgresMessageFields {
  /** SQLSTATE code (C), such as '23505'. */
  readonly sqlstate: string;
  /** Severity (V, falling back to S): ERROR, FATAL, PANIC, WARNING, NOTICE, DEBUG, INFO or LOG, never translated. */
  readonly severity: string;
  /** Severity in the server's lc_messages language (S). */
  readonly severityLocalized: string | undefined;
  /** Primary message (M). */
  readonly message: string;
  /** Secondary message with more about the problem (D). */
  readonly detail: string | undefined;
  /** Advice on what to do about the problem (H). */
  readonly hint: string | undefined;
  /** 1-based character (not byte) index into the query where the error was found (P). */
  readonly position: number | undefined;
  /** Like position, but into internalQuery, a query the server generated itself (p). */
  readonly internalPosition: number | undefined;
  /** Text of the failed internal command, such as a SQL statement inside a PL/pgSQL function (q). */
  readonly internalQuery: string | undefined;
  /** Call stack context, one line per level, innermost first (W). */
  readonly where: string | undefined;
  /** Schema of the object the error is about (s). */
  readonly schemaName: string | undefined;
  /** Table of the object the error is about (t). */
  readonly tableName: string | undefined;
  /** Column the error is about (c). */
  readonly columnName: string | undefined;
  /** Data type the error is about (d). */
  readonly dataTypeName: string | undefined;
  /** Constraint the error is about (n). */
  readonly constraintName: string | undefined;
  /** Server source file that reported the error (F). */
  readonly file: string | undefined;
  /** Line in that source file (L). */
  readonly line: number | undefined;
  /** Server source routine that reported the error (R). */
  readonly routine: string | undefined;
}

/** A generated error class: built from ErrorResponse fields, and carrying its SQLSTATE. */
export interface PostgresErrorClass {
  new (fields: NoticeFields, query?: string): PostgresError;
  /** The SQLSTATE this class stands for. */
  readonly sqlstate: string;
}

/** A generated warning class: built from NoticeResponse fields, and carrying its SQLSTATE. */
export interface PostgresLogMessageClass {
  new (fields: NoticeFields, query?: string): PostgresLogMessage;
  /** The SQLSTATE this class stands for. */
  readonly sqlstate: string;
}

/** Any class in SQLSTATE_CLASSES. */
export type SqlstateClass = PostgresErrorClass | PostgresLogMessageClass;

/** Typed field, protocol letter, and whether the value is a number; in the order inspect shows them. */
const FIELD_LETTERS: readonly (readonly [keyof PostgresMessageFields, string, boolean])[] = [
  ['severityLocalized', 'S', false],
  ['detail', 'D', false],
  ['hint', 'H', false],
  ['position', 'P', true],
  ['internalPosition', 'p', true],
  ['internalQuery', 'q', false],
  ['where', 'W', false],
  ['schemaName', 's', false],
  ['tableName', 't', false],
  ['columnName', 'c', false],
  ['dataTypeName', 'd', false],
  ['constraintName', 'n', false],
  ['file', 'F', false],
  ['line', 'L', true],
  ['routine', 'R', false],
];

/**
 * Only the fields the server sent, so that inspecting or serialising a message
 * shows what is there rather than a column of undefined.
 */
function typedFields(fields: NoticeFields, fallbackSqlstate: string | undefined): Partial<PostgresMessageFields> {
  const out: Record<string, string | number> = {
    sqlstate: fields['C'] ?? fallbackSqlstate ?? '',
    severity: fields['V'] ?? fields['S'] ?? '',
    message: fields['M'] ?? '',
  };
  for (const [key, letter, numeric] of FIELD_LETTERS) {
    const value = fields[letter];
    if (value === undefined) continue;
    if (!numeric) out[key] = value;
    // Decimal ASCII per the protocol; anything else is dropped rather than
    // turned into NaN.
    else if (/^\d{1,15}$/.test(value)) out[key] = Number(value);
  }
  return out as Partial<PostgresMessageFields>;
}

/** The `sqlstate` static of a generated class, if the instance belongs to one. */
function staticSqlstate(ctor: unknown): string | undefined {
  const value = (ctor as { sqlstate?: unknown } | undefined)?.sqlstate;
  return typeof value === 'string' ? value : undefined;
}

/** The raw fields, frozen and kept out of enumeration (every value already shows as a typed field). */
function defineRawFields(target: object, fields: NoticeFields): void {
  Object.defineProperty(target, 'fields', {
    value: Object.freeze({ ...fields }),
    enumerable: false,
    writable: false,
    configurable: false,
  });
}

const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom');

/** The inspect function Node passes as the third argument of a custom inspect method. */
type InspectFn = (value: unknown, options?: object) => string;

/**
 * An error the server reported (ErrorResponse). The class is the most
 * specific one for its SQLSTATE (UniqueViolationError for 23505 and so on,
 * see sqlstate.generated.ts); `message` is the server's primary message, and
 * `toString()` adds the caret under the query, DETAIL, HINT and CONTEXT.
 */
export class PostgresError extends PgjetError implements PostgresMessageFields {
  override name = 'PostgresError';
  declare readonly sqlstate: string;
  declare readonly severity: string;
  declare readonly severityLocalized: string | undefined;
  declare readonly detail: string | undefined;
  declare readonly hint: string | undefined;
  declare readonly position: number | undefined;
  declare readonly internalPosition: number | undefined;
  declare readonly internalQuery: string | undefined;
  declare readonly where: string | undefined;
  declare readonly schemaName: string | undefined;
  declare readonly tableName: string | undefined;
  declare readonly columnName: string | undefined;
  declare readonly dataTypeName: string | undefined;
  declare readonly constraintName: string | undefined;
  declare readonly file: string | undefined;
  declare readonly line: number | undefined;
  declare readonly routine: string | undefined;
  /** The SQL that failed, when the connection knows it. */
  declare readonly query: string | undefined;
  /** Every field of the ErrorResponse, keyed by its one-letter code. */
  declare readonly fields: Readonly<NoticeFields>;

  /**
   * @param fields the ErrorResponse fields, keyed by their one-letter code
   * @param query the SQL that failed, so the message can point into it
   */
  constructor(fields: NoticeFields, query?: string) {
    const code = fields['C'] ?? staticSqlstate(new.target);
    super(fields['M'] ?? `the server reported an error without a message (SQLSTATE ${code ?? 'unknown'})`);
    // `message` is Error's own property, set above.
    const { message: _message, ...typed } = typedFields(fields, staticSqlstate(new.target));
    Object.assign(this, typed);
    if (query !== undefined) Object.assign(this, { query });
    defineRawFields(this, fields);
  }

  /** Alias of `sqlstate`, the name node-postgres uses. */
  get code(): string {
    return this.sqlstate;
  }

  /** `Name: message`, then the query line with a caret, DETAIL, HINT, QUERY and CONTEXT when present. */
  override toString(): string {
    return [`${this.name}: ${this.message}`, ...detailLines(this)].join('\n');
  }

  /** The name, message and the fields the server sent, for structured logs (JSON.stringify leaves out an Error's message otherwise). */
  toJSON(): Record<string, unknown> {
    const { name, ...sent } = { ...this } as Record<string, unknown>;
    return { name, message: this.message, ...sent };
  }

  /** Node's console.log and util.inspect: toString(), the stack frames, then the fields the server sent. */
  [inspectCustom](depth: number, options: object, inspect?: InspectFn): string {
    if (depth < 0) return `[${this.name}: ${this.message}]`;
    const stack = this.stack ?? '';
    const framesAt = stack.search(/\n\s+at /);
    let out = this.toString() + (framesAt >= 0 ? stack.slice(framesAt) : '');
    if (inspect !== undefined) {
      // The name and message are already in the first line.
      const { name: _name, ...shown } = { ...this } as Record<string, unknown>;
      out += ` ${inspect(shown, options)}`;
      if (this.cause !== undefined) out += `\n[cause]: ${inspect(this.cause, options)}`;
    }
    return out;
  }
}

/**
 * A notice, warning or other non-error message from the server
 * (NoticeResponse). It is handed to notice listeners, not thrown, so it is
 * not an Error. Warnings (SQLSTATE classes 01 and 02, or severity WARNING)
 * are PostgresWarning or one of its subclasses.
 */
export class PostgresLogMessage implements PostgresMessageFields {
  /** The class name, as on errors, so logs can tell message kinds apart. */
  name = 'PostgresLogMessage';
  declare readonly sqlstate: string;
  declare readonly severity: string;
  declare readonly severityLocalized: string | undefined;
  declare readonly message: string;
  declare readonly detail: string | undefined;
  declare readonly hint: string | undefined;
  declare readonly position: number | undefined;
  declare readonly internalPosition: number | undefined;
  declare readonly internalQuery: string | undefined;
  declare readonly where: string | undefined;
  declare readonly schemaName: string | undefined;
  declare readonly tableName: string | undefined;
  declare readonly columnName: string | undefined;
  declare readonly dataTypeName: string | undefined;
  declare readonly constraintName: string | undefined;
  declare readonly file: string | undefined;
  declare readonly line: number | undefined;
  declare readonly routine: string | undefined;
  /** The SQL that was running when the server sent the message, when known. */
  declare readonly query: string | undefined;
  /** Every field of the NoticeResponse, keyed by its one-letter code. */
  declare readonly fields: Readonly<NoticeFields>;

  /**
   * @param fields the NoticeResponse fields, keyed by their one-letter code
   * @param query the SQL that was running, so the message can point into it
   */
  constructor(fields: NoticeFields, query?: string) {
    Object.assign(this, typedFields(fields, staticSqlstate(new.target)));
    if (query !== undefined) Object.assign(this, { query });
    defineRawFields(this, fields);
  }

  /** Alias of `sqlstate`, the name node-postgres uses. */
  get code(): string {
    return this.sqlstate;
  }

  /** `SEVERITY:  message` as psql prints it, then the caret line, DETAIL, HINT, QUERY and CONTEXT when present. */
  toString(): string {
    return [`${this.severity || 'NOTICE'}:  ${this.message}`, ...detailLines(this)].join('\n');
  }
}
