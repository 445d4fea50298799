import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Framer } from '../../../src/protocol/framer.js';
import { decodeBackend, encodeBackend } from '../../../src/protocol/backend.js';
import { decodeFrontend, decodeUntypedFrontend, encodeFrontend } from '../../../src/protocol/frontend.js';
import { Writer } from '../../../src/protocol/writer.js';
import { InterfaceError, ProtocolError } from '../../../src/errors/client.js';
import type { BackendMessage, FrontendMessage } from '../../../src/protocol/messages.js';
import { backendMessage, backendSamples, frontendSamples, untypedFrontend } from './samples.js';

function encodeAll(msgs: readonly BackendMessage[]): Uint8Array {
  const w = new Writer(16);
  for (const m of msgs) encodeBackend(m, w);
  return w.toBytes();
}

/** Feed `chunks` one at a time, draining after each; decode every frame. */
function decodeChunks(chunks: readonly Uint8Array[], framer = new Framer()): BackendMessage[] {
  const out: BackendMessage[] = [];
  for (const c of chunks) {
    framer.push(c);
    for (let f = framer.next(); f !== null; f = framer.next()) out.push(decodeBackend(f.type, f.buf, f.start, f.end));
  }
  assert.equal(framer.bufferedBytes(), 0, 'no bytes may be left over after a whole stream');
  return out;
}

/** Split `bytes` at the given sorted offsets, each chunk a fresh copy. */
function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const c of [...cuts, bytes.length]) {
    chunks.push(bytes.slice(from, c));
    from = c;
  }
  return chunks;
}

/** A typed message header: type byte, then the Int32 length as raw bytes. */
function header(type: number, length: number): Uint8Array {
  const b = new Uint8Array(5);
  b[0] = type;
  new DataView(b.buffer).setInt32(1, length | 0);
  return b;
}

