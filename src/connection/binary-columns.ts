/**
 * Rows a first run received with every column in binary, made readable for
 * a statement that reads some columns as text (types with no binary codec
 * here: money, the reg* types, extension types). The server turns each such
 * value back into its text output, one Bind of `SELECT $1` per value, all in
 * one flight: exactly the text a later run gets by asking for text.
 */
import { InterfaceError, ProtocolError } from '../errors/client.js';
import { PostgresError } from '../errors/postgres-error.js';
import { decodeBackend, encodeBackend } from '../protocol/backend.js';
import { BackendCode } from '../protocol/messages.js';
import type { TransactionStatus } from '../protocol/messages.js';
import { writeExecute, writeParse, writeSync } from '../protocol/frontend.js';
import { Writer } from '../protocol/writer.js';
import { Oid, TYPE_NAME } from '../types/oids.js';
import type { ConnectionCore } from './core.js';
import { Settle } from './requests.js';
import type { PendingRequest } from './requests.js';
import { serverErrorAt, unexpectedMessage } from './server-reply.js';
import type { StatementInfo } from './statement.js';

/** A DataRow body split into its column values (null for NULL). */
function splitRow(body: Uint8Array): (Uint8Array | null)[] {
  const m = decodeBackend(BackendCode.DataRow, body, 0, body.length);
  if (m.type !== 'DataRow') throw new ProtocolError('expected a DataRow');
  return m.values;
}

/** The DataRow body for `cols`. */
function joinRow(cols: (Uint8Array | null)[]): Uint8Array {
  const w = new Writer(64);
  encodeBackend({ type: 'DataRow', values: cols }, w);
  // Past the message's type byte and length word.
  return w.toBytes().subarray(5);
}

/**
 * The type to read a value back as. anyarray (pg_stats) accepts no input,
 * but its binary form is an ordinary array's, whose header names the
 * element type: read it back as that element type's array when it is a
 * built-in one.
 */
function inputType(oid: number, value: Uint8Array): number {
  if (oid !== Oid.anyarray || value.length < 12) return oid;
  const elem = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(8);
  const name = TYPE_NAME[elem];
  const arrayOid = name === undefined ? undefined : (Oid as Readonly<Record<string, number>>)[`_${name}`];
  return arrayOid ?? oid;
}

/** Bind of the unnamed statement: one binary parameter, the result in text. */
function writeBindOne(w: Writer, value: Uint8Array): void {
  w.int8(0x42);
  const at = w.reserveLength();
  w.cstring('');
  w.cstring('');
  w.int16(1);
  w.int16(1);
  w.int16(1);
  w.int32(value.length);
  w.bytes(value);
  w.int16(1);
  w.int16(0);
  w.patchLength(at);
}

/** Collects the one text value each Execute of `SELECT $1` returns. */
class TextOutputRequest implements PendingRequest {
  statusAtReady?: TransactionStatus;
  readonly values: Uint8Array[] = [];
  private error: Error | undefined;

  constructor(
    readonly sql: string,
    private readonly settle: Settle<Uint8Array[]>,
  ) {}

  onMessage(type: number, buf: Uint8Array, start: number, end: number): void {
    switch (type) {
      case BackendCode.DataRow: {
        const cols = splitRow(buf.subarray(start, end));
        const v = cols[0];
        if (cols.length !== 1 || v === null || v === undefined) throw new ProtocolError('SELECT $1 returned a row that is not one non-null value');
        this.values.push(v.slice());
        return;
      }
      case BackendCode.ParseComplete:
      case BackendCode.BindComplete:
      case BackendCode.CommandComplete:
      case BackendCode.CloseComplete:
        return;
      case BackendCode.ErrorResponse:
        if (this.error === undefined) this.error = serverErrorAt(buf, start, end, this.sql);
        return;
      default:
        throw unexpectedMessage(type, 'a conversion to text');
    }
  }

  onReadyForQuery(): void {
    if (this.error !== undefined) this.settle.reject(this.error);
    else this.settle.resolve(this.values);
  }

  onConnectionLost(err: Error): void {
    this.settle.reject(err);
  }
}

/**
 * The DataRow bodies `raw` (every column binary) with the columns `info`
 * reads as text replaced by the server's text output of the same values.
 * @throws InterfaceError when the server cannot read such a value back in
 *   binary (a type with a binary output function but no binary input one).
 */
export async function withTextColumns(core: ConnectionCore, info: StatementInfo, raw: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const fields = info.fields ?? [];
  const textCols: number[] = [];
  info.resultFormats.forEach((f, j) => {
    if (f === 0) textCols.push(j);
  });
  const rows = raw.map(splitRow);
  // Values to convert, grouped by type so each type is parsed once.
  const byType = new Map<number, { row: number; col: number }[]>();
  rows.forEach((cols, r) => {
    for (const j of textCols) {
      const v = cols[j];
      if (v === null || v === undefined) continue;
      const oid = inputType(fields[j]!.dataTypeOid, v);
      let list = byType.get(oid);
      if (list === undefined) byType.set(oid, (list = []));
      list.push({ row: r, col: j });
    }
  });
  if (byType.size === 0) return raw.slice();
  const texts = await new Promise<Uint8Array[]>((resolve, reject) => {
    const req = new TextOutputRequest('SELECT $1', new Settle(resolve, reject));
    core.enqueue(req, (w) => {
      for (const [oid, list] of byType) {
        writeParse(w, '', 'SELECT $1', [oid]);
        for (const { row, col } of list) {
          writeBindOne(w, rows[row]![col]!);
          writeExecute(w, '', 0);
        }
      }
      writeSync(w);
    });
  }).catch((e: unknown) => {
    // A lost connection says so itself; only the server's refusal needs explaining.
    if (!(e instanceof PostgresError)) throw e;
    const names = [...new Set(textCols.map((j) => `"${fields[j]!.name}"`))].join(', ');
    throw new InterfaceError(
      `the first run of this statement received column ${names} in binary and the server could not turn it into text ` +
        `(${e instanceof Error ? e.message : String(e)}); the statement itself ran. Later runs ask for text, or set statementCacheSize: 0 for such statements`,
      { cause: e },
    );
  });
  let k = 0;
  for (const list of byType.values()) {
    for (const { row, col } of list) rows[row]![col] = texts[k++] ?? null;
  }
  if (k !== texts.length) throw new ProtocolError(`expected ${k} text values back, got ${texts.length}`);
  return rows.map(joinRow);
}
