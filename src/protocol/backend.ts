/**
 * Codecs for the messages the server sends. The client decodes them; the
 * encoder lets tests script a fake server with the same definitions, so the
 * two directions cannot drift apart.
 */
import { InterfaceError, ProtocolError } from '../errors/client.js';
import { BackendCode } from './messages.js';
import type {
  AuthenticationMessage,
  BackendMessage,
  FieldDescription,
  FormatCode,
  NoticeFields,
  TransactionStatus,
} from './messages.js';
import { Reader } from './reader.js';
import type { Writer } from './writer.js';
import { checkCount, checkString, readFormat, typeLabel } from './frontend.js';

/** Secret key sizes a BackendKeyData may carry: 4 bytes in protocol 3.0, up to 256 in 3.2. */
export const MIN_SECRET_KEY_LENGTH = 4;
/** See MIN_SECRET_KEY_LENGTH. */
export const MAX_SECRET_KEY_LENGTH = 256;

/** Authentication request codes: the Int32 after an 'R' type byte. */
export const AuthCode = {
  Ok: 0,
  KerberosV5: 2,
  CleartextPassword: 3,
  MD5Password: 5,
  GSS: 7,
  GSSContinue: 8,
  SSPI: 9,
  SASL: 10,
  SASLContinue: 11,
  SASLFinal: 12,
} as const;

/**
 * Decode one backend message body `buf[start, end)` (as a Framer frame gives
 * it). Byte fields (DataRow values, CopyData, SASL data) are views into
 * `buf`, not copies.
 * @throws ProtocolError for an unknown type byte, a field that runs past the
 * end, an invalid value, or bytes left over after the last field.
 */
export function decodeBackend(type: number, buf: Uint8Array, start: number, end: number): BackendMessage {
  const r = new Reader(buf, start, end);
  let msg: BackendMessage;
  try {
    msg = decodeBody(type, r);
    r.expectEnd('message');
  } catch (err) {
    // Name the message: the Reader only knows it ran out of bytes.
    if (err instanceof ProtocolError) {
      throw new ProtocolError(`backend ${typeLabel(type)}: ${err.message}`, { cause: err });
    }
    throw err;
  }
  return msg;
}