void describe('Framer: whole streams', () => {
  const stream = encodeAll(backendSamples);

  void test('one chunk holding every backend message decodes to the same messages', () => {
    assert.deepEqual(decodeChunks([stream]), backendSamples);
  });

  void test('split into two at every byte offset, the stream decodes identically', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      assert.deepEqual(decodeChunks(splitAt(stream, [cut])), backendSamples, `cut at ${cut}`);
    }
  });

  void test('split into three at many offset pairs, the stream decodes identically', () => {
    for (let a = 0; a <= stream.length; a += 7) {
      for (let b = a; b <= stream.length; b += 13) {
        assert.deepEqual(decodeChunks(splitAt(stream, [a, b])), backendSamples, `cuts at ${a}, ${b}`);
      }
    }
  });

  void test('1-byte chunks decode identically', () => {
    const chunks = Array.from(stream, (b) => Uint8Array.of(b));
    assert.deepEqual(decodeChunks(chunks), backendSamples);
  });

  void test('all chunks pushed before any next() decode identically', () => {
    for (const size of [1, 2, 3, 5, 8, 64, 1000]) {
      const framer = new Framer();
      for (let i = 0; i < stream.length; i += size) framer.push(stream.slice(i, i + size));
      assert.equal(framer.bufferedBytes(), stream.length);
      const out: BackendMessage[] = [];
      for (let f = framer.next(); f !== null; f = framer.next()) out.push(decodeBackend(f.type, f.buf, f.start, f.end));
      assert.deepEqual(out, backendSamples, `chunk size ${size}`);
      assert.equal(framer.bufferedBytes(), 0);
    }
  });

  void test('random messages in random chunkings decode identically (property)', () => {
    fc.assert(
      fc.property(
        fc.array(backendMessage, { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.boolean(),
        (msgs, rawCuts, drainEach) => {
          const bytes = encodeAll(msgs);
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
          const chunks = splitAt(bytes, cuts);
          if (drainEach) {
            assert.deepEqual(decodeChunks(chunks), msgs);
          } else {
            const framer = new Framer();
            for (const c of chunks) framer.push(c);
            const out: BackendMessage[] = [];
            for (let f = framer.next(); f !== null; f = framer.next()) out.push(decodeBackend(f.type, f.buf, f.start, f.end));
            assert.deepEqual(out, msgs);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  void test('a large message arriving in small chunks is assembled intact', () => {
    const big = new Uint8Array(300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const msgs: BackendMessage[] = [{ type: 'ParseComplete' }, { type: 'CopyData', data: big }, { type: 'CopyDone' }];
    const bytes = encodeAll(msgs);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 997) chunks.push(bytes.slice(i, i + 997));
    assert.deepEqual(decodeChunks(chunks), msgs);
  });
});

void describe('Framer: zero copy and buffer ownership', () => {
  void test('frames of messages wholly inside a chunk point into that chunk', () => {
    const chunk = encodeAll([{ type: 'BindComplete' }, { type: 'CommandComplete', tag: 'SELECT 1' }]);
    const framer = new Framer();
    framer.push(chunk);
    const a = framer.next();
    assert.ok(a);
    assert.equal(a.buf, chunk);
    assert.deepEqual([a.type, a.start, a.end], [0x32, 5, 5]);
    const b = framer.next();
    assert.ok(b);
    assert.equal(b.buf, chunk);
    assert.deepEqual([b.type, b.start, b.end], [0x43, 10, 19]);
    assert.equal(framer.next(), null);
  });

  void test('after a straddling message, later whole messages point into the new chunk', () => {
    const bytes = encodeAll([{ type: 'CommandComplete', tag: 'SELECT 1' }, { type: 'ReadyForQuery', status: 'I' }]);
    const first = bytes.slice(0, 7);
    const second = bytes.slice(7);
    const framer = new Framer();
    framer.push(first);
    assert.equal(framer.next(), null);
    assert.equal(framer.bufferedBytes(), 7);
    framer.push(second);
    const a = framer.next();
    assert.ok(a);
    assert.notEqual(a.buf, first);
    assert.notEqual(a.buf, second);
    assert.deepEqual(decodeBackend(a.type, a.buf, a.start, a.end), { type: 'CommandComplete', tag: 'SELECT 1' });
    const b = framer.next();
    assert.ok(b);
    assert.equal(b.buf, second, 'the rest of the chunk is used in place');
    assert.deepEqual(decodeBackend(b.type, b.buf, b.start, b.end), { type: 'ReadyForQuery', status: 'I' });
  });

  void test('bytes of earlier frames are never overwritten by later pushes', () => {
    const msgs: BackendMessage[] = [];
    for (let i = 0; i < 50; i++) msgs.push({ type: 'DataRow', values: [new Uint8Array(i + 1).fill(i)] });
    const bytes = encodeAll(msgs);
    const framer = new Framer();
    const kept: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 3) {
      framer.push(bytes.slice(i, i + 3));
      for (let f = framer.next(); f !== null; f = framer.next()) {
        const m = decodeBackend(f.type, f.buf, f.start, f.end);
        assert.equal(m.type, 'DataRow');
        kept.push(m.values[0]!);
      }
    }
    assert.equal(kept.length, 50);
    kept.forEach((v, i) => assert.deepEqual(v, new Uint8Array(i + 1).fill(i)));
  });

  void test('a huge declared length is not allocated before its bytes arrive', () => {
    const framer = new Framer();
    const before = process.memoryUsage().arrayBuffers;
    framer.push(header(0x64, 2 ** 30));
    framer.push(new Uint8Array(100));
    assert.equal(framer.next(), null);
    assert.equal(framer.bufferedBytes(), 105);
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 64 * 1024 * 1024, `grew by ${grown} bytes`);
  });

  void test('empty chunks are ignored', () => {
    const framer = new Framer();
    framer.push(new Uint8Array(0));
    assert.equal(framer.next(), null);
    framer.push(Uint8Array.of(0x5a, 0, 0));
    framer.push(new Uint8Array(0));
    framer.push(Uint8Array.of(0, 5, 0x49));
    const f = framer.next();
    assert.ok(f);
    assert.deepEqual(decodeBackend(f.type, f.buf, f.start, f.end), { type: 'ReadyForQuery', status: 'I' });
  });

  void test('bufferedBytes counts what has not been returned', () => {
    const bytes = encodeAll([{ type: 'ParseComplete' }, { type: 'BindComplete' }]);
    const framer = new Framer();
    assert.equal(framer.bufferedBytes(), 0);
    framer.push(bytes.slice(0, 8));
    assert.equal(framer.bufferedBytes(), 8);
    assert.ok(framer.next());
    assert.equal(framer.bufferedBytes(), 3);
    assert.equal(framer.next(), null);
    framer.push(bytes.slice(8));
    assert.equal(framer.bufferedBytes(), 5);
    assert.ok(framer.next());
    assert.equal(framer.bufferedBytes(), 0);
  });
});

void describe('Framer: declared lengths', () => {
  const bad: [string, number][] = [
    ['negative (-1)', -1],
    ['most negative', -0x80000000],
    ['zero', 0],
    ['three', 3],
  ];
  for (const [name, length] of bad) {
    void test(`a ${name} length is a ProtocolError naming the type and length`, () => {
      const framer = new Framer();
      framer.push(header(0x44, length));
      assert.throws(
        () => framer.next(),
        (err: unknown) => err instanceof ProtocolError && err.message.includes(`'D'`) && err.message.includes(String(length)),
      );
      // The error is stable: the framer does not skip ahead into garbage.
      assert.throws(() => framer.next(), ProtocolError);
    });
  }

  void test('a length over the configured cap is a ProtocolError; the cap itself is accepted', () => {
    const atCap = new Framer({ maxMessageSize: 20 });
    atCap.push(header(0x64, 20));
    atCap.push(new Uint8Array(16));
    const f = atCap.next();
    assert.ok(f);
    assert.equal(f.end - f.start, 16);

    const over = new Framer({ maxMessageSize: 20 });
    over.push(header(0x64, 21));
    assert.throws(
      () => over.next(),
      (err: unknown) => err instanceof ProtocolError && /'d'/.test(err.message) && /21/.test(err.message) && /maxMessageSize/.test(err.message),
    );
  });

  void test('over 1 GiB is rejected by default, before any body byte arrives', () => {
    for (const length of [2 ** 30 + 1, 0x7fffffff]) {
      const framer = new Framer();
      framer.push(header(0x44, length));
      assert.throws(() => framer.next(), ProtocolError);
    }
    const ok = new Framer();
    ok.push(header(0x44, 2 ** 30));
    assert.equal(ok.next(), null, 'exactly 1 GiB waits for its body');
  });

  void test('a bad length split across chunks is caught once the header is whole', () => {
    const h = header(0x54, 2);
    for (let cut = 1; cut < 5; cut++) {
      const framer = new Framer();
      framer.push(h.slice(0, cut));
      assert.equal(framer.next(), null);
      framer.push(h.slice(cut));
      assert.throws(() => framer.next(), ProtocolError, `cut at ${cut}`);
    }
  });

  void test('a bad length after good messages is still caught, and the good ones come first', () => {
    const good = encodeAll([{ type: 'NoData' }]);
    const framer = new Framer();
    framer.push(good);
    framer.push(header(0x0a, -5));
    assert.ok(framer.next());
    assert.throws(
      () => framer.next(),
      (err: unknown) => err instanceof ProtocolError && err.message.includes('0x0a') && err.message.includes('-5'),
    );
  });

  void test('random headers never crash or hang: a frame, null or a ProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), fc.integer({ min: 4, max: 64 }), (bytes, cap) => {
        const framer = new Framer({ maxMessageSize: cap });
        framer.push(bytes);
        let frames = 0;
        try {
          while (framer.next() !== null) frames++;
        } catch (err) {
          assert.ok(err instanceof ProtocolError);
        }
        assert.ok(frames <= bytes.length / 5);
      }),
    );
  });

  void test('maxMessageSize must be a sane integer', () => {
    for (const bad of [3, 0, -1, 1.5, Number.NaN, Infinity]) {
      assert.throws(() => new Framer({ maxMessageSize: bad }), InterfaceError, String(bad));
    }
    assert.equal(new Framer().maxMessageSize, 2 ** 30);
    assert.equal(new Framer({ maxMessageSize: 4 }).maxMessageSize, 4);
  });
});

