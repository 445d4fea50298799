import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeFrontend,
  decodeUntypedFrontend,
  encodeFrontend,
  writeClose,
  writeDescribe,
  writeExecute,
  writeFlush,
  writeParse,
  writeQuery,
  writeSync,
  writeTerminate,
} from '../../../src/protocol/frontend.js';
import type { PasswordContext } from '../../../src/protocol/frontend.js';
import { Writer } from '../../../src/protocol/writer.js';
import { InterfaceError, ProtocolError } from '../../../src/errors/client.js';
import { PROTOCOL_3_0 } from '../../../src/protocol/messages.js';
import type { FrontendMessage } from '../../../src/protocol/messages.js';
import { bind, frontendSamples, startupMessage, untypedFrontend } from './samples.js';

function encode(msg: FrontendMessage): Uint8Array {
  const w = new Writer(8);
  encodeFrontend(msg, w);
  return w.toBytes();
}

/** Decode one whole message, typed or not, after checking its length word. */
function decode(bytes: Uint8Array, untyped: boolean, context?: PasswordContext): FrontendMessage {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  if (untyped) {
    assert.equal(view.getInt32(0), bytes.length, 'the length word counts itself and the body');
    return decodeUntypedFrontend(bytes, 4, bytes.length);
  }
  assert.equal(view.getInt32(1), bytes.length - 1, 'the length word counts itself and the body');
  return decodeFrontend(bytes[0]!, bytes, 5, bytes.length, context);
}

const int32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const cstr = (s: string): number[] => [...new TextEncoder().encode(s), 0];

const restTyped = new Set(['CopyData', 'GSSResponse', 'SASLResponse', 'CancelRequest']);

void describe('frontend messages round-trip', () => {
  for (const { msg, context } of frontendSamples) {
    void test(`${msg.type}${context ? ` (${context})` : ''}`, () => {
      assert.deepEqual(decode(encode(msg), untypedFrontend.has(msg.type), context), msg);
    });
  }

  void test('Bind (property)', () => {
    fc.assert(fc.property(bind, (m) => assert.deepEqual(decode(encode(m), false), m)));
  });

  void test('StartupMessage (property)', () => {
    fc.assert(fc.property(startupMessage, (m) => assert.deepEqual(decode(encode(m), true), m)));
  });

  void test('a startup parameter named __proto__ stays a plain key', () => {
    const parameters: Record<string, string> = {};
    Object.defineProperty(parameters, '__proto__', { value: 'x', enumerable: true, writable: true, configurable: true });
    const decoded = decode(encode({ type: 'StartupMessage', protocolVersion: PROTOCOL_3_0, parameters }), true);
    assert.equal(decoded.type, 'StartupMessage');
    assert.equal(Object.getPrototypeOf(decoded.parameters), Object.prototype);
    assert.deepEqual(Object.entries(decoded.parameters), [['__proto__', 'x']]);
  });
});