function decodeBody(type: number, r: Reader): BackendMessage {
  switch (type) {
    case BackendCode.DataRow: {
      const count = r.uint16();
      const values = new Array<Uint8Array | null>(count);
      for (let i = 0; i < count; i++) {
        const len = r.int32();
        if (len === -1) {
          values[i] = null;
        } else if (len < 0) {
          throw new ProtocolError(`DataRow column ${i} declares length ${len}; only -1 (NULL) or a length of 0 or more is valid`);
        } else {
          values[i] = r.bytes(len);
        }
      }
      return { type: 'DataRow', values };
    }
    case BackendCode.CommandComplete:
      return { type: 'CommandComplete', tag: r.cstring() };
    case BackendCode.ReadyForQuery: {
      const s = r.uint8();
      if (s !== 0x49 && s !== 0x54 && s !== 0x45) {
        throw new ProtocolError(`ReadyForQuery carries transaction status byte 0x${s.toString(16)}; expected 'I', 'T' or 'E'`);
      }
      return { type: 'ReadyForQuery', status: String.fromCharCode(s) as TransactionStatus };
    }
    case BackendCode.RowDescription:
      return { type: 'RowDescription', fields: readFields(r) };
    case BackendCode.ParseComplete:
      return { type: 'ParseComplete' };
    case BackendCode.BindComplete:
      return { type: 'BindComplete' };
    case BackendCode.CloseComplete:
      return { type: 'CloseComplete' };
    case BackendCode.NoData:
      return { type: 'NoData' };
    case BackendCode.PortalSuspended:
      return { type: 'PortalSuspended' };
    case BackendCode.EmptyQueryResponse:
      return { type: 'EmptyQueryResponse' };
    case BackendCode.CopyDone:
      return { type: 'CopyDone' };
    case BackendCode.CopyData:
      return { type: 'CopyData', data: r.rest() };
    case BackendCode.ParameterDescription: {
      const count = r.uint16();
      const parameterOids = new Array<number>(count);
      for (let i = 0; i < count; i++) parameterOids[i] = r.uint32();
      return { type: 'ParameterDescription', parameterOids };
    }
    case BackendCode.ParameterStatus: {
      const name = r.cstring();
      return { type: 'ParameterStatus', name, value: r.cstring() };
    }
    case BackendCode.ErrorResponse:
      return { type: 'ErrorResponse', fields: readNoticeFields(r) };
    case BackendCode.NoticeResponse:
      return { type: 'NoticeResponse', fields: readNoticeFields(r) };
    case BackendCode.NotificationResponse: {
      const processId = r.int32();
      const channel = r.cstring();
      return { type: 'NotificationResponse', processId, channel, payload: r.cstring() };
    }
    case BackendCode.BackendKeyData: {
      const processId = r.int32();
      const secretKey = r.rest();
      if (secretKey.length < MIN_SECRET_KEY_LENGTH || secretKey.length > MAX_SECRET_KEY_LENGTH) {
        throw new ProtocolError(
          `BackendKeyData carries a ${secretKey.length}-byte secret key; a key is ${MIN_SECRET_KEY_LENGTH} to ${MAX_SECRET_KEY_LENGTH} bytes`,
        );
      }
      return { type: 'BackendKeyData', processId, secretKey };
    }
    case BackendCode.Authentication:
      return readAuthentication(r);
    case BackendCode.CopyInResponse:
    case BackendCode.CopyOutResponse:
    case BackendCode.CopyBothResponse: {
      const format = readFormat(r.uint8(), 'overall format');
      const count = r.uint16();
      const columnFormats = new Array<FormatCode>(count);
      for (let i = 0; i < count; i++) columnFormats[i] = readFormat(r.int16(), `column ${i} format`);
      const name =
        type === BackendCode.CopyInResponse ? 'CopyInResponse' : type === BackendCode.CopyOutResponse ? 'CopyOutResponse' : 'CopyBothResponse';
      return { type: name, format, columnFormats };
    }
    case BackendCode.FunctionCallResponse: {
      const len = r.int32();
      if (len < -1) throw new ProtocolError(`FunctionCallResponse declares result length ${len}; only -1 (NULL) or 0 or more is valid`);
      return { type: 'FunctionCallResponse', result: len === -1 ? null : r.bytes(len) };
    }
    case BackendCode.NegotiateProtocolVersion: {
      const newestMinorVersion = r.int32();
      const count = r.int32();
      // Each option name takes at least its NUL byte; a larger count is a lie.
      if (count < 0 || count > r.remaining()) {
        throw new ProtocolError(`NegotiateProtocolVersion declares ${count} unrecognized options in ${r.remaining()} bytes`);
      }
      const unrecognizedOptions: string[] = [];
      for (let i = 0; i < count; i++) unrecognizedOptions.push(r.cstring());
      return { type: 'NegotiateProtocolVersion', newestMinorVersion, unrecognizedOptions };
    }
    default:
      throw new ProtocolError('unknown message type; the server speaks a protocol this client does not understand');
  }
}

function readFields(r: Reader): FieldDescription[] {
  const count = r.uint16();
  const fields = new Array<FieldDescription>(count);
  for (let i = 0; i < count; i++) {
    const name = r.cstring();
    const tableOid = r.uint32();
    const columnAttributeNumber = r.int16();
    const dataTypeOid = r.uint32();
    const dataTypeSize = r.int16();
    const typeModifier = r.int32();
    const format = readFormat(r.int16(), `column ${i} format`);
    fields[i] = { name, tableOid, columnAttributeNumber, dataTypeOid, dataTypeSize, typeModifier, format };
  }
  return fields;
}

function readNoticeFields(r: Reader): NoticeFields {
  const fields: NoticeFields = {};
  for (;;) {
    const code = r.uint8();
    if (code === 0) return fields;
    fields[String.fromCharCode(code)] = r.cstring();
  }
}

