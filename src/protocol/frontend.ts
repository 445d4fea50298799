/**
 * Codecs for the messages the client sends: an encoder for every message,
 * small allocation-free writers for the ones on the hot path, and decoders so
 * a scripted fake server can read what the client wrote.
 */
import { InterfaceError, ProtocolError } from '../errors/client.js';
import { CANCEL_REQUEST_CODE, FrontendCode, GSSENC_REQUEST_CODE, SSL_REQUEST_CODE } from './messages.js';
import type { FormatCode, FrontendMessage } from './messages.js';
import { Reader } from './reader.js';
import type { Writer } from './writer.js';

/** Most entries an Int16 count can announce (PostgreSQL reads counts as unsigned). */
export const MAX_COUNT = 0xffff;

/** What a 'p' message holds: the type byte alone cannot tell, the authentication exchange does. */
export type PasswordContext = 'password' | 'sasl-initial' | 'sasl' | 'gss';

// ------------------------------------------------------------ shared checks

/**
 * A type byte as a reader would want it in an error: `'D' (0x44)`.
 */
export function typeLabel(type: number): string {
  const hex = '0x' + type.toString(16).padStart(2, '0');
  return type >= 0x20 && type < 0x7f ? `message '${String.fromCharCode(type)}' (${hex})` : `message ${hex}`;
}

/**
 * Reject a NUL character in a String field: the server would end the field
 * there and read the rest as the next field.
 * @throws InterfaceError naming the field.
 */
export function checkString(s: string, what: string): void {
  if (s.includes('\0')) {
    throw new InterfaceError(
      `${what} contains a NUL character (U+0000), which the protocol cannot carry in a String; remove it (or send the text as a bound parameter)`,
    );
  }
}

/**
 * Reject a list longer than an Int16 count can announce.
 * @throws InterfaceError naming the list.
 */
export function checkCount(n: number, what: string): void {
  if (n > MAX_COUNT) {
    throw new InterfaceError(`${what}: ${n} entries, but the protocol allows at most ${MAX_COUNT}; split the work into smaller pieces`);
  }
}

/**
 * A format code read from the wire, checked to be 0 (text) or 1 (binary).
 * @throws ProtocolError for any other value.
 */
export function readFormat(v: number, what: string): FormatCode {
  if (v !== 0 && v !== 1) throw new ProtocolError(`${what} is ${v}; a format code is 0 (text) or 1 (binary)`);
  return v;
}

function checkTarget(target: string, what: string): void {
  if (target !== 'S' && target !== 'P') {
    throw new InterfaceError(`${what} target must be 'S' (prepared statement) or 'P' (portal), got ${JSON.stringify(target)}`);
  }
}

function checkInt32(v: number, min: number, what: string): void {
  if (!Number.isInteger(v) || v < min || v > 0x7fffffff) {
    throw new InterfaceError(`${what} must be an integer from ${min} to 2147483647, got ${String(v)}`);
  }
}

// ------------------------------------------------------- hot-path writers

function writeEmpty(w: Writer, type: number): void {
  w.ensure(5);
  const b = w.buf;
  const p = w.length;
  b[p] = type;
  b[p + 1] = 0;
  b[p + 2] = 0;
  b[p + 3] = 0;
  b[p + 4] = 4;
  w.length = p + 5;
}

/** Append a Sync: end of an extended-query pipeline step. */
export function writeSync(w: Writer): void {
  writeEmpty(w, FrontendCode.Sync);
}

/** Append a Flush: ask the server to send what it has without a Sync. */
export function writeFlush(w: Writer): void {
  writeEmpty(w, FrontendCode.Flush);
}

/** Append a Terminate: the polite end of a session. */
export function writeTerminate(w: Writer): void {
  writeEmpty(w, FrontendCode.Terminate);
}

/**
 * Append an Execute of `portal` ('' is the unnamed portal).
 * @param maxRows rows to return before PortalSuspended; 0 means all.
 */
export function writeExecute(w: Writer, portal: string, maxRows: number): void {
  checkString(portal, 'Execute portal name');
  checkInt32(maxRows, 0, 'Execute maxRows');
  w.startMessage(FrontendCode.Execute).cstring(portal).int32(maxRows).endMessage();
}

