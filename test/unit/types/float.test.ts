import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InterfaceError, ProtocolError } from '../../../src/errors/client.js';
import { float4, float8 } from '../../../src/types/builtins/float.js';
import { decode, encode, encodeHex, roundTrip } from './helpers.js';

describe('float8', () => {
  test('special values round-trip exactly', () => {
    assert.ok(Number.isNaN(roundTrip(float8, NaN)));
    assert.equal(roundTrip(float8, Infinity), Infinity);
    assert.equal(roundTrip(float8, -Infinity), -Infinity);
    assert.ok(Object.is(roundTrip(float8, -0), -0));
    assert.ok(Object.is(roundTrip(float8, 0), 0));
    assert.equal(roundTrip(float8, Number.MIN_VALUE), Number.MIN_VALUE);
    assert.equal(roundTrip(float8, Number.MAX_VALUE), Number.MAX_VALUE);
    assert.equal(encodeHex(float8, 1), '3ff0000000000000');
  });

  test('accepts numeric strings, the server spellings of the specials, and exact bigints', () => {
    assert.equal(roundTrip(float8, ' 1.5e3 '), 1500);
    assert.equal(roundTrip(float8, '.5'), 0.5);
    assert.equal(roundTrip(float8, '-Infinity'), -Infinity);
    assert.equal(roundTrip(float8, 'inf'), Infinity);
    assert.ok(Number.isNaN(roundTrip(float8, 'NaN')));
    assert.equal(roundTrip(float8, 2n ** 60n), 2 ** 60);
  });

  test('rejects what is not a number, and strings that overflow', () => {
    for (const v of ['abc', '', '1e999', 2n ** 60n + 1n, true, null, [], '0x10']) {
      assert.throws(() => encode(float8, v), (e: unknown) => e instanceof InterfaceError && e.message.startsWith('float8 expects'), String(v));
    }
  });

  test('wrong size is a ProtocolError', () => {
    assert.throws(() => decode(float8, '3ff00000'), ProtocolError);
  });

  test('property: every double round-trips bit for bit', () => {
    fc.assert(fc.property(fc.double(), (n) => Object.is(roundTrip(float8, n), n)));
  });
});

describe('float4', () => {
  test('decodes to the exact double of the float4 value', () => {
    assert.equal(roundTrip(float4, 0.1), Math.fround(0.1));
    assert.equal(roundTrip(float4, 1.5), 1.5);
    assert.ok(Object.is(roundTrip(float4, -0), -0));
    assert.ok(Number.isNaN(roundTrip(float4, NaN)));
    assert.equal(roundTrip(float4, -Infinity), -Infinity);
    assert.equal(encodeHex(float4, 1), '3f800000');
  });

  test('a finite value outside float4 range is an error, not Infinity or 0', () => {
    assert.throws(() => encode(float4, 1e39), /float4 expects .*float4 range/);
    assert.throws(() => encode(float4, -1e39), InterfaceError);
    assert.throws(() => encode(float4, 1e-50), InterfaceError);
    assert.throws(() => encode(float4, '1e39'), InterfaceError);
    assert.equal(roundTrip(float4, 3.4028234663852886e38), 3.4028234663852886e38);
    assert.equal(roundTrip(float4, 1e-45), Math.fround(1e-45));
  });

  test('property: every float32 round-trips bit for bit', () => {
    fc.assert(fc.property(fc.float(), (n) => Object.is(roundTrip(float4, n), n)));
  });
});