function readAuthentication(r: Reader): BackendMessage {
  const code = r.int32();
  switch (code) {
    case AuthCode.Ok:
      return { type: 'AuthenticationOk' };
    case AuthCode.KerberosV5:
      return { type: 'AuthenticationKerberosV5' };
    case AuthCode.CleartextPassword:
      return { type: 'AuthenticationCleartextPassword' };
    case AuthCode.MD5Password:
      return { type: 'AuthenticationMD5Password', salt: r.bytes(4) };
    case AuthCode.GSS:
      return { type: 'AuthenticationGSS' };
    case AuthCode.GSSContinue:
      return { type: 'AuthenticationGSSContinue', data: r.rest() };
    case AuthCode.SSPI:
      return { type: 'AuthenticationSSPI' };
    case AuthCode.SASL: {
      const mechanisms: string[] = [];
      for (;;) {
        const m = r.cstring();
        if (m === '') return { type: 'AuthenticationSASL', mechanisms };
        mechanisms.push(m);
      }
    }
    case AuthCode.SASLContinue:
      return { type: 'AuthenticationSASLContinue', data: r.rest() };
    case AuthCode.SASLFinal:
      return { type: 'AuthenticationSASLFinal', data: r.rest() };
    default:
      throw new ProtocolError(`unknown authentication request code ${code}; the server asks for a method this client does not support`);
  }
}

/**
 * Append one backend message to `w`, as a server would send it. Used by
 * tests and fake servers; a malformed message is better written byte by byte.
 * @throws InterfaceError when a String field holds a NUL byte, a list is too
 * long for its Int16 count, or a field cannot be represented on the wire.
 */
export function encodeBackend(msg: BackendMessage, w: Writer): void {
  validateBackend(msg);
  w.startMessage(backendCodeOf(msg));
  try {
    writeBody(msg, w);
    w.endMessage();
  } catch (err) {
    w.abortMessage();
    throw err;
  }
}

type NonAuthType = Exclude<BackendMessage['type'], AuthenticationMessage['type']>;

function backendCodeOf(msg: BackendMessage): number {
  return msg.type.startsWith('Authentication') ? BackendCode.Authentication : BackendCode[msg.type as NonAuthType];
}

/** Check everything that could make the encoding ambiguous, before writing a byte. */
function validateBackend(msg: BackendMessage): void {
  switch (msg.type) {
    case 'AuthenticationMD5Password':
      if (msg.salt.length !== 4) throw new InterfaceError(`AuthenticationMD5Password salt must be 4 bytes, got ${msg.salt.length}`);
      return;
    case 'AuthenticationSASL':
      for (const m of msg.mechanisms) {
        // An empty name would end the list early.
        if (m === '') throw new InterfaceError('AuthenticationSASL: a mechanism name must not be empty');
        checkString(m, 'AuthenticationSASL mechanism');
      }
      return;
    case 'CommandComplete':
      return checkString(msg.tag, 'CommandComplete tag');
    case 'CopyInResponse':
    case 'CopyOutResponse':
    case 'CopyBothResponse':
      return checkCount(msg.columnFormats.length, `${msg.type} column formats`);
    case 'DataRow':
      return checkCount(msg.values.length, 'DataRow columns');
    case 'ErrorResponse':
    case 'NoticeResponse':
      for (const [code, value] of Object.entries(msg.fields)) {
        const c = code.charCodeAt(0);
        if (code.length !== 1 || c === 0 || c > 0xff) {
          throw new InterfaceError(`${msg.type}: field code ${JSON.stringify(code)} must be one character from U+0001 to U+00FF`);
        }
        checkString(value, `${msg.type} field ${code}`);
      }
      return;
    case 'NegotiateProtocolVersion':
      for (const o of msg.unrecognizedOptions) checkString(o, 'NegotiateProtocolVersion option');
      return;
    case 'NotificationResponse':
      checkString(msg.channel, 'NotificationResponse channel');
      return checkString(msg.payload, 'NotificationResponse payload');
    case 'ParameterDescription':
      return checkCount(msg.parameterOids.length, 'ParameterDescription parameters');
    case 'ParameterStatus':
      checkString(msg.name, 'ParameterStatus name');
      return checkString(msg.value, 'ParameterStatus value');
    case 'RowDescription':
      checkCount(msg.fields.length, 'RowDescription fields');
      for (const f of msg.fields) checkString(f.name, 'RowDescription field name');
      return;
    default:
      return;
  }
}

