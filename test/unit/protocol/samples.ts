/**
 * One sample of every protocol message, and fast-check arbitraries for the
 * ones whose shape varies most. Shared by the codec and framer tests.
 */
import fc from 'fast-check';
import type { BackendMessage, FieldDescription, FormatCode, FrontendMessage } from '../../../src/protocol/messages.js';
import { PROTOCOL_3_0, PROTOCOL_3_2 } from '../../../src/protocol/messages.js';
import type { PasswordContext } from '../../../src/protocol/frontend.js';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Every backend message, each with non-trivial field values. */
export const backendSamples: BackendMessage[] = [
  { type: 'AuthenticationOk' },
  { type: 'AuthenticationKerberosV5' },
  { type: 'AuthenticationCleartextPassword' },
  { type: 'AuthenticationMD5Password', salt: bytes(0xde, 0xad, 0xbe, 0xef) },
  { type: 'AuthenticationGSS' },
  { type: 'AuthenticationGSSContinue', data: bytes(1, 2, 3, 0, 255) },
  { type: 'AuthenticationSSPI' },
  { type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'] },
  { type: 'AuthenticationSASLContinue', data: utf8('r=abc,s=QSXCR+Q6sek8bf92,i=4096') },
  { type: 'AuthenticationSASLFinal', data: utf8('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=') },
  { type: 'BackendKeyData', processId: 4242, secretKey: bytes(9, 8, 7, 6) },
  { type: 'BackendKeyData', processId: -1, secretKey: new Uint8Array(256).fill(0xab) },
  { type: 'BindComplete' },
  { type: 'CloseComplete' },
  { type: 'CommandComplete', tag: 'INSERT 0 3' },
  { type: 'CopyData', data: utf8('1\tone\n') },
  { type: 'CopyDone' },
  { type: 'CopyInResponse', format: 0, columnFormats: [0, 0] },
  { type: 'CopyOutResponse', format: 1, columnFormats: [1, 1, 1] },
  { type: 'CopyBothResponse', format: 0, columnFormats: [] },
  { type: 'DataRow', values: [utf8('42'), null, new Uint8Array(0), bytes(0, 0, 0, 1)] },
  { type: 'EmptyQueryResponse' },
  {
    type: 'ErrorResponse',
    fields: { S: 'ERROR', V: 'ERROR', C: '42P01', M: 'relation "nope" does not exist', P: '15', F: 'parse_relation.c' },
  },
  { type: 'FunctionCallResponse', result: bytes(0, 0, 0, 7) },
  { type: 'FunctionCallResponse', result: null },
  { type: 'NegotiateProtocolVersion', newestMinorVersion: 0, unrecognizedOptions: ['_pq_.compression', '_pq_.other'] },
  { type: 'NoData' },
  { type: 'NoticeResponse', fields: { S: 'NOTICE', C: '00000', M: 'héllo wörld ✓' } },
  { type: 'NotificationResponse', processId: 77, channel: 'jobs', payload: '{"id":1}' },
  { type: 'ParameterDescription', parameterOids: [23, 25, 4294967295] },
  { type: 'ParameterStatus', name: 'server_version', value: '18.0' },
  { type: 'ParseComplete' },
  { type: 'PortalSuspended' },
  { type: 'ReadyForQuery', status: 'I' },
  { type: 'ReadyForQuery', status: 'T' },
  { type: 'ReadyForQuery', status: 'E' },
  {
    type: 'RowDescription',
    fields: [
      { name: 'id', tableOid: 16384, columnAttributeNumber: 1, dataTypeOid: 23, dataTypeSize: 4, typeModifier: -1, format: 1 },
      { name: '名前', tableOid: 0, columnAttributeNumber: 0, dataTypeOid: 1043, dataTypeSize: -1, typeModifier: 68, format: 0 },
    ],
  },
];

/** Every frontend message, with the context a 'p' message needs to be decoded. */
export const frontendSamples: { msg: FrontendMessage; context?: PasswordContext }[] = [
  { msg: { type: 'StartupMessage', protocolVersion: PROTOCOL_3_0, parameters: { user: 'alice', database: 'shop', application_name: 'pgjet ✓' } } },
  { msg: { type: 'StartupMessage', protocolVersion: PROTOCOL_3_2, parameters: {} } },
  { msg: { type: 'SSLRequest' } },
  { msg: { type: 'GSSENCRequest' } },
  { msg: { type: 'CancelRequest', processId: 4242, secretKey: bytes(9, 8, 7, 6) } },
  { msg: { type: 'CancelRequest', processId: 1, secretKey: new Uint8Array(32).fill(3) } },
  {
    msg: {
      type: 'Bind',
      portal: '',
      statement: 's1',
      parameterFormats: [1, 0],
      parameters: [bytes(0, 0, 0, 1), null, utf8('text')],
      resultFormats: [1],
    },
  },
  { msg: { type: 'Close', target: 'S', name: 's1' } },
  { msg: { type: 'Close', target: 'P', name: '' } },
  { msg: { type: 'CopyData', data: utf8('a,b\n') } },
  { msg: { type: 'CopyDone' } },
  { msg: { type: 'CopyFail', message: 'aborted by the user' } },
  { msg: { type: 'Describe', target: 'S', name: 's1' } },
  { msg: { type: 'Describe', target: 'P', name: 'p1' } },
  { msg: { type: 'Execute', portal: '', maxRows: 0 } },
  { msg: { type: 'Execute', portal: 'c1', maxRows: 100 } },
  { msg: { type: 'Flush' } },
  { msg: { type: 'FunctionCall', functionOid: 1598, argumentFormats: [1], arguments: [bytes(1), null], resultFormat: 1 } },
  { msg: { type: 'GSSResponse', data: bytes(0x60, 0x82, 1, 2) }, context: 'gss' },
  { msg: { type: 'Parse', name: 's1', query: 'select $1::int + $2', parameterOids: [23, 0] } },
  { msg: { type: 'Parse', name: '', query: 'select 1', parameterOids: [] } },
  { msg: { type: 'PasswordMessage', password: 'md5' + 'a'.repeat(32) }, context: 'password' },
  { msg: { type: 'Query', query: "select 'x'; select 2" } },
  { msg: { type: 'SASLInitialResponse', mechanism: 'SCRAM-SHA-256', data: utf8('n,,n=,r=abc') }, context: 'sasl-initial' },
  { msg: { type: 'SASLInitialResponse', mechanism: 'SCRAM-SHA-256', data: null }, context: 'sasl-initial' },
  { msg: { type: 'SASLResponse', data: utf8('c=biws,r=abc,p=xyz') }, context: 'sasl' },
  { msg: { type: 'Sync' } },
  { msg: { type: 'Terminate' } },
];

/** Frontend messages that have no type byte. */
export const untypedFrontend = new Set(['StartupMessage', 'SSLRequest', 'GSSENCRequest', 'CancelRequest']);

// ------------------------------------------------------------ arbitraries

/** fast-check builds null-prototype records by default; decoders return plain objects. */
const plain = { noNullPrototype: true } as const;

/** Text without NUL: what a protocol String can carry. */
export const pgString = (maxLength = 24): fc.Arbitrary<string> =>
  fc.string({ unit: 'grapheme', maxLength }).filter((s) => !s.includes('\0'));

export const format: fc.Arbitrary<FormatCode> = fc.constantFrom<FormatCode>(0, 1);
export const value: fc.Arbitrary<Uint8Array | null> = fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null, freq: 4 });
const uint32 = fc.integer({ min: 0, max: 0xffffffff });
const int16 = fc.integer({ min: -0x8000, max: 0x7fff });
const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });

