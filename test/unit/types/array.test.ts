import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { InterfaceError, ProtocolError } from '../../../src/errors/client.js';
import { arrayCodec, lowerBoundsOf, withLowerBounds } from '../../../src/types/builtins/array.js';
import { bool } from '../../../src/types/builtins/bool.js';
import { bytea } from '../../../src/types/builtins/bytea.js';
import { float8 } from '../../../src/types/builtins/float.js';
import { int2, int4, int8 } from '../../../src/types/builtins/int.js';
import { jsonb } from '../../../src/types/builtins/json.js';
import { text } from '../../../src/types/builtins/text.js';
import { createBuiltinRegistry } from '../../../src/types/registry.js';
import { Oid } from '../../../src/types/oids.js';
import { decode, encode, encodeHex, roundTrip } from './helpers.js';

const int4s = arrayCodec(int4, Oid._int4, 'int4[]');
const texts = arrayCodec(text, Oid._text, 'text[]');

describe('arrays', () => {
  test('one dimension, NULLs, empty', () => {
    assert.deepEqual(roundTrip(int4s, [1, 2, 3]), [1, 2, 3]);
    assert.deepEqual(roundTrip(int4s, [1, null, 3]), [1, null, 3]);
    assert.deepEqual(roundTrip(int4s, [null]), [null]);
    assert.deepEqual(roundTrip(int4s, []), []);
    assert.equal(encodeHex(int4s, []), '000000000000000000000017');
    assert.equal(encodeHex(int4s, [7]), '00000001' + '00000000' + '00000017' + '00000001' + '00000001' + '00000004' + '00000007');
    // The has-NULL flag is set once a NULL is seen, even after the buffer grew.
    assert.equal(encodeHex(int4s, [1, null]).slice(8, 16), '00000001');
  });

  test('several dimensions map to nested arrays', () => {
    assert.deepEqual(roundTrip(int4s, [[1, 2, 3], [4, 5, 6]]), [[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(roundTrip(int4s, [[[1], [2]], [[3], [null]]]), [[[1], [2]], [[3], [null]]]);
    assert.deepEqual(roundTrip(texts, [['a', 'b'], ['c', null]]), [['a', 'b'], ['c', null]]);
    const six = [[[[[[1, 2]]]]]];
    assert.deepEqual(roundTrip(int4s, six), six);
  });

  test('empty arrays at any depth are the one empty array', () => {
    assert.deepEqual(roundTrip(int4s, [[]]), []);
    assert.deepEqual(roundTrip(int4s, [[], []]), []);
    assert.throws(() => encode(int4s, [[], [1]]), /rectangular/);
  });

  test('ragged, too deep and undefined elements are rejected with their position', () => {
    assert.throws(() => encode(int4s, [[1, 2], [3]]), /int4\[\] needs a rectangular array.*element \[1\] has length 1, expected an array of length 2/);
    assert.throws(() => encode(int4s, [[1], 2]), /element \[1\] is number 2/);
    assert.throws(() => encode(int4s, [[1], null]), /element \[1\] is null/);
    assert.throws(() => encode(int4s, [1, [2]]), /element \[1\] is an array/);
    assert.throws(() => encode(int4s, [[[[[[[1]]]]]]]), /at most 6 dimensions/);
    assert.throws(() => encode(int4s, [1, undefined]), /int4\[\] element \[1\] is undefined; use null for NULL/);
    assert.throws(() => encode(int4s, 'not an array'), (e: unknown) => e instanceof InterfaceError && e.message.startsWith('int4[] expects an array'));
  });

  test('element errors name the element and the element type', () => {
    assert.throws(() => encode(int4s, [[1, 2], [3, 'x']]), (e: unknown) =>
      e instanceof InterfaceError && /^int4\[\] element \[1\]\[1\]: int4 expects an integer/.test(e.message) && e.cause instanceof InterfaceError);
  });

  test('json elements may themselves be arrays', () => {
    const jsonbs = arrayCodec(jsonb, Oid._jsonb, 'jsonb[]', { elementsMayBeArrays: true });
    assert.deepEqual(roundTrip(jsonbs, [[1, 2], { a: [3] }, null, 'x']), [[1, 2], { a: [3] }, null, 'x']);
    const registry = createBuiltinRegistry();
    assert.deepEqual(roundTrip(registry.get(Oid._json)!, [[1], [2, 3]]), [[1], [2, 3]]);
  });

  test('lower bounds other than 1 are kept out of sight and written back; lowerBound sets the default', () => {
    const lb0 = '00000001' + '00000000' + '00000017' + '00000002' + '00000000' + '0000000400000009' + '0000000400000008';
    const v = decode(int4s, lb0);
    assert.deepEqual(v, [9, 8]);
    assert.deepEqual(lowerBoundsOf(v), [0]);
    assert.equal(JSON.stringify(v), '[9,8]');
    assert.equal(encodeHex(int4s, v), lb0);
    assert.equal(lowerBoundsOf(decode(int4s, encode(int4s, [1]))), undefined);
    const two = withLowerBounds([[1, 2], [3, 4]], [-2, 5]);
    const back = roundTrip(int4s, two);
    assert.deepEqual(back, [[1, 2], [3, 4]]);
    assert.deepEqual(lowerBoundsOf(back), [-2, 5]);
    assert.equal(int4s.encodeText!(two), '[-2:-1][5:6]={{"1","2"},{"3","4"}}');
    assert.throws(() => encode(int4s, withLowerBounds([1], [0, 0])), /1 dimension\(s\) but withLowerBounds gave 2/);
    assert.throws(() => encode(int4s, withLowerBounds([1, 2], [2147483647])), /largest array subscript/);
    assert.throws(() => withLowerBounds([1], [1.5]), RangeError);
    const vec = arrayCodec(int2, Oid.int2vector, 'int2vector', { lowerBound: 0 });
    assert.equal(encodeHex(vec, [1]).slice(32, 40), '00000000');
    assert.equal(lowerBoundsOf(roundTrip(vec, [1, 2])), undefined, 'the type default is not marked');
  });

  test('encodeText writes a literal with each element in its own text form', () => {
    assert.equal(int4s.encodeText!([[1, null], [3, 4]]), '{{"1",NULL},{"3","4"}}');
    assert.equal(texts.encodeText!(['a"b', 'c\\d', '']), '{"a\\"b","c\\\\d",""}');
    assert.throws(() => int4s.encodeText!([1, undefined]), /element \[1\] is undefined/);
  });

  test('malformed server bytes are ProtocolErrors, not crashes or huge allocations', () => {
    const head = (ndim: number, dims: string) => hexOf(ndim) + '00000000' + '00000017' + dims;
    assert.throws(() => decode(int4s, '0000000100000000'), ProtocolError);
    assert.throws(() => decode(int4s, head(7, '')), /7 dimensions/);
    assert.throws(() => decode(int4s, head(-1, '')), ProtocolError);
    assert.throws(() => decode(int4s, head(1, '')), ProtocolError);
    assert.throws(() => decode(int4s, head(1, '7fffffff00000001')), /claims 2147483647 elements/);
    assert.throws(() => decode(int4s, head(2, '0001000000000001' + '0001000000000001')), ProtocolError);
    assert.throws(() => decode(int4s, head(1, 'ffffffff00000001')), ProtocolError);
    assert.throws(() => decode(int4s, head(1, '0000000100000001') + '00000008' + '00000001'), /element of length 8/);
    assert.throws(() => decode(int4s, head(1, '0000000100000001') + '00000004' + '00000001' + 'ff'), /bytes after its last element/);
    assert.throws(() => decode(int4s, head(1, '0000000100000001') + 'fffffffe'), ProtocolError);
    assert.throws(() => decode(int4s, head(1, '0000000100000001') + '000000020001'), ProtocolError);
  });

  test('property: nested arrays of any shape round-trip', () => {
    const shapes = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 });
    fc.assert(fc.property(shapes, fc.infiniteStream(fc.option(fc.integer(), { freq: 5 })), (dims, values) => {
      const build = (level: number): unknown[] =>
        Array.from({ length: dims[level]! }, () => (level === dims.length - 1 ? values.next().value : build(level + 1)));
      const v = build(0);
      assert.deepStrictEqual(roundTrip(int4s, v), v);
    }));
  });

  test('property: arrays of other element types round-trip', () => {
    const cases: [ReturnType<typeof arrayCodec>, fc.Arbitrary<unknown>, (v: unknown) => unknown][] = [
      [arrayCodec(int8, Oid._int8, 'int8[]'), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => v],
      [arrayCodec(float8, Oid._float8, 'float8[]'), fc.double(), (v) => v],
      [arrayCodec(bool, Oid._bool, 'bool[]'), fc.boolean(), (v) => v],
      [texts, fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')), (v) => v],
      [arrayCodec(bytea, Oid._bytea, 'bytea[]'), fc.uint8Array({ maxLength: 8 }), (v) => Buffer.from(v as Uint8Array)],
    ];
    for (const [codec, element, expect] of cases) {
      fc.assert(fc.property(fc.array(fc.option(element)), (arr) => {
        assert.deepStrictEqual(roundTrip(codec, arr), arr.map((x) => (x === null ? null : expect(x))));
      }));
    }
  });
});

function hexOf(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