void describe('frontend wire bytes match the protocol documentation', () => {
  const cases: [string, FrontendMessage, number[]][] = [
    ['Sync', { type: 'Sync' }, [0x53, 0, 0, 0, 4]],
    ['Flush', { type: 'Flush' }, [0x48, 0, 0, 0, 4]],
    ['Terminate', { type: 'Terminate' }, [0x58, 0, 0, 0, 4]],
    ['CopyDone', { type: 'CopyDone' }, [0x63, 0, 0, 0, 4]],
    ['SSLRequest', { type: 'SSLRequest' }, [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]],
    ['GSSENCRequest', { type: 'GSSENCRequest' }, [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30]],
    ['CancelRequest', { type: 'CancelRequest', processId: 7, secretKey: Uint8Array.of(1, 2, 3, 4) }, [0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, ...int32(7), 1, 2, 3, 4]],
    [
      'StartupMessage',
      { type: 'StartupMessage', protocolVersion: PROTOCOL_3_0, parameters: { user: 'u' } },
      [...int32(16), 0, 3, 0, 0, ...cstr('user'), ...cstr('u'), 0],
    ],
    ['Query', { type: 'Query', query: 'select 1' }, [0x51, ...int32(13), ...cstr('select 1')]],
    ['Execute', { type: 'Execute', portal: '', maxRows: 0 }, [0x45, ...int32(9), 0, 0, 0, 0, 0]],
    ['Describe', { type: 'Describe', target: 'S', name: 'a' }, [0x44, ...int32(7), 0x53, ...cstr('a')]],
    ['Close', { type: 'Close', target: 'P', name: '' }, [0x43, ...int32(6), 0x50, 0]],
    ['Parse', { type: 'Parse', name: '', query: 'x', parameterOids: [23] }, [0x50, ...int32(13), 0, ...cstr('x'), 0, 1, ...int32(23)]],
    [
      'Bind',
      { type: 'Bind', portal: '', statement: 's', parameterFormats: [1], parameters: [Uint8Array.of(9), null], resultFormats: [] },
      [0x42, ...int32(24), 0, ...cstr('s'), 0, 1, 0, 1, 0, 2, ...int32(1), 9, ...int32(-1), 0, 0],
    ],
    ['SASLInitialResponse', { type: 'SASLInitialResponse', mechanism: 'M', data: null }, [0x70, ...int32(10), ...cstr('M'), ...int32(-1)]],
  ];
  for (const [name, msg, bytes] of cases) {
    void test(name, () => assert.deepEqual(encode(msg), Uint8Array.from(bytes)));
  }

  void test('the hot-path writers produce the same bytes as encodeFrontend', () => {
    const pairs: [(w: Writer) => void, FrontendMessage][] = [
      [(w) => writeSync(w), { type: 'Sync' }],
      [(w) => writeFlush(w), { type: 'Flush' }],
      [(w) => writeTerminate(w), { type: 'Terminate' }],
      [(w) => writeExecute(w, 'c1', 50), { type: 'Execute', portal: 'c1', maxRows: 50 }],
      [(w) => writeDescribe(w, 'P', 'p'), { type: 'Describe', target: 'P', name: 'p' }],
      [(w) => writeClose(w, 'S', 's9'), { type: 'Close', target: 'S', name: 's9' }],
      [(w) => writeParse(w, 's9', 'select $1', [25]), { type: 'Parse', name: 's9', query: 'select $1', parameterOids: [25] }],
      [(w) => writeQuery(w, 'begin'), { type: 'Query', query: 'begin' }],
    ];
    // All into one writer, as a pipeline would: each message follows the last.
    const fast = new Writer(2);
    for (const [write] of pairs) write(fast);
    const general = new Writer(2);
    for (const [, msg] of pairs) encodeFrontend(msg, general);
    assert.deepEqual(fast.toBytes(), general.toBytes());
    assert.ok(fast.length > 40);
  });
});

