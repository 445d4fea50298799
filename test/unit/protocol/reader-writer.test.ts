import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import { InterfaceError, ProtocolError } from '../../../src/errors/client.js';

void describe('Writer', () => {
  void test('writes big-endian integers and floats', () => {
    const w = new Writer();
    w.int8(0x1ff).int16(-2).uint16(0xfffe).int32(-3).uint32(0xfffffffd).int64(-4n).float32(1.5).float64(-0.1);
    const expected = new Uint8Array(1 + 2 + 2 + 4 + 4 + 8 + 4 + 8);
    const v = new DataView(expected.buffer);
    v.setUint8(0, 0xff);
    v.setInt16(1, -2);
    v.setUint16(3, 0xfffe);
    v.setInt32(5, -3);
    v.setUint32(9, 0xfffffffd);
    v.setBigInt64(13, -4n);
    v.setFloat32(21, 1.5);
    v.setFloat64(25, -0.1);
    assert.deepEqual(w.toBytes(), expected);
  });

  void test('grows from any initial size, including 0 and 1, keeping earlier bytes', () => {
    for (const initial of [0, 1, 3, 4096]) {
      const w = new Writer(initial);
      for (let i = 0; i < 10_000; i++) w.int16(i);
      assert.equal(w.length, 20_000);
      const r = new Reader(w.buf, 0, w.length);
      for (let i = 0; i < 10_000; i++) assert.equal(r.int16(), i);
      assert.ok(w.buf.length >= w.length);
    }
  });

  void test('strings are UTF-8, with room for the widest characters', () => {
    const w = new Writer(1);
    const s = '€𝄞ab\u{10FFFF}';
    w.cstring(s).string(s);
    const bytes = new TextEncoder().encode(s);
    assert.deepEqual(w.toBytes(), Uint8Array.from([...bytes, 0, ...bytes]));
  });

  void test('a message length is back-patched to count itself and the body', () => {
    const w = new Writer(2);
    w.startMessage(0x51).cstring('select 1').endMessage();
    w.startUntyped().int32(1).endMessage();
    assert.deepEqual(w.toBytes(), Uint8Array.from([0x51, 0, 0, 0, 13, ...new TextEncoder().encode('select 1'), 0, 0, 0, 0, 8, 0, 0, 0, 1]));
  });

  void test('reserveLength and patchLength, with and without the length itself', () => {
    const w = new Writer();
    const a = w.reserveLength();
    w.int16(7);
    const b = w.reserveLength();
    w.bytes(Uint8Array.of(1, 2, 3));
    w.patchLength(b, false);
    w.patchLength(a);
    assert.deepEqual(w.toBytes(), Uint8Array.of(0, 0, 0, 13, 0, 7, 0, 0, 0, 3, 1, 2, 3));
  });

  void test('a second startMessage, or endMessage with none open, is an InterfaceError', () => {
    const w = new Writer();
    w.startMessage(0x51);
    assert.throws(() => w.startMessage(0x51), InterfaceError);
    assert.throws(() => w.startUntyped(), InterfaceError);
    w.endMessage();
    assert.throws(() => w.endMessage(), InterfaceError);
  });

  void test('abortMessage drops a half-written message and allows a new one', () => {
    const w = new Writer();
    w.startMessage(0x53).endMessage();
    w.startMessage(0x42).cstring('half');
    w.abortMessage();
    assert.deepEqual(w.toBytes(), Uint8Array.of(0x53, 0, 0, 0, 4));
    w.startUntyped().int32(9);
    w.abortMessage();
    w.abortMessage(); // nothing open: no effect
    w.startMessage(0x48).endMessage();
    assert.deepEqual(w.toBytes(), Uint8Array.of(0x53, 0, 0, 0, 4, 0x48, 0, 0, 0, 4));
  });

  void test('a length beyond Int32 is refused and the message dropped, never wrapped', () => {
    const w = new Writer();
    w.startMessage(0x53).endMessage();
    w.startMessage(0x64);
    // Pretend 2 GiB were written; the check must fire before any byte is patched.
    w.length += 0x80000000;
    assert.throws(() => w.endMessage(), (err: unknown) => err instanceof InterfaceError && /Int32/.test(err.message));
    assert.equal(w.length, 5);
    w.startMessage(0x48).endMessage();
    assert.equal(w.length, 10);
  });

  void test('take returns the bytes, resets, and lets a huge backing store go', () => {
    const w = new Writer(16);
    w.int32(5);
    assert.deepEqual(w.take(), Uint8Array.of(0, 0, 0, 5));
    assert.equal(w.length, 0);
    w.bytes(new Uint8Array(2 << 20));
    assert.equal(w.take().length, 2 << 20);
    assert.equal(w.buf.length, 16, 'the 2 MiB buffer is not kept');
    w.int8(1);
    assert.deepEqual(w.toBytes(), Uint8Array.of(1));
    w.startMessage(0x53);
    assert.throws(() => w.take(), InterfaceError);
  });

  void test('toBytes is a copy; reset forgets everything', () => {
    const w = new Writer();
    w.int8(1);
    const copy = w.toBytes();
    w.buf[0] = 9;
    assert.equal(copy[0], 1);
    w.startMessage(0x51);
    w.reset();
    assert.equal(w.length, 0);
    w.startMessage(0x51).endMessage();
    assert.equal(w.length, 5);
  });
});