function writeBody(msg: BackendMessage, w: Writer): void {
  switch (msg.type) {
    case 'AuthenticationOk':
      w.int32(AuthCode.Ok);
      return;
    case 'AuthenticationKerberosV5':
      w.int32(AuthCode.KerberosV5);
      return;
    case 'AuthenticationCleartextPassword':
      w.int32(AuthCode.CleartextPassword);
      return;
    case 'AuthenticationMD5Password':
      w.int32(AuthCode.MD5Password).bytes(msg.salt);
      return;
    case 'AuthenticationGSS':
      w.int32(AuthCode.GSS);
      return;
    case 'AuthenticationGSSContinue':
      w.int32(AuthCode.GSSContinue).bytes(msg.data);
      return;
    case 'AuthenticationSSPI':
      w.int32(AuthCode.SSPI);
      return;
    case 'AuthenticationSASL':
      w.int32(AuthCode.SASL);
      for (const m of msg.mechanisms) w.cstring(m);
      w.int8(0);
      return;
    case 'AuthenticationSASLContinue':
      w.int32(AuthCode.SASLContinue).bytes(msg.data);
      return;
    case 'AuthenticationSASLFinal':
      w.int32(AuthCode.SASLFinal).bytes(msg.data);
      return;
    case 'BackendKeyData':
      w.int32(msg.processId).bytes(msg.secretKey);
      return;
    case 'BindComplete':
    case 'CloseComplete':
    case 'CopyDone':
    case 'EmptyQueryResponse':
    case 'NoData':
    case 'ParseComplete':
    case 'PortalSuspended':
      return;
    case 'CommandComplete':
      w.cstring(msg.tag);
      return;
    case 'CopyData':
      w.bytes(msg.data);
      return;
    case 'CopyInResponse':
    case 'CopyOutResponse':
    case 'CopyBothResponse':
      w.int8(msg.format).uint16(msg.columnFormats.length);
      for (const f of msg.columnFormats) w.int16(f);
      return;
    case 'DataRow':
      w.uint16(msg.values.length);
      for (const v of msg.values) {
        if (v === null) w.int32(-1);
        else w.int32(v.length).bytes(v);
      }
      return;
    case 'ErrorResponse':
    case 'NoticeResponse':
      for (const [code, value] of Object.entries(msg.fields)) w.int8(code.charCodeAt(0)).cstring(value);
      w.int8(0);
      return;
    case 'FunctionCallResponse':
      if (msg.result === null) w.int32(-1);
      else w.int32(msg.result.length).bytes(msg.result);
      return;
    case 'NegotiateProtocolVersion':
      w.int32(msg.newestMinorVersion).int32(msg.unrecognizedOptions.length);
      for (const o of msg.unrecognizedOptions) w.cstring(o);
      return;
    case 'NotificationResponse':
      w.int32(msg.processId).cstring(msg.channel).cstring(msg.payload);
      return;
    case 'ParameterDescription':
      w.uint16(msg.parameterOids.length);
      for (const oid of msg.parameterOids) w.uint32(oid);
      return;
    case 'ParameterStatus':
      w.cstring(msg.name).cstring(msg.value);
      return;
    case 'ReadyForQuery':
      w.int8(msg.status.charCodeAt(0));
      return;
    case 'RowDescription':
      w.uint16(msg.fields.length);
      for (const f of msg.fields) {
        w.cstring(f.name)
          .uint32(f.tableOid)
          .int16(f.columnAttributeNumber)
          .uint32(f.dataTypeOid)
          .int16(f.dataTypeSize)
          .int32(f.typeModifier)
          .int16(f.format);
      }
      return;
  }
}
