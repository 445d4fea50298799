/**
 * copyRecordsToTable's data: records encoded with the table's column codecs
 * into binary COPY tuples, a chunk at a time, so a load of any size never
 * exists whole in memory. A column whose type has no binary codec switches
 * the whole load to text format, with each value in its text form.
 */
import { InterfaceError } from '../errors/client.js';
import { Writer } from '../protocol/writer.js';
import type { Codec } from '../types/codec.js';
import { TYPE_NAME } from '../types/oids.js';
import { toText } from '../types/text.js';
import type { Connection } from './connection.js';
import type { CopySink } from './copy-in.js';
import { quoteIdent } from './copy-sql.js';

/** Records may be plain arrays (column order) or objects keyed by column name. */
export type CopyRecord = readonly unknown[] | Readonly<Record<string, unknown>>;

/** A target column: its name, type OID and the codec that writes it. */
export interface CopyColumn {
  name: string;
  oid: number;
  codec: Codec | undefined;
}

/** Bytes per CopyData chunk handed to the sink. */
const CHUNK_BYTES = 64 * 1024;

/** PGCOPY\n\377\r\n\0, then flags and header-extension length (both 0). */
const BINARY_HEADER = new Uint8Array([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);

const COLUMNS_SQL =
  'SELECT a.attname AS name, CASE WHEN t.typtype = \'d\' THEN t.typbasetype ELSE a.atttypid END AS oid ' +
  'FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid ' +
  "WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' " +
  'ORDER BY a.attnum';

/**
 * The columns a load writes, with their types from the catalog: the given
 * ones in the given order, or every column the table takes input for.
 */
export async function resolveColumns(conn: Connection, qualified: string, columns: readonly string[] | undefined): Promise<CopyColumn[]> {
  const rows = await conn.fetch<{ name: string; oid: number }>(COLUMNS_SQL, qualified);
  const all = rows.map((r) => ({ name: r.name, oid: r.oid, codec: conn.registry.get(r.oid) }));
  if (columns === undefined) return all;
  const byName = new Map(all.map((c) => [c.name, c]));
  return columns.map((name) => {
    const c = byName.get(name);
    if (c === undefined) {
      throw new InterfaceError(
        `copyRecordsToTable(): table ${qualified} has no column ${quoteIdent(name)} that takes input ` +
          `(its columns: ${all.map((x) => x.name).join(', ') || 'none'})`,
      );
    }
    return c;
  });
}

/** Whether every column can be written in binary. */
export function allBinary(columns: readonly CopyColumn[]): boolean {
  return columns.every((c) => c.codec !== undefined && c.codec.format === 1);
}

/** Turns records into COPY data (binary, or text as the fallback), chunk by chunk. */
export class RecordEncoder {
  private readonly w = new Writer(CHUNK_BYTES + 1024);
  private index = 0;

  constructor(
    private readonly columns: readonly CopyColumn[],
    readonly binary: boolean,
  ) {
    if (binary) this.w.bytes(BINARY_HEADER);
  }

  /** Encode one record; returns true when a chunk is ready to send. */
  add(record: unknown): boolean {
    const i = this.index++;
    const values = this.valuesOf(record, i);
    const mark = this.w.length;
    try {
      if (this.binary) this.binaryTuple(values, i);
      else this.textLine(values, i);
    } catch (e) {
      this.w.length = mark;
      throw e;
    }
    return this.w.length >= CHUNK_BYTES;
  }

  /** The bytes encoded so far; the caller sends them before the next add(). */
  take(): Uint8Array {
    const out = this.w.buf.subarray(0, this.w.length);
    this.w.length = 0;
    return out;
  }

  /** The binary trailer (or nothing for text) after the last record. */
  finish(): Uint8Array {
    if (this.binary) this.w.int16(-1);
    return this.take();
  }

  /** Records written so far. */
  get count(): number {
    return this.index;
  }

  private valuesOf(record: unknown, i: number): readonly unknown[] {
    const n = this.columns.length;
    if (Array.isArray(record)) {
      if (record.length !== n) {
        throw new InterfaceError(`record ${i} has ${record.length} value(s) but ${n} column(s) are copied (${this.columns.map((c) => c.name).join(', ')})`);
      }
      return record;
    }
    if (record !== null && typeof record === 'object' && !ArrayBuffer.isView(record)) {
      const obj = record as Record<string, unknown>;
      return this.columns.map((c) => (Object.prototype.hasOwnProperty.call(obj, c.name) ? obj[c.name] : undefined));
    }
    throw new InterfaceError(`record ${i} must be an array of column values or an object keyed by column name, got ${typeof record}`);
  }

  private binaryTuple(values: readonly unknown[], i: number): void {
    const w = this.w;
    w.int16(values.length);
    for (let c = 0; c < values.length; c++) {
      const v = values[c];
      if (v === null) {
        w.int32(-1);
        continue;
      }
      const col = this.columns[c]!;
      if (v === undefined) throw undefinedError(i, col);
      const at = w.reserveLength();
      try {
        col.codec!.encode(v, w);
      } catch (e) {
        throw valueError(i, col, e);
      }
      w.patchLength(at, false);
    }
  }

  private textLine(values: readonly unknown[], i: number): void {
    const w = this.w;
    for (let c = 0; c < values.length; c++) {
      if (c > 0) w.int8(0x09);
      const v = values[c];
      if (v === null) {
        w.string('\\N');
        continue;
      }
      const col = this.columns[c]!;
      if (v === undefined) throw undefinedError(i, col);
      let text: string;
      try {
        text = col.codec !== undefined && col.codec.format === 0 ? codecText(col.codec, v) : toText(v);
      } catch (e) {
        throw valueError(i, col, e);
      }
      w.string(escapeText(text));
    }
    w.int8(0x0a);
  }
}

const textDecoder = new TextDecoder();

/** A text-format codec's output as a string. */
function codecText(codec: Codec, v: unknown): string {
  const w = new Writer(64);
  codec.encode(v, w);
  return textDecoder.decode(w.buf.subarray(0, w.length));
}

/** COPY text format: backslash, newline, carriage return and tab are escaped. */
function escapeText(s: string): string {
  return /[\\\n\r\t]/.test(s) ? s.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t')) : s;
}

function typeName(col: CopyColumn): string {
  return col.codec?.name ?? TYPE_NAME[col.oid] ?? `OID ${col.oid}`;
}

function undefinedError(i: number, col: CopyColumn): InterfaceError {
  return new InterfaceError(`record ${i}, column ${quoteIdent(col.name)} (${typeName(col)}): the value is undefined; use null for NULL`);
}

function valueError(i: number, col: CopyColumn, e: unknown): InterfaceError {
  const msg = e instanceof Error ? e.message : String(e);
  return new InterfaceError(`record ${i}, column ${quoteIdent(col.name)} (${typeName(col)}): ${msg}`, { cause: e });
}

/** Any iterable or async iterable of records. */
export type RecordSource = Iterable<unknown> | AsyncIterable<unknown>;

/** The producer of a records load: encode, send a chunk whenever one fills, wait when the socket is behind. */
export async function produceRecords(sink: CopySink, encoder: RecordEncoder, records: RecordSource): Promise<void> {
  if (Symbol.iterator in records && !(Symbol.asyncIterator in records)) {
    // A plain array or generator: no await per record, only when a chunk goes out.
    for (const r of records) {
      if (encoder.add(r)) {
        const wait = sink.write(encoder.take());
        if (wait) await wait;
      }
    }
  } else {
    for await (const r of records as AsyncIterable<unknown>) {
      if (encoder.add(r)) {
        const wait = sink.write(encoder.take());
        if (wait) await wait;
      }
    }
  }
  const last = encoder.finish();
  if (last.length > 0) {
    const wait = sink.write(last);
    if (wait) await wait;
  }
}
