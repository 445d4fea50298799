/**
 * The two call shapes every query method accepts: `(sql, ...args)` and
 * `({ text, args, timeout, signal })`. Normalised here once so each method
 * stays a one-liner.
 */
import { InterfaceError } from '../errors/client.js';

/** Object form of a query: the first argument to fetch/execute/... */
export interface QueryConfig {
  /** The SQL text, with $1, $2 ... placeholders. */
  text: string;
  /** Parameter values, in placeholder order. */
  args?: readonly unknown[];
  /** Milliseconds before the server is asked to cancel; overrides the connection's commandTimeout. */
  timeout?: number;
  /** Abort the call: the server is asked to cancel it and the call rejects with AbortError. */
  signal?: AbortSignal;
  /** Return rows as arrays of values in column order instead of objects. */
  rowMode?: 'object' | 'array';
}

/** A query in normalised form. */
export interface NormalizedQuery {
  text: string;
  args: readonly unknown[];
  timeout: number | undefined;
  signal: AbortSignal | undefined;
  rowMode: 'object' | 'array' | undefined;
}

/** Turn either call shape into a NormalizedQuery, rejecting mixed or malformed input. */
export function normalizeQuery(method: string, first: string | QueryConfig, rest: readonly unknown[]): NormalizedQuery {
  if (typeof first === 'string') {
    return { text: first, args: rest, timeout: undefined, signal: undefined, rowMode: undefined };
  }
  if (first === null || typeof first !== 'object' || typeof first.text !== 'string') {
    throw new InterfaceError(
      `${method}() expects SQL text or an object { text, args?, timeout?, signal? } as its first argument, got ${describe(first)}`,
    );
  }
  if (rest.length > 0) {
    throw new InterfaceError(
      `${method}(): with the object form, pass parameters in its "args" array, not as extra arguments`,
    );
  }
  const args = first.args ?? [];
  if (!Array.isArray(args)) {
    throw new InterfaceError(`${method}(): "args" must be an array, got ${describe(args)}`);
  }
  if (first.timeout !== undefined && !(typeof first.timeout === 'number' && first.timeout >= 0 && Number.isFinite(first.timeout))) {
    throw new InterfaceError(`${method}(): "timeout" must be a non-negative number of milliseconds, got ${describe(first.timeout)}`);
  }
  for (const key of Object.keys(first)) {
    if (!QUERY_KEYS.has(key)) {
      throw new InterfaceError(`${method}(): unknown query option "${key}" (valid: ${[...QUERY_KEYS].join(', ')})`);
    }
  }
  return { text: first.text, args, timeout: first.timeout, signal: first.signal, rowMode: first.rowMode };
}

const QUERY_KEYS = new Set(['text', 'args', 'timeout', 'signal', 'rowMode']);

/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `an object (${v.constructor?.name ?? 'Object'})`;
  if (typeof v === 'string') return `a string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}
