import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InterfaceError, ProtocolError } from '../../../src/errors/client.js';
import { cid, int2, int4, int8, int8AsNumber, int8AsString, oid, xid, xid8 } from '../../../src/types/builtins/int.js';
import { decode, encode, encodeHex, roundTrip } from './helpers.js';

describe('int2 / int4', () => {
  test('range ends and sign round-trip', () => {
    for (const n of [0, 1, -1, 32767, -32768, 255, 256, -256]) assert.equal(roundTrip(int2, n), n);
    for (const n of [0, 1, -1, 2147483647, -2147483648, 65536, -65537]) assert.equal(roundTrip(int4, n), n);
  });

  test('-0 is written as 0', () => {
    assert.equal(encodeHex(int4, -0), '00000000');
    assert.ok(Object.is(roundTrip(int4, -0), 0));
  });

  test('bigint and integer strings are accepted, as the server input function does', () => {
    assert.equal(roundTrip(int4, 123n), 123);
    assert.equal(roundTrip(int4, ' -42 '), -42);
    assert.equal(roundTrip(int4, '+7'), 7);
    assert.equal(roundTrip(int2, '007'), 7);
  });

  test('out of range, fractional and non-numeric values throw InterfaceError naming the type', () => {
    const bad: [typeof int2, unknown][] = [
      [int2, 32768], [int2, -32769], [int2, 1.5], [int2, NaN], [int2, '1e3'], [int2, 40000n],
      [int4, 2147483648], [int4, -2147483649], [int4, Infinity], [int4, '12abc'], [int4, ''], [int4, true],
      [int4, null], [int4, {}], [int4, '2147483648'], [int4, 1n << 40n],
    ];
    for (const [codec, v] of bad) {
      assert.throws(() => encode(codec, v), (e: unknown) => e instanceof InterfaceError && e.message.startsWith(`${codec.name} expects an integer`), `${codec.name} ${String(v)}`);
    }
  });

  test('wrong byte counts from the server are a ProtocolError', () => {
    assert.throws(() => decode(int4, '000000'), ProtocolError);
    assert.throws(() => decode(int2, '000000'), ProtocolError);
  });

  test('property: every int2 and int4 round-trips', () => {
    fc.assert(fc.property(fc.integer({ min: -32768, max: 32767 }), (n) => roundTrip(int2, n) === n));
    fc.assert(fc.property(fc.integer(), (n) => roundTrip(int4, n) === n && roundTrip(int4, String(n)) === n));
  });
});

describe('int8', () => {
  const MAX = 2n ** 63n - 1n;
  const MIN = -(2n ** 63n);

  test('decodes to bigint over the whole range', () => {
    for (const n of [0n, 1n, -1n, MAX, MIN, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 32n, -(2n ** 32n), 4294967295n]) {
      assert.equal(roundTrip(int8, n), n);
    }
  });

  test('accepts safe integer numbers and integer strings', () => {
    assert.equal(roundTrip(int8, Number.MAX_SAFE_INTEGER), 9007199254740991n);
    assert.equal(roundTrip(int8, Number.MIN_SAFE_INTEGER), -9007199254740991n);
    assert.equal(roundTrip(int8, -1), -1n);
    assert.equal(roundTrip(int8, '-9223372036854775808'), MIN);
    assert.equal(encodeHex(int8, -2), 'fffffffffffffffe');
    assert.equal(encodeHex(int8, 4294967296), '0000000100000000');
  });

  test('rejects unsafe numbers (with a hint), fractions and out-of-range values', () => {
    assert.throws(() => encode(int8, 2 ** 60), /int8 expects .*pass integers past 2\^53 as a bigint/);
    assert.throws(() => encode(int8, 0.5), InterfaceError);
    assert.throws(() => encode(int8, MAX + 1n), InterfaceError);
    assert.throws(() => encode(int8, '9223372036854775808'), InterfaceError);
    assert.throws(() => encode(int8, 'x'), InterfaceError);
  });

  test('int8AsNumber returns numbers and throws RangeError past 2^53', () => {
    assert.equal(roundTrip(int8AsNumber, 9007199254740991n), 9007199254740991);
    assert.equal(roundTrip(int8AsNumber, -9007199254740991n), -9007199254740991);
    assert.equal(roundTrip(int8AsNumber, -5), -5);
    assert.throws(() => roundTrip(int8AsNumber, 9007199254740992n), (e: unknown) => e instanceof RangeError && /9007199254740992/.test(e.message));
    assert.throws(() => roundTrip(int8AsNumber, MIN), RangeError);
  });

  test('int8AsString returns exact decimal strings', () => {
    assert.equal(roundTrip(int8AsString, MIN), '-9223372036854775808');
    assert.equal(roundTrip(int8AsString, 12), '12');
  });

  test('property: every int64 round-trips, as bigint and as string', () => {
    fc.assert(fc.property(fc.bigInt({ min: MIN, max: MAX }), (n) => roundTrip(int8, n) === n && roundTrip(int8AsString, n) === String(n)));
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => roundTrip(int8, n) === BigInt(n) && roundTrip(int8AsNumber, n) === n));
  });
});

describe('oid / xid / cid / xid8', () => {
  test('unsigned 32-bit values round-trip', () => {
    for (const codec of [oid, xid, cid]) {
      for (const n of [0, 1, 2147483648, 4294967295]) assert.equal(roundTrip(codec, n), n);
      assert.throws(() => encode(codec, -1), InterfaceError);
      assert.throws(() => encode(codec, 4294967296), InterfaceError);
    }
    assert.equal(encodeHex(oid, 4294967295), 'ffffffff');
  });

  test('xid8 is an unsigned 64-bit bigint', () => {
    for (const n of [0n, 1n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 53n + 1n]) assert.equal(roundTrip(xid8, n), n);
    assert.equal(encodeHex(xid8, 2n ** 64n - 1n), 'ffffffffffffffff');
    assert.throws(() => encode(xid8, -1n), InterfaceError);
    assert.throws(() => encode(xid8, '-1'), InterfaceError);
    assert.throws(() => encode(xid8, 2n ** 64n), InterfaceError);
  });

  test('property: every uint32 and uint64 round-trips', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 4294967295 }), (n) => roundTrip(oid, n) === n));
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (n) => roundTrip(xid8, n) === n));
  });
});