void describe('frontend encoding rejects what the wire cannot carry', () => {
  const nul = 'a\u0000b';
  const rejected: [string, (w: Writer) => void][] = [
    ['a NUL in a Query', (w) => writeQuery(w, `select '${nul}'`)],
    ['a NUL in a Parse query', (w) => writeParse(w, '', nul, [])],
    ['a NUL in a Parse name', (w) => writeParse(w, nul, 'select 1', [])],
    ['a NUL in an Execute portal', (w) => writeExecute(w, nul, 0)],
    ['a NUL in a Describe name', (w) => writeDescribe(w, 'S', nul)],
    ['a NUL in a Close name', (w) => writeClose(w, 'P', nul)],
    ['a NUL in a Bind portal', (w) => encodeFrontend({ type: 'Bind', portal: nul, statement: '', parameterFormats: [], parameters: [], resultFormats: [] }, w)],
    ['a NUL in a Bind statement', (w) => encodeFrontend({ type: 'Bind', portal: '', statement: nul, parameterFormats: [], parameters: [], resultFormats: [] }, w)],
    ['a NUL in a CopyFail message', (w) => encodeFrontend({ type: 'CopyFail', message: nul }, w)],
    ['a NUL in a password', (w) => encodeFrontend({ type: 'PasswordMessage', password: nul }, w)],
    ['a NUL in a SASL mechanism', (w) => encodeFrontend({ type: 'SASLInitialResponse', mechanism: nul, data: null }, w)],
    ['a NUL in a startup parameter value', (w) => encodeFrontend({ type: 'StartupMessage', protocolVersion: PROTOCOL_3_0, parameters: { user: nul } }, w)],
    ['a NUL in a startup parameter name', (w) => encodeFrontend({ type: 'StartupMessage', protocolVersion: PROTOCOL_3_0, parameters: { [nul]: 'x' } }, w)],
    ['an empty startup parameter name', (w) => encodeFrontend({ type: 'StartupMessage', protocolVersion: PROTOCOL_3_0, parameters: { '': 'x' } }, w)],
    ['65536 Bind parameters', (w) => encodeFrontend({ type: 'Bind', portal: '', statement: '', parameterFormats: [], parameters: new Array<null>(65536).fill(null), resultFormats: [] }, w)],
    ['65536 Bind result formats', (w) => encodeFrontend({ type: 'Bind', portal: '', statement: '', parameterFormats: [], parameters: [], resultFormats: new Array<0>(65536).fill(0) }, w)],
    ['65536 Parse parameter types', (w) => writeParse(w, '', 'select 1', new Array<number>(65536).fill(0))],
    ['65536 FunctionCall arguments', (w) => encodeFrontend({ type: 'FunctionCall', functionOid: 1, argumentFormats: [], arguments: new Array<null>(65536).fill(null), resultFormat: 0 }, w)],
    ['a negative maxRows', (w) => writeExecute(w, '', -1)],
    ['a fractional maxRows', (w) => writeExecute(w, '', 1.5)],
    ['a maxRows past Int32', (w) => writeExecute(w, '', 2 ** 31)],
    ['a Describe target other than S or P', (w) => writeDescribe(w, 'X' as 'S', 'a')],
    ['a Close target other than S or P', (w) => writeClose(w, 's' as 'S', 'a')],
    ['a 3-byte cancel key', (w) => encodeFrontend({ type: 'CancelRequest', processId: 1, secretKey: new Uint8Array(3) }, w)],
    ['a 257-byte cancel key', (w) => encodeFrontend({ type: 'CancelRequest', processId: 1, secretKey: new Uint8Array(257) }, w)],
  ];
  for (const [name, write] of rejected) {
    void test(name, () => {
      const w = new Writer(8);
      writeSync(w);
      assert.throws(() => write(w), InterfaceError);
      assert.deepEqual(w.toBytes(), Uint8Array.of(0x53, 0, 0, 0, 4), 'the writer is left as it was');
      writeFlush(w);
      assert.equal(w.length, 10, 'and it can still write messages');
    });
  }

  void test('the NUL error names the field and says what to do', () => {
    assert.throws(
      () => writeQuery(new Writer(), 'a\u0000'),
      (err: unknown) => err instanceof InterfaceError && /Query text/.test(err.message) && /NUL/.test(err.message) && /remove/.test(err.message),
    );
  });

  void test('65535 Bind parameters are accepted', () => {
    const m: FrontendMessage = { type: 'Bind', portal: '', statement: '', parameterFormats: [1], parameters: new Array<null>(65535).fill(null), resultFormats: [] };
    assert.deepEqual(decode(encode(m), false), m);
  });
});