void describe('Reader', () => {
  void test('reads what the Writer wrote (property)', () => {
    type Op =
      | { k: 'int8'; v: number }
      | { k: 'int16'; v: number }
      | { k: 'uint16'; v: number }
      | { k: 'int32'; v: number }
      | { k: 'uint32'; v: number }
      | { k: 'int64'; v: bigint }
      | { k: 'float64'; v: number }
      | { k: 'cstring'; v: string }
      | { k: 'bytes'; v: Uint8Array };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.integer({ min: 0, max: 255 }).map((v): Op => ({ k: 'int8', v })),
      fc.integer({ min: -0x8000, max: 0x7fff }).map((v): Op => ({ k: 'int16', v })),
      fc.integer({ min: 0, max: 0xffff }).map((v): Op => ({ k: 'uint16', v })),
      fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((v): Op => ({ k: 'int32', v })),
      fc.integer({ min: 0, max: 0xffffffff }).map((v): Op => ({ k: 'uint32', v })),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v): Op => ({ k: 'int64', v })),
      fc.double().map((v): Op => ({ k: 'float64', v })),
      fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0')).map((v): Op => ({ k: 'cstring', v })),
      fc.uint8Array({ maxLength: 20 }).map((v): Op => ({ k: 'bytes', v })),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), fc.nat({ max: 7 }), (ops, pad) => {
        const w = new Writer(1);
        for (let i = 0; i < pad; i++) w.int8(0xee);
        for (const o of ops) {
          switch (o.k) {
            case 'int8': w.int8(o.v); break;
            case 'int16': w.int16(o.v); break;
            case 'uint16': w.uint16(o.v); break;
            case 'int32': w.int32(o.v); break;
            case 'uint32': w.uint32(o.v); break;
            case 'int64': w.int64(o.v); break;
            case 'float64': w.float64(o.v); break;
            case 'cstring': w.cstring(o.v); break;
            case 'bytes': w.int32(o.v.length).bytes(o.v); break;
          }
        }
        // Read through a subarray so a non-zero byteOffset is exercised.
        const view = w.toBytes().subarray(pad);
        const r = new Reader(view);
        for (const o of ops) {
          switch (o.k) {
            case 'int8': assert.equal(r.uint8(), o.v); break;
            case 'int16': assert.equal(r.int16(), o.v); break;
            case 'uint16': assert.equal(r.uint16(), o.v); break;
            case 'int32': assert.equal(r.int32(), o.v); break;
            case 'uint32': assert.equal(r.uint32(), o.v); break;
            case 'int64': assert.equal(r.int64(), o.v); break;
            case 'float64': assert.equal(Object.is(r.float64(), o.v), true); break;
            case 'cstring': assert.equal(r.cstring(), o.v); break;
            case 'bytes': assert.deepEqual(r.bytes(r.int32()), o.v); break;
          }
        }
        r.expectEnd('ops');
      }),
    );
  });

  void test('every read past the end is a ProtocolError and does not move', () => {
    const buf = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    const reads: [string, (r: Reader) => unknown, number][] = [
      ['uint8', (r) => r.uint8(), 1],
      ['int16', (r) => r.int16(), 2],
      ['uint16', (r) => r.uint16(), 2],
      ['int32', (r) => r.int32(), 4],
      ['uint32', (r) => r.uint32(), 4],
      ['int64', (r) => r.int64(), 8],
      ['float32', (r) => r.float32(), 4],
      ['float64', (r) => r.float64(), 8],
      ['bytes(3)', (r) => r.bytes(3), 3],
      ['string(3)', (r) => r.string(3), 3],
    ];
    for (const [name, read, size] of reads) {
      for (let avail = 0; avail < size; avail++) {
        const r = new Reader(buf, 2, 2 + avail);
        assert.throws(() => read(r), ProtocolError, `${name} with ${avail} byte(s)`);
        assert.equal(r.pos, 2);
      }
      const r = new Reader(buf, 2, 2 + size);
      read(r);
      assert.equal(r.remaining(), 0, name);
    }
  });

  void test('a negative byte count is a ProtocolError', () => {
    const r = new Reader(new Uint8Array(8));
    assert.throws(() => r.bytes(-1), ProtocolError);
  });

  void test('a String must end with a NUL inside the range', () => {
    const buf = Uint8Array.of(0x61, 0x62, 0, 0x63);
    assert.equal(new Reader(buf).cstring(), 'ab');
    assert.throws(() => new Reader(buf, 0, 2).cstring(), ProtocolError);
    assert.throws(() => new Reader(buf, 3).cstring(), ProtocolError);
    const empty = new Reader(buf, 2, 3);
    assert.equal(empty.cstring(), '');
    empty.expectEnd('empty');
  });

  void test('bytes and rest are views, not copies', () => {
    const buf = Uint8Array.of(1, 2, 3, 4);
    const r = new Reader(buf, 1);
    const b = r.bytes(1);
    const rest = r.rest();
    buf[1] = 20;
    buf[3] = 40;
    assert.deepEqual([...b], [20]);
    assert.deepEqual([...rest], [3, 40]);
    assert.equal(r.remaining(), 0);
  });

  void test('expectEnd reports trailing bytes', () => {
    const r = new Reader(Uint8Array.of(1, 2, 3));
    r.uint8();
    assert.throws(() => r.expectEnd('Thing'), (err: unknown) => err instanceof ProtocolError && /Thing: 2 unexpected/.test(err.message));
  });

  void test('a range outside the buffer is refused up front', () => {
    const buf = new Uint8Array(4);
    assert.throws(() => new Reader(buf, -1, 2), ProtocolError);
    assert.throws(() => new Reader(buf, 0, 5), ProtocolError);
    assert.throws(() => new Reader(buf, 3, 2), ProtocolError);
    assert.equal(new Reader(buf, 4, 4).remaining(), 0);
  });
});