/** Append a Describe of a prepared statement ('S') or portal ('P'). */
export function writeDescribe(w: Writer, target: 'S' | 'P', name: string): void {
  checkTarget(target, 'Describe');
  checkString(name, 'Describe name');
  w.startMessage(FrontendCode.Describe).int8(target.charCodeAt(0)).cstring(name).endMessage();
}

/** Append a Close of a prepared statement ('S') or portal ('P'). */
export function writeClose(w: Writer, target: 'S' | 'P', name: string): void {
  checkTarget(target, 'Close');
  checkString(name, 'Close name');
  w.startMessage(FrontendCode.Close).int8(target.charCodeAt(0)).cstring(name).endMessage();
}

/**
 * Append a Parse of `query` as statement `name` ('' is the unnamed statement).
 * @param oids parameter type OIDs; 0 (or fewer entries than parameters) lets the server infer.
 */
export function writeParse(w: Writer, name: string, query: string, oids: readonly number[]): void {
  checkString(name, 'Parse statement name');
  checkString(query, 'Parse query');
  checkCount(oids.length, 'Parse parameter types');
  w.startMessage(FrontendCode.Parse).cstring(name).cstring(query).uint16(oids.length);
  for (let i = 0; i < oids.length; i++) w.uint32(oids[i]!);
  w.endMessage();
}

/** Append a simple-protocol Query. */
export function writeQuery(w: Writer, sql: string): void {
  checkString(sql, 'Query text');
  w.startMessage(FrontendCode.Query).cstring(sql).endMessage();
}

// ---------------------------------------------------------------- encoder

/**
 * Append any frontend message to `w`. Every field is checked before the first
 * byte is written, so a rejected message leaves the writer as it was.
 * @throws InterfaceError for a NUL character in a String field, a list too
 * long for its Int16 count, or a value out of its field's range.
 */
export function encodeFrontend(msg: FrontendMessage, w: Writer): void {
  switch (msg.type) {
    case 'Sync':
      return writeSync(w);
    case 'Flush':
      return writeFlush(w);
    case 'Terminate':
      return writeTerminate(w);
    case 'Execute':
      return writeExecute(w, msg.portal, msg.maxRows);
    case 'Describe':
      return writeDescribe(w, msg.target, msg.name);
    case 'Close':
      return writeClose(w, msg.target, msg.name);
    case 'Parse':
      return writeParse(w, msg.name, msg.query, msg.parameterOids);
    case 'Query':
      return writeQuery(w, msg.query);
    case 'CopyDone':
      return writeEmpty(w, FrontendCode.CopyDone);
    case 'CopyData':
      w.startMessage(FrontendCode.CopyData).bytes(msg.data).endMessage();
      return;
    case 'CopyFail':
      checkString(msg.message, 'CopyFail message');
      w.startMessage(FrontendCode.CopyFail).cstring(msg.message).endMessage();
      return;
    case 'Bind':
      return encodeBind(msg, w);
    case 'FunctionCall':
      return encodeFunctionCall(msg, w);
    case 'PasswordMessage':
      checkString(msg.password, 'password');
      w.startMessage(FrontendCode.Password).cstring(msg.password).endMessage();
      return;
    case 'SASLInitialResponse':
      checkString(msg.mechanism, 'SASL mechanism name');
      w.startMessage(FrontendCode.Password).cstring(msg.mechanism);
      if (msg.data === null) w.int32(-1);
      else w.int32(msg.data.length).bytes(msg.data);
      w.endMessage();
      return;
    case 'SASLResponse':
    case 'GSSResponse':
      w.startMessage(FrontendCode.Password).bytes(msg.data).endMessage();
      return;
    case 'StartupMessage':
      return encodeStartup(msg, w);
    case 'SSLRequest':
      w.startUntyped().int32(SSL_REQUEST_CODE).endMessage();
      return;
    case 'GSSENCRequest':
      w.startUntyped().int32(GSSENC_REQUEST_CODE).endMessage();
      return;
    case 'CancelRequest':
      if (msg.secretKey.length < 4 || msg.secretKey.length > 256) {
        throw new InterfaceError(`CancelRequest secret key must be 4 to 256 bytes, got ${msg.secretKey.length}`);
      }
      w.startUntyped().int32(CANCEL_REQUEST_CODE).int32(msg.processId).bytes(msg.secretKey).endMessage();
      return;
  }
}