void describe('frontend decoding rejects malformed bodies', () => {
  void test('every truncated body is a ProtocolError (or, for a trailing byte run, still well formed)', () => {
    for (const { msg, context } of frontendSamples) {
      const bytes = encode(msg);
      const untyped = untypedFrontend.has(msg.type);
      const start = untyped ? 4 : 5;
      for (let end = start; end < bytes.length; end++) {
        let threw: unknown = null;
        try {
          if (untyped) decodeUntypedFrontend(bytes, start, end);
          else decodeFrontend(bytes[0]!, bytes, start, end, context);
        } catch (err) {
          threw = err;
        }
        if (threw !== null) assert.ok(threw instanceof ProtocolError, `${msg.type} cut to ${end}: ${String(threw)}`);
        else assert.ok(restTyped.has(msg.type), `${msg.type} cut to ${end} bytes decoded without error`);
      }
    }
  });

  void test('trailing bytes after the last field', () => {
    for (const { msg, context } of frontendSamples) {
      if (restTyped.has(msg.type)) continue;
      const bytes = encode(msg);
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      if (untypedFrontend.has(msg.type)) {
        assert.throws(() => decodeUntypedFrontend(longer, 4, longer.length), ProtocolError, msg.type);
      } else {
        assert.throws(() => decodeFrontend(longer[0]!, longer, 5, longer.length, context), ProtocolError, msg.type);
      }
    }
  });

  void test('unknown type bytes', () => {
    const known = new Set('B C d c f D E H F p P Q S X'.split(' ').map((c) => c.charCodeAt(0)));
    for (let t = 0; t < 256; t++) {
      if (known.has(t)) continue;
      assert.throws(() => decodeFrontend(t, new Uint8Array(0), 0, 0), ProtocolError, `type ${t}`);
    }
  });

  const malformed: [string, number, number[]][] = [
    ['Bind with a parameter length of -2', 0x42, [0, 0, 0, 0, 0, 1, ...int32(-2), 0, 0]],
    ['Bind with a format code of 2', 0x42, [0, 0, 0, 1, 0, 2, 0, 0, 0, 0]],
    ['Describe with target X', 0x44, [0x58, 0]],
    ['Close with target s', 0x43, [0x73, 0]],
    ['FunctionCall with result format 5', 0x46, [...int32(1), 0, 0, 0, 0, 0, 5]],
    ['Parse claiming 2 OIDs, holding 1', 0x50, [0, 0x78, 0, 0, 2, ...int32(23)]],
    ['Sync with a body', 0x53, [0]],
  ];
  for (const [name, type, body] of malformed) {
    void test(name, () => {
      const b = Uint8Array.from(body);
      assert.throws(() => decodeFrontend(type, b, 0, b.length), ProtocolError);
    });
  }

  void test('SASLInitialResponse with a data length of -2', () => {
    const b = Uint8Array.from([...cstr('M'), ...int32(-2)]);
    assert.throws(() => decodeFrontend(0x70, b, 0, b.length, 'sasl-initial'), ProtocolError);
  });

  void test('the context decides how a p message reads', () => {
    const b = Uint8Array.from(cstr('secret'));
    assert.deepEqual(decodeFrontend(0x70, b, 0, b.length), { type: 'PasswordMessage', password: 'secret' });
    assert.deepEqual(decodeFrontend(0x70, b, 0, b.length, 'sasl'), { type: 'SASLResponse', data: b });
    assert.deepEqual(decodeFrontend(0x70, b, 0, b.length, 'gss'), { type: 'GSSResponse', data: b });
    assert.throws(() => decodeFrontend(0x70, b, 0, b.length, 'sasl-initial'), ProtocolError);
  });

  const untypedBad: [string, number[]][] = [
    ['an unknown request code', [...int32(80877105)]],
    ['SSLRequest with a body', [...int32(80877103), 0]],
    ['CancelRequest with a 3-byte key', [...int32(80877102), ...int32(1), 1, 2, 3]],
    ['CancelRequest with a 257-byte key', [...int32(80877102), ...int32(1), ...new Array<number>(257).fill(1)]],
    ['StartupMessage without its final 0', [...int32(PROTOCOL_3_0), ...cstr('user'), ...cstr('u')]],
    ['StartupMessage with a name and no value', [...int32(PROTOCOL_3_0), ...cstr('user'), 0x61]],
    ['an empty body', []],
  ];
  for (const [name, body] of untypedBad) {
    void test(`untyped: ${name}`, () => {
      const b = Uint8Array.from(body);
      assert.throws(() => decodeUntypedFrontend(b, 0, b.length), ProtocolError);
    });
  }

  void test('random bodies for every type and context: a message or a ProtocolError (property)', () => {
    const contexts: PasswordContext[] = ['password', 'sasl-initial', 'sasl', 'gss'];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...contexts), fc.boolean(), (type, body, context, untyped) => {
        try {
          const m = untyped ? decodeUntypedFrontend(body, 0, body.length) : decodeFrontend(type, body, 0, body.length, context);
          assert.equal(typeof m.type, 'string');
        } catch (err) {
          assert.ok(err instanceof ProtocolError, String(err));
        }
      }),
      { numRuns: 5000 },
    );
  });
});
