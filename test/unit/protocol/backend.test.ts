import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBackend, encodeBackend } from '../../../src/protocol/backend.js';
import { Writer } from '../../../src/protocol/writer.js';
import { InterfaceError, ProtocolError } from '../../../src/errors/client.js';
import type { BackendMessage } from '../../../src/protocol/messages.js';
import { backendSamples, dataRow, errorResponse, rowDescription } from './samples.js';

/** Encode one message and return its bytes. */
function encode(msg: BackendMessage): Uint8Array {
  const w = new Writer(8);
  encodeBackend(msg, w);
  return w.toBytes();
}

/** Decode one whole message (header included), checking its length word first. */
function decode(bytes: Uint8Array): BackendMessage {
  const len = new DataView(bytes.buffer, bytes.byteOffset).getInt32(1);
  assert.equal(len, bytes.length - 1, 'the length word counts itself and the body');
  return decodeBackend(bytes[0]!, bytes, 5, bytes.length);
}

/** A body with a type byte, as raw bytes. */
function raw(type: string, ...body: number[]): [number, Uint8Array] {
  return [type.charCodeAt(0), Uint8Array.from(body)];
}

const int32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const cstr = (s: string): number[] => [...new TextEncoder().encode(s), 0];

/** Messages whose last field is "the rest of the message", so a shorter body is still well formed. */
const restTyped = new Set([
  'AuthenticationGSSContinue',
  'AuthenticationSASLContinue',
  'AuthenticationSASLFinal',
  'BackendKeyData',
  'CopyData',
]);

void describe('backend messages round-trip', () => {
  for (const msg of backendSamples) {
    void test(msg.type, () => {
      assert.deepEqual(decode(encode(msg)), msg);
    });
  }

  void test('DataRow (property)', () => {
    fc.assert(fc.property(dataRow, (m) => assert.deepEqual(decode(encode(m)), m)));
  });

  void test('RowDescription (property)', () => {
    fc.assert(fc.property(rowDescription, (m) => assert.deepEqual(decode(encode(m)), m)));
  });

  void test('ErrorResponse and NoticeResponse (property)', () => {
    fc.assert(fc.property(errorResponse, (m) => assert.deepEqual(decode(encode(m)), m)));
  });

  void test('decoding a body at an offset inside a larger buffer', () => {
    const bytes = encode({ type: 'ParameterStatus', name: 'TimeZone', value: 'UTC' });
    const big = new Uint8Array(bytes.length + 20).fill(0xee);
    big.set(bytes, 11);
    const sub = big.subarray(3);
    assert.deepEqual(decodeBackend(sub[8]!, sub, 13, 8 + bytes.length), { type: 'ParameterStatus', name: 'TimeZone', value: 'UTC' });
  });
});

