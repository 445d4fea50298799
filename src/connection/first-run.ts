/**
 * The first run of a statement in one round trip: Parse, Describe
 * (Statement), Bind and Execute go out together under one Sync, before the
 * server has said what types the parameters and columns have.
 *
 * That only works for parameter values whose text means the same thing to
 * whichever type the server infers as their binary encoding will mean on
 * every later run (see firstRunTexts), and results requested in binary for
 * every column. When the server refuses the Bind (a value its inferred type
 * does not take, a column type with no binary output), nothing has run: the
 * statement is described by then, so the call goes again the usual way. That
 * retry is only safe with no transaction block open, which is why the
 * connection takes this path only when it is idle outside one.
 */
import { ProtocolError } from '../errors/client.js';
import { decodeBackend } from '../protocol/backend.js';
import { BackendCode } from '../protocol/messages.js';
import type { TransactionStatus } from '../protocol/messages.js';
import { writeDescribe, writeExecute, writeParse, writeSync } from '../protocol/frontend.js';
import type { Writer } from '../protocol/writer.js';
import { collectRow, Settle, TX_STATUS_AT_ERROR } from './requests.js';
import type { Described, PendingRequest, RowMode } from './requests.js';
import { commandTag, serverErrorAt, unexpectedMessage } from './server-reply.js';
import type { StatementInfo } from './statement.js';

/**
 * Whether a string's text is read the same by every input function as the
 * string is sent later. Later runs send a string as text for every type but
 * json and jsonb, which get it JSON-encoded ('abc' becomes "abc"); so a
 * string that could itself be JSON text ('42', '{"a":1}', 'true') would mean
 * something else on its first run. Any other string, sent to a json
 * parameter, is invalid JSON: the Bind fails and the call is retried.
 */
function plainText(s: string): boolean {
  if (s.includes('\0')) return false;
  const t = s.trim();
  if (t === 'true' || t === 'false' || t === 'null') return false;
  const c = t.charCodeAt(0);
  // { [ " - and digits: how every other JSON text starts.
  return !(c === 0x7b || c === 0x5b || c === 0x22 || c === 0x2d || (c >= 0x30 && c <= 0x39));
}

/**
 * The text of each parameter for a first run, or undefined when some value
 * must wait for the described types. Taken: null; strings that are not JSON
 * text; and, when `primitives` (no setTypeCodec() codecs on the
 * connection), safe integers and booleans, whose text every type reads as
 * the binary codecs (or their text fallback) write them. Not taken: other
 * numbers (a float4 parameter would round the decimal text and the double
 * differently), -0, bigints, Dates, buffers, arrays and objects.
 */
export function firstRunTexts(args: readonly unknown[], primitives: boolean): (string | null)[] | undefined {
  if (args.length > 0xffff) return undefined;
  const out = new Array<string | null>(args.length);
  for (let i = 0; i < args.length; i++) {
    const v = args[i];
    if (v === null) out[i] = null;
    else if (typeof v === 'string') {
      if (!plainText(v)) return undefined;
      out[i] = v;
    } else if (!primitives) return undefined;
    else if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || Object.is(v, -0)) return undefined;
      out[i] = String(v);
    } else if (typeof v === 'boolean') out[i] = v ? 't' : 'f';
    else return undefined;
  }
  return out;
}

/** Parse + Describe(Statement) + Bind (text parameters, binary results) + Execute + Sync. */
export function writeFirstRun(w: Writer, name: string, sql: string, texts: readonly (string | null)[], maxRows: number): void {
  writeParse(w, name, sql, []);
  writeDescribe(w, 'S', name);
  w.int8(0x42);
  const lenAt = w.reserveLength();
  w.cstring('');
  w.cstring(name);
  // No parameter format codes: every parameter is text.
  w.int16(0);
  w.int16(texts.length);
  for (const t of texts) {
    if (t === null) {
      w.int32(-1);
    } else {
      const at = w.reserveLength();
      w.string(t);
      w.patchLength(at, false);
    }
  }
  // One result format code: binary for every column.
  w.int16(1);
  w.int16(1);
  w.patchLength(lenAt);
  writeExecute(w, '', maxRows);
  writeSync(w);
}

