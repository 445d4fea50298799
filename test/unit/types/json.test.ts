import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { InterfaceError, ProtocolError } from '../../../src/errors/client.js';
import { json, jsonb } from '../../../src/types/builtins/json.js';
import { decode, encode, encodeHex, roundTrip } from './helpers.js';

describe('json / jsonb', () => {
  test('values round-trip; jsonb carries version byte 1', () => {
    const values: unknown[] = [{ a: [1, 2.5, 'x', null, true] }, [], {}, 'text', 42, null, false, { 'é': '😀' }];
    for (const v of values) {
      assert.deepEqual(roundTrip(json, v), v);
      assert.deepEqual(roundTrip(jsonb, v), v);
    }
    assert.equal(encodeHex(jsonb, 1), '0131');
    assert.equal(encodeHex(json, 1), '31');
  });

  test('a JS string is always a JSON string, never JSON text', () => {
    assert.equal(Buffer.from(encode(json, '{"a":1}')).toString(), '"{\\"a\\":1}"');
    assert.equal(roundTrip(jsonb, '{"a":1}'), '{"a":1}');
  });

  test('values JSON cannot encode are rejected with the reason', () => {
    for (const codec of [json, jsonb]) {
      assert.throws(() => encode(codec, undefined), (e: unknown) => e instanceof InterfaceError && e.message.startsWith(`${codec.name} expects a value JSON.stringify can encode`));
      assert.throws(() => encode(codec, () => 1), InterfaceError);
      assert.throws(() => encode(codec, Symbol('s')), InterfaceError);
      assert.throws(() => encode(codec, 1n), /JSON.stringify/);
      assert.throws(() => encode(codec, { n: 1n }), /JSON.stringify/);
      const cyclic: { self?: unknown } = {};
      cyclic.self = cyclic;
      assert.throws(() => encode(codec, cyclic), /JSON.stringify/);
    }
  });

  test('bad bytes from the server are a ProtocolError', () => {
    assert.throws(() => decode(jsonb, '027b7d'), /jsonb version 1/);
    assert.throws(() => decode(jsonb, ''), ProtocolError);
    assert.throws(() => decode(json, '7b'), ProtocolError);
  });

  test('property: any JSON value round-trips', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      // JSON has no -0: it reads back as 0, as it would from the server.
      const expected: unknown = JSON.parse(JSON.stringify(v));
      assert.deepStrictEqual(roundTrip(json, v), expected);
      assert.deepStrictEqual(roundTrip(jsonb, v), expected);
    }));
  });
});
