/**
 * The text of COPY statements: quoted identifiers, the option list, and a
 * query's $n placeholders replaced by literals (COPY is a utility statement,
 * so the server takes no parameters inside it).
 */
import { InterfaceError } from '../errors/client.js';
import { toText } from '../types/text.js';

/** The data formats of COPY. */
export type CopyFormat = 'text' | 'csv' | 'binary';

/** Every option COPY takes, in camelCase. Each one is checked by the server for the direction and format. */
export interface CopyOptions {
  /** Data format (default text). */
  format?: CopyFormat;
  /** FREEZE: load rows already frozen (COPY FROM into a table created or truncated in this transaction). */
  freeze?: boolean;
  /** DELIMITER: the one character between columns (tab in text, comma in csv). */
  delimiter?: string;
  /** NULL: the string that stands for a null value. */
  null?: string;
  /** DEFAULT: the string that stands for a column's default (COPY FROM, PostgreSQL 16+). */
  default?: string;
  /** HEADER: the first line holds column names; 'match' checks them (COPY FROM, PostgreSQL 15+). */
  header?: boolean | 'match';
  /** QUOTE: csv quoting character. */
  quote?: string;
  /** ESCAPE: csv escape character. */
  escape?: string;
  /** FORCE_QUOTE: quote these columns (or all: true) in csv output (COPY TO). */
  forceQuote?: readonly string[] | true;
  /** FORCE_NOT_NULL: never match these columns against the null string (COPY FROM, csv). */
  forceNotNull?: readonly string[] | true;
  /** FORCE_NULL: match these columns against the null string even when quoted (COPY FROM, csv). */
  forceNull?: readonly string[] | true;
  /** ON_ERROR: 'stop' (default) or 'ignore' rows that fail to convert (COPY FROM, PostgreSQL 17+). */
  onError?: 'stop' | 'ignore';
  /** ENCODING: the data's encoding, when not the client encoding. */
  encoding?: string;
}

/** Keys of CopyOptions, for strict checking of option objects. */
export const COPY_OPTION_KEYS: readonly string[] = [
  'format',
  'freeze',
  'delimiter',
  'null',
  'default',
  'header',
  'quote',
  'escape',
  'forceQuote',
  'forceNotNull',
  'forceNull',
  'onError',
  'encoding',
];