/** Where in the flight an error came from. */
export type FirstRunPhase = 'parse' | 'bind' | 'execute';

/** Everything one first-run flight brought back; server errors are data here, not rejections. */
export interface FirstRunOutcome {
  /** The statement's parameter and column types; undefined when Parse failed. */
  described: Described | undefined;
  /** The StatementInfo the rows were decoded with as they came, when every column could be. */
  info: StatementInfo | undefined;
  rows: unknown[];
  /** DataRow bodies kept for later decoding, when `info` is undefined. */
  raw: Uint8Array[];
  /** DataRows received, decoded or kept or not. */
  rowsSeen: number;
  tag: string;
  error: Error | undefined;
  phase: FirstRunPhase;
}

/** What the request asks of its connection as the answer arrives. */
export interface FirstRunHooks {
  /**
   * The description arrived: a StatementInfo to decode rows with now, or
   * undefined to keep the rows raw (a column needs type lookup or text).
   */
  described(d: Described): StatementInfo | undefined;
  /** BindComplete arrived: the call is past the point where it could be retried. */
  bound(): void;
}

/** The pending request of one first-run flight. */
export class FirstRunRequest implements PendingRequest {
  statusAtReady?: TransactionStatus;
  serverDone = false;
  private readonly out: FirstRunOutcome = { described: undefined, info: undefined, rows: [], raw: [], rowsSeen: 0, tag: '', error: undefined, phase: 'parse' };
  private parameterOids: number[] = [];

  constructor(
    readonly sql: string,
    private readonly mode: RowMode,
    private readonly settle: Settle<FirstRunOutcome>,
    private readonly hooks: FirstRunHooks,
  ) {}

  onMessage(type: number, buf: Uint8Array, start: number, end: number): void {
    const o = this.out;
    switch (type) {
      case BackendCode.DataRow:
        if (o.phase !== 'execute') throw unexpectedMessage(type, 'a query before BindComplete');
        o.rowsSeen++;
        if (o.error !== undefined) return;
        if (o.info === undefined) {
          if (this.mode !== 'none' && (o.raw.length === 0 || !this.mode.startsWith('first'))) o.raw.push(buf.slice(start, end));
          return;
        }
        try {
          collectRow(o.info, this.mode, o.rows, buf, start, end);
        } catch (e) {
          if (e instanceof ProtocolError) throw e;
          o.error = e instanceof Error ? e : new Error(String(e));
        }
        return;
      case BackendCode.ParseComplete:
        o.phase = 'bind';
        return;
      case BackendCode.ParameterDescription: {
        const m = decodeBackend(type, buf, start, end);
        if (m.type === 'ParameterDescription') this.parameterOids = m.parameterOids;
        return;
      }
      case BackendCode.RowDescription:
      case BackendCode.NoData: {
        const m = decodeBackend(type, buf, start, end);
        o.described = { parameterOids: this.parameterOids, fields: m.type === 'RowDescription' ? m.fields : null };
        o.info = this.hooks.described(o.described);
        return;
      }
      case BackendCode.BindComplete:
        o.phase = 'execute';
        this.hooks.bound();
        return;
      case BackendCode.CommandComplete:
        o.tag = commandTag(buf, start, end);
        this.serverDone = true;
        return;
      case BackendCode.PortalSuspended:
      case BackendCode.EmptyQueryResponse:
        this.serverDone = true;
        return;
      // An evicted statement's Close rides ahead of this flight.
      case BackendCode.CloseComplete:
        return;
      case BackendCode.ErrorResponse:
        this.serverDone = true;
        if (o.error === undefined) o.error = serverErrorAt(buf, start, end, this.sql);
        return;
      default:
        throw unexpectedMessage(type, 'a query');
    }
  }

  onReadyForQuery(): void {
    if (this.out.error !== undefined) Object.defineProperty(this.out.error, TX_STATUS_AT_ERROR, { value: this.statusAtReady, enumerable: false });
    this.settle.resolve(this.out);
  }

  onConnectionLost(err: Error): void {
    this.settle.reject(err);
  }
}
