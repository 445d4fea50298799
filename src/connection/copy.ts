/**
 * The COPY API, asyncpg's in camelCase: copyRecordsToTable (binary COPY of
 * JavaScript records), copyToTable (raw data from a file, stream, iterable
 * or buffer), copyFromTable and copyFromQuery (data out to a file, stream,
 * callback or async iterator).
 */
import fs from 'node:fs';
import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import { InterfaceError } from '../errors/client.js';
import type { Connection } from './connection.js';
import { runCopyIn } from './copy-in.js';
import type { CopyCallOptions, CopySink } from './copy-in.js';
import { iterateCopyOut, runCopyOut } from './copy-out.js';
import type { CopyOutput } from './copy-out.js';
import { allBinary, produceRecords, RecordEncoder, resolveColumns } from './copy-records.js';
import type { RecordSource } from './copy-records.js';
import { columnList, COPY_OPTION_KEYS, copyOptionsSql, inlineArguments, qualifiedTable } from './copy-sql.js';
import type { CopyOptions } from './copy-sql.js';
import { describe } from './query-args.js';

export type { CopyCallOptions } from './copy-in.js';
export type { CopyOutput } from './copy-out.js';
export type { CopyRecord, RecordSource } from './copy-records.js';
export type { CopyFormat, CopyOptions } from './copy-sql.js';

/** Data for copyToTable: a file path, a Buffer, a Readable, or an (async) iterable of Buffers or strings. */
export type CopySource = string | Uint8Array | Readable | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

/** Options of copyToTable. */
export interface CopyToTableOptions extends CopyOptions, CopyCallOptions {
  /** The data, in the COPY format given by `format` (text by default). */
  source: CopySource;
  /** Columns the data fills, in its order; all columns by default. */
  columns?: readonly string[];
  /** Schema of the table; the search_path decides when omitted. */
  schemaName?: string;
  /** A SQL condition rows must meet to be loaded (COPY ... WHERE). It is SQL text: never build it from untrusted input. */
  where?: string;
}

/** Options of copyRecordsToTable. */
export interface CopyRecordsOptions extends CopyCallOptions {
  /** Records: an array, an iterable or an async iterable of arrays (column order) or objects (keyed by column name). */
  records: RecordSource;
  /** Columns the records fill, in order; every column that takes input by default. */
  columns?: readonly string[];
  /** Schema of the table; the search_path decides when omitted. */
  schemaName?: string;
  /** A SQL condition rows must meet to be loaded (COPY ... WHERE). It is SQL text: never build it from untrusted input. */
  where?: string;
}

/** Options of copyFromTable. */
export interface CopyFromTableOptions extends CopyOptions, CopyCallOptions {
  /** Where the data goes; without it, the call returns an async iterator of chunks. */
  output?: CopyOutput;
  /** Columns to copy, in order; all by default. */
  columns?: readonly string[];
  /** Schema of the table; the search_path decides when omitted. */
  schemaName?: string;
}

/** Options of copyFromQuery. */
export interface CopyFromQueryOptions extends CopyOptions, CopyCallOptions {
  /** Where the data goes; without it, the call returns an async iterator of chunks. */
  output?: CopyOutput;
  /** Values for $1, $2 ... in the query, written into it as literals (COPY takes no parameters). */
  args?: readonly unknown[];
}

const CALL_KEYS = ['timeout', 'signal'];
const TO_TABLE_KEYS = new Set([...COPY_OPTION_KEYS, ...CALL_KEYS, 'source', 'columns', 'schemaName', 'where']);
const RECORDS_KEYS = new Set([...CALL_KEYS, 'records', 'columns', 'schemaName', 'where']);
const FROM_TABLE_KEYS = new Set([...COPY_OPTION_KEYS, ...CALL_KEYS, 'output', 'columns', 'schemaName']);
const FROM_QUERY_KEYS = new Set([...COPY_OPTION_KEYS, ...CALL_KEYS, 'output', 'args']);