void describe('backend wire bytes match the protocol documentation', () => {
  const cases: [string, BackendMessage, number[]][] = [
    ['AuthenticationOk', { type: 'AuthenticationOk' }, [0x52, ...int32(8), ...int32(0)]],
    ['AuthenticationMD5Password', { type: 'AuthenticationMD5Password', salt: Uint8Array.of(1, 2, 3, 4) }, [0x52, ...int32(12), ...int32(5), 1, 2, 3, 4]],
    [
      'AuthenticationSASL',
      { type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256'] },
      [0x52, ...int32(23), ...int32(10), ...cstr('SCRAM-SHA-256'), 0],
    ],
    ['ReadyForQuery', { type: 'ReadyForQuery', status: 'I' }, [0x5a, 0, 0, 0, 5, 0x49]],
    ['DataRow', { type: 'DataRow', values: [Uint8Array.of(0x31), null] }, [0x44, ...int32(15), 0, 2, ...int32(1), 0x31, 0xff, 0xff, 0xff, 0xff]],
    ['CommandComplete', { type: 'CommandComplete', tag: 'SELECT 1' }, [0x43, ...int32(13), ...cstr('SELECT 1')]],
    ['ErrorResponse', { type: 'ErrorResponse', fields: { S: 'ERROR', C: 'XX000' } }, [0x45, ...int32(19), 0x53, ...cstr('ERROR'), 0x43, ...cstr('XX000'), 0]],
    ['CopyOutResponse', { type: 'CopyOutResponse', format: 0, columnFormats: [0] }, [0x48, ...int32(9), 0, 0, 1, 0, 0]],
    [
      'RowDescription',
      {
        type: 'RowDescription',
        fields: [{ name: 'a', tableOid: 1, columnAttributeNumber: 2, dataTypeOid: 23, dataTypeSize: 4, typeModifier: -1, format: 1 }],
      },
      [0x54, ...int32(26), 0, 1, ...cstr('a'), ...int32(1), 0, 2, ...int32(23), 0, 4, 0xff, 0xff, 0xff, 0xff, 0, 1],
    ],
  ];
  for (const [name, msg, bytes] of cases) {
    void test(name, () => {
      assert.deepEqual(encode(msg), Uint8Array.from(bytes));
      assert.deepEqual(decode(Uint8Array.from(bytes)), msg);
    });
  }
});

void describe('backend decoding rejects malformed bodies', () => {
  void test('every truncated body is a ProtocolError (or, for a trailing byte run, still well formed)', () => {
    for (const msg of backendSamples) {
      const bytes = encode(msg);
      for (let end = 5; end < bytes.length; end++) {
        let threw: unknown = null;
        try {
          decodeBackend(bytes[0]!, bytes, 5, end);
        } catch (err) {
          threw = err;
        }
        if (threw !== null) assert.ok(threw instanceof ProtocolError, `${msg.type} cut to ${end}: ${String(threw)}`);
        else assert.ok(restTyped.has(msg.type), `${msg.type} cut to ${end} bytes decoded without error`);
      }
    }
  });

  void test('an error names the message it was decoding', () => {
    const [t, body] = raw('D', 0, 1, 0, 0, 0, 9, 1);
    assert.throws(
      () => decodeBackend(t, body, 0, body.length),
      (err: unknown) => err instanceof ProtocolError && err.message.includes(`'D'`) && /truncated/.test(err.message),
    );
  });

  void test('trailing bytes after the last field', () => {
    for (const msg of backendSamples) {
      if (restTyped.has(msg.type)) continue;
      const bytes = encode(msg);
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      assert.throws(() => decodeBackend(longer[0]!, longer, 5, longer.length), ProtocolError, msg.type);
    }
  });

  void test('unknown type bytes', () => {
    const known = new Set('R K 2 3 C d c G H W D I E V v n N A t S 1 s Z T'.split(' ').map((c) => c.charCodeAt(0)));
    for (let t = 0; t < 256; t++) {
      if (known.has(t)) continue;
      assert.throws(() => decodeBackend(t, new Uint8Array(0), 0, 0), ProtocolError, `type ${t}`);
    }
  });

  const malformed: [string, [number, Uint8Array]][] = [
    ['DataRow with a column length of -2', raw('D', 0, 1, ...int32(-2))],
    ['DataRow with a column longer than the body', raw('D', 0, 1, ...int32(5), 1, 2)],
    ['DataRow claiming more columns than it holds', raw('D', 0, 3, ...int32(-1))],
    ['DataRow claiming 65535 columns', raw('D', 0xff, 0xff)],
    ['BackendKeyData with a 3-byte key', raw('K', ...int32(1), 1, 2, 3)],
    ['BackendKeyData with a 257-byte key', raw('K', ...int32(1), ...new Array<number>(257).fill(7))],
    ['ReadyForQuery with status X', raw('Z', 0x58)],
    ['an unknown authentication code', raw('R', ...int32(6))],
    ['a negative authentication code', raw('R', ...int32(-1))],
    ['AuthenticationMD5Password with a 3-byte salt', raw('R', ...int32(5), 1, 2, 3)],
    ['AuthenticationSASL without the empty terminator', raw('R', ...int32(10), ...cstr('SCRAM-SHA-256'))],
    ['RowDescription with format 2', raw('T', 0, 1, ...cstr('a'), ...int32(0), 0, 0, ...int32(23), 0, 4, ...int32(-1), 0, 2)],
    ['CopyInResponse with overall format 2', raw('G', 2, 0, 0)],
    ['CopyOutResponse with a column format of -1', raw('H', 0, 0, 1, 0xff, 0xff)],
    ['FunctionCallResponse with length -3', raw('V', ...int32(-3))],
    ['NegotiateProtocolVersion with a negative count', raw('v', ...int32(0), ...int32(-1))],
    ['NegotiateProtocolVersion with a huge count', raw('v', ...int32(0), ...int32(0x7fffffff), ...cstr('x'))],
    ['ErrorResponse without its final 0', raw('E', 0x53, ...cstr('ERROR'))],
    ['ErrorResponse with a value lacking its NUL', raw('E', 0x53, 0x45, 0x52)],
    ['CommandComplete without its NUL', raw('C', 0x53, 0x45)],
    ['ParameterDescription claiming 2 OIDs, holding 1', raw('t', 0, 2, ...int32(23))],
    ['NotificationResponse without a payload', raw('A', ...int32(1), ...cstr('chan'))],
    ['ParseComplete with a body', raw('1', 0)],
  ];
  for (const [name, [type, body]] of malformed) {
    void test(name, () => {
      assert.throws(() => decodeBackend(type, body, 0, body.length), ProtocolError);
    });
  }

  void test('a NUL terminator beyond the body end does not count', () => {
    // The String's NUL sits just past `end`: it belongs to the next message.
    const bytes = Uint8Array.from([...cstr('SELECT 1')]);
    assert.throws(() => decodeBackend(0x43, bytes, 0, bytes.length - 1), ProtocolError);
  });

  void test('random bodies for every type byte: a message or a ProtocolError, nothing else (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 64 }), (type, body) => {
        try {
          const m = decodeBackend(type, body, 0, body.length);
          assert.equal(typeof m.type, 'string');
        } catch (err) {
          assert.ok(err instanceof ProtocolError, String(err));
        }
      }),
      { numRuns: 5000 },
    );
  });
});