type BindMessage = Extract<FrontendMessage, { type: 'Bind' }>;
type FunctionCallMessage = Extract<FrontendMessage, { type: 'FunctionCall' }>;
type StartupMessage = Extract<FrontendMessage, { type: 'StartupMessage' }>;

function encodeBind(msg: BindMessage, w: Writer): void {
  checkString(msg.portal, 'Bind portal name');
  checkString(msg.statement, 'Bind statement name');
  checkCount(msg.parameterFormats.length, 'Bind parameter formats');
  checkCount(msg.parameters.length, 'Bind parameters');
  checkCount(msg.resultFormats.length, 'Bind result formats');
  w.startMessage(FrontendCode.Bind).cstring(msg.portal).cstring(msg.statement);
  writeFormats(w, msg.parameterFormats);
  writeValues(w, msg.parameters);
  writeFormats(w, msg.resultFormats);
  w.endMessage();
}

function encodeFunctionCall(msg: FunctionCallMessage, w: Writer): void {
  checkCount(msg.argumentFormats.length, 'FunctionCall argument formats');
  checkCount(msg.arguments.length, 'FunctionCall arguments');
  w.startMessage(FrontendCode.FunctionCall).uint32(msg.functionOid);
  writeFormats(w, msg.argumentFormats);
  writeValues(w, msg.arguments);
  w.int16(msg.resultFormat).endMessage();
}

function encodeStartup(msg: StartupMessage, w: Writer): void {
  const entries = Object.entries(msg.parameters);
  for (const [name, value] of entries) {
    // An empty name would read as the list's terminator.
    if (name === '') throw new InterfaceError('StartupMessage: a parameter name must not be empty');
    checkString(name, 'StartupMessage parameter name');
    checkString(value, `StartupMessage parameter ${name}`);
  }
  w.startUntyped().int32(msg.protocolVersion);
  for (const [name, value] of entries) w.cstring(name).cstring(value);
  w.int8(0).endMessage();
}

function writeFormats(w: Writer, formats: readonly FormatCode[]): void {
  w.uint16(formats.length);
  for (let i = 0; i < formats.length; i++) w.int16(formats[i]!);
}

function writeValues(w: Writer, values: readonly (Uint8Array | null)[]): void {
  w.uint16(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === null) w.int32(-1);
    else w.int32(v.length).bytes(v);
  }
}

// ---------------------------------------------------------------- decoders

/**
 * Decode one typed frontend message body `buf[start, end)`, as a fake server
 * reads it. A 'p' message is read according to `context` (default 'password').
 * Byte fields are views into `buf`.
 * @throws ProtocolError for an unknown type byte, a truncated or invalid field, or trailing bytes.
 */