function checkOptions(method: string, options: unknown, keys: ReadonlySet<string>): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InterfaceError(`${method}(): options must be an object, got ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!keys.has(k)) throw new InterfaceError(`${method}(): unknown option "${k}" (valid: ${[...keys].join(', ')})`);
  }
  const o = options as CopyCallOptions;
  if (o.timeout !== undefined && !(typeof o.timeout === 'number' && o.timeout >= 0 && Number.isFinite(o.timeout))) {
    throw new InterfaceError(`${method}(): "timeout" must be a non-negative number of milliseconds, got ${describe(o.timeout)}`);
  }
}

/** Only the COPY options out of a call's options. */
function copyOptions(o: CopyOptions): CopyOptions {
  const out: Record<string, unknown> = {};
  const src = o as Record<string, unknown>;
  for (const k of COPY_OPTION_KEYS) if (src[k] !== undefined) out[k] = src[k];
  return out as CopyOptions;
}

function whereSql(where: unknown): string {
  if (where === undefined) return '';
  if (typeof where !== 'string' || where.trim() === '') throw new InterfaceError('"where" must be a non-empty SQL condition');
  return ` WHERE ${where}`;
}

/** Load raw COPY data into a table. Resolves with the command tag ("COPY 1000"). */
export async function copyToTable(conn: Connection, table: string, options: CopyToTableOptions): Promise<string> {
  checkOptions('copyToTable', options, TO_TABLE_KEYS);
  const sql =
    `COPY ${qualifiedTable(table, options.schemaName)}${columnList(options.columns)} FROM STDIN` +
    `${copyOptionsSql(copyOptions(options))}${whereSql(options.where)}`;
  const source = options.source;
  if (typeof source === 'string') {
    // Open first: a path that cannot be read never starts a COPY.
    const handle = await fs.promises.open(source, 'r');
    try {
      const stream = handle.createReadStream({ highWaterMark: 256 * 1024, autoClose: false });
      return await runCopyIn(conn, sql, (sink) => produceChunks(sink, stream), options);
    } finally {
      await handle.close();
    }
  }
  if (source instanceof Uint8Array) return runCopyIn(conn, sql, (sink) => produceBuffer(sink, source), options);
  if (source !== null && typeof source === 'object' && (Symbol.asyncIterator in source || Symbol.iterator in source)) {
    return runCopyIn(conn, sql, (sink) => produceChunks(sink, source), options);
  }
  throw new InterfaceError(
    `copyToTable(): "source" must be a file path, a Buffer, a Readable, or an iterable of Buffers or strings, got ${describe(source)}`,
  );
}

async function produceBuffer(sink: CopySink, data: Uint8Array): Promise<void> {
  const step = 1024 * 1024;
  for (let at = 0; at < data.length; at += step) {
    const wait = sink.write(data.subarray(at, Math.min(data.length, at + step)));
    if (wait) await wait;
  }
}

async function produceChunks(sink: CopySink, source: AsyncIterable<unknown> | Iterable<unknown>): Promise<void> {
  let i = 0;
  for await (const chunk of source as AsyncIterable<unknown>) {
    let bytes: Uint8Array;
    if (chunk instanceof Uint8Array) bytes = chunk;
    else if (typeof chunk === 'string') bytes = Buffer.from(chunk, 'utf8');
    else throw new InterfaceError(`copyToTable(): chunk ${i} of the source is ${describe(chunk)}; the source must yield Buffers or strings`);
    i++;
    if (bytes.length === 0) continue;
    const wait = sink.write(bytes);
    if (wait) await wait;
  }
}

/**
 * Load JavaScript records into a table with binary COPY, using the codecs of
 * the table's column types. Resolves with the command tag ("COPY 1000").
 */
export async function copyRecordsToTable(conn: Connection, table: string, options: CopyRecordsOptions): Promise<string> {
  checkOptions('copyRecordsToTable', options, RECORDS_KEYS);
  const records = options.records;
  if (records === null || typeof records !== 'object' || !(Symbol.iterator in records || Symbol.asyncIterator in records)) {
    throw new InterfaceError(`copyRecordsToTable(): "records" must be an array, an iterable or an async iterable of records, got ${describe(records)}`);
  }
  const qualified = qualifiedTable(table, options.schemaName);
  columnList(options.columns); // checks the list's shape before any round trip
  const columns = await resolveColumns(conn, qualified, options.columns);
  const binary = allBinary(columns);
  const names = columns.map((c) => c.name);
  const sql =
    `COPY ${qualified}${columnList(names)} FROM STDIN` +
    `${binary ? ' (FORMAT binary)' : ''}${whereSql(options.where)}`;
  const encoder = new RecordEncoder(columns, binary);
  return runCopyIn(conn, sql, (sink) => produceRecords(sink, encoder, records), options);
}

/** Export a table. With `output`, resolves with the command tag; without, returns an async iterator of chunks. */
export function copyFromTable(conn: Connection, table: string, options: CopyFromTableOptions): Promise<string> | AsyncIterableIterator<Buffer> {
  checkOptions('copyFromTable', options, FROM_TABLE_KEYS);
  const sql = `COPY ${qualifiedTable(table, options.schemaName)}${columnList(options.columns)} TO STDOUT${copyOptionsSql(copyOptions(options))}`;
  return options.output === undefined ? iterateCopyOut(conn, sql, options) : runCopyOut(conn, sql, options.output, options);
}

/** Export a query's rows. With `output`, resolves with the command tag; without, returns an async iterator of chunks. */
export function copyFromQuery(conn: Connection, query: string, options: CopyFromQueryOptions): Promise<string> | AsyncIterableIterator<Buffer> {
  checkOptions('copyFromQuery', options, FROM_QUERY_KEYS);
  if (typeof query !== 'string' || query.trim() === '') throw new InterfaceError('copyFromQuery(): the query must be non-empty SQL text');
  const args = options.args ?? [];
  if (!Array.isArray(args)) throw new InterfaceError(`copyFromQuery(): "args" must be an array, got ${describe(args)}`);
  const text = inlineArguments(query.replace(/[\s;]+$/, ''), args);
  const sql = `COPY (${text}) TO STDOUT${copyOptionsSql(copyOptions(options))}`;
  return options.output === undefined ? iterateCopyOut(conn, sql, options) : runCopyOut(conn, sql, options.output, options);
}