void describe('backend encoding rejects what the wire cannot carry', () => {
  const cases: [string, BackendMessage][] = [
    ['a NUL in a CommandComplete tag', { type: 'CommandComplete', tag: 'SELECT\u00001' }],
    ['a NUL in a ParameterStatus value', { type: 'ParameterStatus', name: 'a', value: 'b\u0000' }],
    ['a NUL in a ParameterStatus name', { type: 'ParameterStatus', name: '\u0000', value: 'b' }],
    ['a NUL in an ErrorResponse field', { type: 'ErrorResponse', fields: { M: 'x\u0000y' } }],
    ['a two-letter ErrorResponse field code', { type: 'ErrorResponse', fields: { MM: 'x' } }],
    ['a NUL ErrorResponse field code', { type: 'NoticeResponse', fields: { '\u0000': 'x' } }],
    ['a NUL in a RowDescription field name', { type: 'RowDescription', fields: [{ name: 'a\u0000', tableOid: 0, columnAttributeNumber: 0, dataTypeOid: 25, dataTypeSize: -1, typeModifier: -1, format: 0 }] }],
    ['a NUL in a notification payload', { type: 'NotificationResponse', processId: 1, channel: 'c', payload: '\u0000' }],
    ['a NUL in a NotificationResponse channel', { type: 'NotificationResponse', processId: 1, channel: 'c\u0000', payload: '' }],
    ['an empty SASL mechanism name', { type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256', ''] }],
    ['a 5-byte MD5 salt', { type: 'AuthenticationMD5Password', salt: new Uint8Array(5) }],
    ['a NUL in a NegotiateProtocolVersion option', { type: 'NegotiateProtocolVersion', newestMinorVersion: 0, unrecognizedOptions: ['a\u0000'] }],
    ['65536 DataRow columns', { type: 'DataRow', values: new Array<null>(65536).fill(null) }],
    ['65536 parameter OIDs', { type: 'ParameterDescription', parameterOids: new Array<number>(65536).fill(25) }],
  ];
  for (const [name, msg] of cases) {
    void test(name, () => {
      const w = new Writer(8);
      encodeBackend({ type: 'NoData' }, w);
      const before = w.toBytes();
      assert.throws(() => encodeBackend(msg, w), InterfaceError);
      assert.deepEqual(w.toBytes(), before, 'the writer is left as it was');
      encodeBackend({ type: 'NoData' }, w);
      assert.equal(w.length, before.length + 5, 'and it can still write messages');
    });
  }

  void test('65535 DataRow columns are accepted', () => {
    const m: BackendMessage = { type: 'DataRow', values: new Array<null>(65535).fill(null) };
    assert.deepEqual(decode(encode(m)), m);
  });
});