export function decodeFrontend(
  type: number,
  buf: Uint8Array,
  start: number,
  end: number,
  context: PasswordContext = 'password',
): FrontendMessage {
  const r = new Reader(buf, start, end);
  try {
    const msg = decodeBody(type, r, context);
    r.expectEnd('message');
    return msg;
  } catch (err) {
    if (err instanceof ProtocolError) {
      throw new ProtocolError(`frontend ${typeLabel(type)}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

function decodeBody(type: number, r: Reader, context: PasswordContext): FrontendMessage {
  switch (type) {
    case FrontendCode.Bind: {
      const portal = r.cstring();
      const statement = r.cstring();
      const parameterFormats = readFormats(r, 'parameter');
      const parameters = readValues(r, 'parameter');
      const resultFormats = readFormats(r, 'result');
      return { type: 'Bind', portal, statement, parameterFormats, parameters, resultFormats };
    }
    case FrontendCode.Execute: {
      const portal = r.cstring();
      return { type: 'Execute', portal, maxRows: r.int32() };
    }
    case FrontendCode.Sync:
      return { type: 'Sync' };
    case FrontendCode.Flush:
      return { type: 'Flush' };
    case FrontendCode.Terminate:
      return { type: 'Terminate' };
    case FrontendCode.CopyDone:
      return { type: 'CopyDone' };
    case FrontendCode.CopyData:
      return { type: 'CopyData', data: r.rest() };
    case FrontendCode.CopyFail:
      return { type: 'CopyFail', message: r.cstring() };
    case FrontendCode.Parse: {
      const name = r.cstring();
      const query = r.cstring();
      const count = r.uint16();
      const parameterOids = new Array<number>(count);
      for (let i = 0; i < count; i++) parameterOids[i] = r.uint32();
      return { type: 'Parse', name, query, parameterOids };
    }
    case FrontendCode.Describe:
    case FrontendCode.Close: {
      const t = r.uint8();
      if (t !== 0x53 && t !== 0x50) throw new ProtocolError(`target byte 0x${t.toString(16)}; expected 'S' or 'P'`);
      const target = t === 0x53 ? 'S' : 'P';
      const name = r.cstring();
      return type === FrontendCode.Describe ? { type: 'Describe', target, name } : { type: 'Close', target, name };
    }
    case FrontendCode.Query:
      return { type: 'Query', query: r.cstring() };
    case FrontendCode.FunctionCall: {
      const functionOid = r.uint32();
      const argumentFormats = readFormats(r, 'argument');
      const args = readValues(r, 'argument');
      const resultFormat = readFormat(r.int16(), 'result format');
      return { type: 'FunctionCall', functionOid, argumentFormats, arguments: args, resultFormat };
    }
    case FrontendCode.Password:
      switch (context) {
        case 'password':
          return { type: 'PasswordMessage', password: r.cstring() };
        case 'sasl-initial': {
          const mechanism = r.cstring();
          const len = r.int32();
          if (len < -1) throw new ProtocolError(`SASLInitialResponse declares data length ${len}; only -1 (none) or 0 or more is valid`);
          return { type: 'SASLInitialResponse', mechanism, data: len === -1 ? null : r.bytes(len) };
        }
        case 'sasl':
          return { type: 'SASLResponse', data: r.rest() };
        case 'gss':
          return { type: 'GSSResponse', data: r.rest() };
      }
      throw new ProtocolError(`unknown password message context ${String(context)}`);
    default:
      throw new ProtocolError('unknown message type; the client sent something outside the protocol');
  }
}

function readFormats(r: Reader, what: string): FormatCode[] {
  const count = r.uint16();
  const formats = new Array<FormatCode>(count);
  for (let i = 0; i < count; i++) formats[i] = readFormat(r.int16(), `${what} format ${i}`);
  return formats;
}

function readValues(r: Reader, what: string): (Uint8Array | null)[] {
  const count = r.uint16();
  const values = new Array<Uint8Array | null>(count);
  for (let i = 0; i < count; i++) {
    const len = r.int32();
    if (len === -1) values[i] = null;
    else if (len < 0) throw new ProtocolError(`${what} ${i} declares length ${len}; only -1 (NULL) or 0 or more is valid`);
    else values[i] = r.bytes(len);
  }
  return values;
}

/**
 * Decode the body (after the length word) of an untyped message: the first
 * message a server reads on a connection.
 * @throws ProtocolError for an unknown request code or a malformed body.
 */
export function decodeUntypedFrontend(buf: Uint8Array, start: number, end: number): FrontendMessage {
  const r = new Reader(buf, start, end);
  try {
    const msg = decodeUntypedBody(r);
    r.expectEnd('message');
    return msg;
  } catch (err) {
    if (err instanceof ProtocolError) {
      throw new ProtocolError(`untyped frontend message: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

function decodeUntypedBody(r: Reader): FrontendMessage {
  const code = r.int32();
  switch (code) {
    case SSL_REQUEST_CODE:
      return { type: 'SSLRequest' };
    case GSSENC_REQUEST_CODE:
      return { type: 'GSSENCRequest' };
    case CANCEL_REQUEST_CODE: {
      const processId = r.int32();
      const secretKey = r.rest();
      if (secretKey.length < 4 || secretKey.length > 256) {
        throw new ProtocolError(`CancelRequest carries a ${secretKey.length}-byte secret key; a key is 4 to 256 bytes`);
      }
      return { type: 'CancelRequest', processId, secretKey };
    }
  }
  // Request codes live under the reserved major version 1234.
  if (code >>> 16 === 1234) throw new ProtocolError(`unknown request code ${code}`);
  const parameters: Record<string, string> = {};
  for (;;) {
    const name = r.cstring();
    if (name === '') break;
    const value = r.cstring();
    // A plain assignment to "__proto__" would change the prototype instead of adding a key.
    Object.defineProperty(parameters, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return { type: 'StartupMessage', protocolVersion: code, parameters };
}