export const dataRow: fc.Arbitrary<BackendMessage> = fc.record({
  type: fc.constant('DataRow' as const),
  values: fc.array(value, { maxLength: 20 }),
}, plain);

export const fieldDescription: fc.Arbitrary<FieldDescription> = fc.record({
  name: pgString(),
  tableOid: uint32,
  columnAttributeNumber: int16,
  dataTypeOid: uint32,
  dataTypeSize: int16,
  typeModifier: int32,
  format,
}, plain);

export const rowDescription: fc.Arbitrary<BackendMessage> = fc.record({
  type: fc.constant('RowDescription' as const),
  fields: fc.array(fieldDescription, { maxLength: 10 }),
}, plain);

/** Field codes as a server sends them (any non-NUL byte), values of any text. */
export const noticeFields: fc.Arbitrary<Record<string, string>> = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 255 }), pgString(40)), { maxLength: 12 })
  .map((pairs) => {
    const fields: Record<string, string> = {};
    for (const [code, text] of pairs) fields[String.fromCharCode(code)] = text;
    return fields;
  });

export const errorResponse: fc.Arbitrary<BackendMessage> = fc.record({
  type: fc.constantFrom('ErrorResponse' as const, 'NoticeResponse' as const),
  fields: noticeFields,
}, plain);

export const bind: fc.Arbitrary<FrontendMessage> = fc.record({
  type: fc.constant('Bind' as const),
  portal: pgString(),
  statement: pgString(),
  parameterFormats: fc.array(format, { maxLength: 10 }),
  parameters: fc.array(value, { maxLength: 10 }),
  resultFormats: fc.array(format, { maxLength: 10 }),
}, plain);

/** Startup parameters with non-empty names; built with defineProperty so "__proto__" is a plain key. */
export const startupMessage: fc.Arbitrary<FrontendMessage> = fc
  .record({
    protocolVersion: fc.constantFrom(PROTOCOL_3_0, PROTOCOL_3_2),
    pairs: fc.uniqueArray(fc.tuple(pgString().filter((s) => s !== ''), pgString(40)), { maxLength: 8, selector: (p) => p[0] }),
  })
  .map(({ protocolVersion, pairs }) => {
    const parameters: Record<string, string> = {};
    for (const [k, v] of pairs) Object.defineProperty(parameters, k, { value: v, enumerable: true, writable: true, configurable: true });
    return { type: 'StartupMessage' as const, protocolVersion, parameters };
  });

/** A mix of backend messages for stream tests: the fixed samples plus random ones. */
export const backendMessage: fc.Arbitrary<BackendMessage> = fc.oneof(
  fc.constantFrom(...backendSamples),
  dataRow,
  rowDescription,
  errorResponse,
);