/** An identifier in double quotes, safe for any name. */
export function quoteIdent(name: string, what = 'identifier'): string {
  if (typeof name !== 'string' || name === '') throw new InterfaceError(`${what} must be a non-empty string, got ${JSON.stringify(name)}`);
  if (name.includes('\0')) throw new InterfaceError(`${what} ${JSON.stringify(name)} contains a NUL character`);
  return '"' + name.replace(/"/g, '""') + '"';
}

/** A string literal, safe whatever standard_conforming_strings says (E'' when it holds a backslash). */
export function quoteLiteral(value: string, what = 'value'): string {
  if (value.includes('\0')) throw new InterfaceError(`${what} contains a NUL character, which PostgreSQL text cannot hold`);
  const body = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}

/** `"schema"."table"` or `"table"`. */
export function qualifiedTable(table: string, schemaName: string | undefined): string {
  const t = quoteIdent(table, 'table name');
  return schemaName === undefined ? t : `${quoteIdent(schemaName, 'schemaName')}.${t}`;
}

/** ` ("a", "b")` or '' when no columns are given. */
export function columnList(columns: readonly string[] | undefined): string {
  if (columns === undefined) return '';
  if (!Array.isArray(columns) || columns.length === 0) throw new InterfaceError('"columns" must be a non-empty array of column names');
  return ` (${columns.map((c) => quoteIdent(c, 'column name')).join(', ')})`;
}

function columnsOrAll(v: readonly string[] | true, option: string): string {
  if (v === true) return '*';
  if (!Array.isArray(v) || v.length === 0) throw new InterfaceError(`"${option}" must be true or a non-empty array of column names`);
  return `(${v.map((c) => quoteIdent(c, 'column name')).join(', ')})`;
}

function stringOption(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new InterfaceError(`"${key}" must be a string, got ${typeof v}`);
  return quoteLiteral(v, `"${key}"`);
}

/** The parenthesised option list of a COPY statement, '' when there is nothing to say. */
export function copyOptionsSql(o: CopyOptions): string {
  const parts: string[] = [];
  const raw = o as Record<string, unknown>;
  if (o.format !== undefined) {
    if (o.format !== 'text' && o.format !== 'csv' && o.format !== 'binary') {
      throw new InterfaceError(`"format" must be 'text', 'csv' or 'binary', got ${JSON.stringify(o.format)}`);
    }
    parts.push(`FORMAT ${o.format}`);
  }
  if (o.freeze !== undefined) {
    if (typeof o.freeze !== 'boolean') throw new InterfaceError('"freeze" must be a boolean');
    parts.push(`FREEZE ${o.freeze}`);
  }
  for (const [key, sql] of [
    ['delimiter', 'DELIMITER'],
    ['null', 'NULL'],
    ['default', 'DEFAULT'],
    ['quote', 'QUOTE'],
    ['escape', 'ESCAPE'],
    ['encoding', 'ENCODING'],
  ] as const) {
    const lit = stringOption(raw, key);
    if (lit !== undefined) parts.push(`${sql} ${lit}`);
  }
  if (o.header !== undefined) {
    if (o.header !== true && o.header !== false && o.header !== 'match') throw new InterfaceError("\"header\" must be true, false or 'match'");
    parts.push(`HEADER ${o.header === 'match' ? 'MATCH' : String(o.header)}`);
  }
  if (o.forceQuote !== undefined) parts.push(`FORCE_QUOTE ${columnsOrAll(o.forceQuote, 'forceQuote')}`);
  if (o.forceNotNull !== undefined) parts.push(`FORCE_NOT_NULL ${columnsOrAll(o.forceNotNull, 'forceNotNull')}`);
  if (o.forceNull !== undefined) parts.push(`FORCE_NULL ${columnsOrAll(o.forceNull, 'forceNull')}`);
  if (o.onError !== undefined) {
    if (o.onError !== 'stop' && o.onError !== 'ignore') throw new InterfaceError("\"onError\" must be 'stop' or 'ignore'");
    parts.push(`ON_ERROR ${o.onError}`);
  }
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

/**
 * Replace $1, $2 ... in `sql` by literals of `args`, skipping string
 * literals, quoted identifiers, dollar-quoted strings and comments. The
 * literals are untyped, so the server infers their types from context just
 * as it would for parameters.
 * @throws InterfaceError when the placeholders and the arguments do not match.
 */
export function inlineArguments(sql: string, args: readonly unknown[]): string {
  const literals = args.map((a, i) => {
    if (a === null) return 'NULL';
    if (a === undefined) throw new InterfaceError(`argument $${i + 1} is undefined; pass null for SQL NULL`);
    return quoteLiteral(toText(a), `argument $${i + 1}`);
  });
  const used = new Set<number>();
  let out = '';
  let i = 0;
  let from = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === "'") {
      const escapes = i > 0 && (sql[i - 1] === 'E' || sql[i - 1] === 'e') && !isIdentChar(sql[i - 2]);
      i = skipQuoted(sql, i, "'", escapes);
    } else if (c === '"') {
      i = skipQuoted(sql, i, '"', false);
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      i = skipBlockComment(sql, i);
    } else if (c === '$' && !isIdentChar(sql[i - 1])) {
      const m = /^\$(\d+)/.exec(sql.slice(i, i + 12));
      if (m) {
        const k = Number(m[1]);
        if (k < 1 || k > literals.length) {
          throw new InterfaceError(`the query uses $${k} but ${literals.length} argument${literals.length === 1 ? ' was' : 's were'} given`);
        }
        out += sql.slice(from, i) + literals[k - 1]!;
        used.add(k);
        i += m[0].length;
        from = i;
        continue;
      }
      const tag = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i, i + 70));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close === -1 ? n : close + tag[0].length;
      } else {
        i++;
      }
    } else {
      i++;
    }
  }
  for (let k = 1; k <= literals.length; k++) {
    if (!used.has(k)) throw new InterfaceError(`${literals.length} argument(s) were given but the query does not use $${k}`);
  }
  return out + sql.slice(from);
}

function isIdentChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
}

/** Index just past the quoted run that starts at `start`; a doubled quote stays inside. */
function skipQuoted(sql: string, start: number, q: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (backslashEscapes && c === '\\') {
      i += 2;
      continue;
    }
    if (c === q) {
      if (sql[i + 1] === q) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

/** Block comments nest in PostgreSQL. */
function skipBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return sql.length;
}