void describe('Framer: the server side of startup', () => {
  function encodeFront(msgs: readonly FrontendMessage[]): Uint8Array {
    const w = new Writer(8);
    for (const m of msgs) encodeFrontend(m, w);
    return w.toBytes();
  }

  void test('an untyped StartupMessage then typed messages, split at every offset', () => {
    const first = frontendSamples[0]!.msg;
    const rest = frontendSamples.filter((s) => !untypedFrontend.has(s.msg.type) && s.context === undefined).map((s) => s.msg);
    const bytes = encodeFront([first, ...rest]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const framer = new Framer();
      const out: FrontendMessage[] = [];
      let started = false;
      for (const chunk of splitAt(bytes, [cut])) {
        framer.push(chunk);
        if (!started) {
          const f = framer.nextUntyped();
          if (f === null) continue;
          assert.equal(f.type, 0);
          out.push(decodeUntypedFrontend(f.buf, f.start, f.end));
          started = true;
        }
        for (let f = framer.next(); f !== null; f = framer.next()) out.push(decodeFrontend(f.type, f.buf, f.start, f.end));
      }
      assert.deepEqual(out, [first, ...rest], `cut at ${cut}`);
    }
  });

  void test('nextUntyped rejects a length below 4 or over the cap', () => {
    const tiny = new Framer();
    tiny.push(Uint8Array.of(0, 0, 0, 3));
    assert.throws(() => tiny.nextUntyped(), (err: unknown) => err instanceof ProtocolError && /untyped/.test(err.message));
    const big = new Framer({ maxMessageSize: 10000 });
    big.push(Uint8Array.of(0, 0, 0x27, 0x11));
    assert.throws(() => big.nextUntyped(), ProtocolError);
  });

  void test("nextByte reads the single-byte answer to SSLRequest, then messages follow", () => {
    const framer = new Framer();
    assert.equal(framer.nextByte(), -1);
    const msg = encodeAll([{ type: 'AuthenticationOk' }]);
    const bytes = new Uint8Array(1 + msg.length);
    bytes[0] = 0x4e; // 'N'
    bytes.set(msg, 1);
    framer.push(bytes.slice(0, 1));
    framer.push(bytes.slice(1, 4));
    assert.equal(framer.bufferedBytes(), 4);
    assert.equal(framer.nextByte(), 0x4e);
    assert.equal(framer.bufferedBytes(), 3);
    assert.equal(framer.next(), null);
    framer.push(bytes.slice(4));
    const f = framer.next();
    assert.ok(f);
    assert.deepEqual(decodeBackend(f.type, f.buf, f.start, f.end), { type: 'AuthenticationOk' });
  });

  void test("bytes after the SSL answer are visible through bufferedBytes", () => {
    const framer = new Framer();
    framer.push(Uint8Array.of(0x53, 0x52, 0, 0, 0, 8));
    assert.equal(framer.nextByte(), 0x53);
    assert.equal(framer.bufferedBytes(), 5, 'a client must refuse to start TLS with bytes already buffered');
  });
});
