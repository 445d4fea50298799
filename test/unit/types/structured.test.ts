import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InterfaceError, ProtocolError } from '../../../src/errors/client.js';
import { lowerBoundsOf, withLowerBounds } from '../../../src/types/builtins/array.js';
import { date } from '../../../src/types/builtins/datetime.js';
import { hstoreCodec } from '../../../src/types/builtins/hstore.js';
import { int4, int8 } from '../../../src/types/builtins/int.js';
import { multirangeCodec, Range, rangeCodec, textMultirangeCodec, textRangeCodec } from '../../../src/types/builtins/range.js';
import { CompositeCodec, recordCodec } from '../../../src/types/builtins/record.js';
import { textArrayCodec } from '../../../src/types/builtins/text-array.js';
import { text, textFormatCodec } from '../../../src/types/builtins/text.js';
import { OutdatedSchemaCacheError } from '../../../src/types/errors.js';
import { Oid } from '../../../src/types/oids.js';
import { createBuiltinRegistry } from '../../../src/types/registry.js';
import { decode, encode, encodeHex, roundTrip } from './helpers.js';

const hex = (s: string) => Buffer.from(s).toString('hex');

describe('Range', () => {
  const int4range = rangeCodec(int4, Oid.int4range, 'int4range');
  test('bounds, inclusivity, unbounded sides and empty', () => {
    const r = new Range(1, 10);
    assert.equal(r.toString(), '[1,10)');
    assert.equal(new Range(1, 10, '(]').toString(), '(1,10]');
    assert.equal(new Range(null, 5, '[]').toString(), '(,5]', 'an unbounded side is never inclusive');
    assert.equal(Range.empty().toString(), 'empty');
    assert.equal(new Range(null, null).lowerInfinite, true);
    assert.equal(new Range('a b', 'c').toString(), '["a b",c)');
    assert.equal(JSON.stringify(new Range(1, 2)), '"[1,2)"');
    assert.throws(() => new Range(1, 2, '[[' as never), RangeError);
  });

  test('binary round trip of every shape', () => {
    for (const r of [new Range(1, 10), new Range(1, 10, '()'), new Range(null, 5), new Range(3, null), new Range<number>(null, null), Range.empty<number>()]) {
      assert.deepEqual(roundTrip(int4range, r), r);
    }
    assert.equal(encodeHex(int4range, new Range(1, 10)), '02' + '00000004' + '00000001' + '00000004' + '0000000a');
    assert.equal(encodeHex(int4range, Range.empty()), '01');
    assert.deepEqual(roundTrip(int4range, { lower: 1, upper: 3, upperInclusive: true }), new Range(1, 3, '[]'));
    assert.deepEqual(roundTrip(int4range, { empty: true }), Range.empty());
  });

  test('errors name the bound and the range', () => {
    assert.throws(() => encode(int4range, new Range(1.5, 2)), /int4range lower bound: int4 expects an integer/);
    assert.throws(() => encode(int4range, [1, 2]), /int4range expects a Range/);
    assert.throws(() => encode(int4range, { lower: 1, bogus: 2 }), InterfaceError);
    assert.throws(() => decode(int4range, '02' + '00000008' + '00000001'), ProtocolError);
    assert.throws(() => decode(int4range, '01ff'), ProtocolError);
  });

  test('multiranges are arrays of ranges', () => {
    const multi = multirangeCodec(int8, Oid.int8multirange, 'int8multirange');
    const v = [new Range(1n, 3n), new Range(5n, null)];
    assert.deepEqual(roundTrip(multi, v), v);
    assert.deepEqual(roundTrip(multi, []), []);
    assert.throws(() => encode(multi, new Range(1n, 2n)), /an array of Range values/);
    assert.throws(() => encode(multi, [new Range(1.5, 2)]), /element \[0\] lower bound: int8 expects/);
    assert.throws(() => decode(multi, '00000009'), /claims 9 ranges/);
  });

  test('text-format ranges over a text-only subtype', () => {
    const sub = textFormatCodec(790, 'money');
    const r = textRangeCodec(sub, 99001, 'moneyrange');
    assert.equal(r.format, 0);
    assert.equal(Buffer.from(encode(r, new Range('$1.00', '$2.00'))).toString(), '["$1.00","$2.00")');
    assert.deepEqual(decode(r, hex('["$1,000.00",)')), new Range('$1,000.00', null));
    assert.deepEqual(decode(r, hex('empty')), Range.empty());
    assert.deepEqual(decode(r, hex('("a""b","c\\\\d"]')), new Range('a"b', 'c\\d', '(]'));
    assert.throws(() => decode(r, hex('[1,2')), ProtocolError);
    const m = textMultirangeCodec(sub, 99002, 'moneymultirange');
    assert.deepEqual(decode(m, hex('{[$1.00,$2.00),[$3.00,$4.00]}')), [new Range('$1.00', '$2.00'), new Range('$3.00', '$4.00', '[]')]);
    assert.equal(Buffer.from(encode(m, [new Range('1', '2')])).toString(), '{["1","2")}');
  });
});

describe('text-format arrays', () => {
  const money = textFormatCodec(790, 'money');
  const arr = textArrayCodec(money, 791, 'money[]');
  test('parse what array_out prints', () => {
    assert.deepEqual(decode(arr, hex('{}')), []);
    assert.deepEqual(decode(arr, hex('{$1.00,NULL,"$1,000.00"}')), ['$1.00', null, '$1,000.00']);
    assert.deepEqual(decode(arr, hex('{{a,b},{"c \\"d\\"",null}}')), [['a', 'b'], ['c "d"', null]], 'an unquoted NULL is NULL, in any case');
    assert.deepEqual(decode(arr, hex('{"NULL",nUlL}')), ['NULL', null]);
    assert.deepEqual(decode(arr, hex('{ a , b }')), ['a', 'b']);
    assert.deepEqual(decode(arr, hex('{é\\,x}')), ['é,x']);
    const bounded = decode(arr, hex('[0:1]={x,y}'));
    assert.deepEqual(bounded, ['x', 'y']);
    assert.deepEqual(lowerBoundsOf(bounded), [0]);
    for (const bad of ['{a', 'a}', '{"a}', '{a}}', '[0:1={a}']) assert.throws(() => decode(arr, hex(bad)), ProtocolError, bad);
  });

  test('encode a literal with every element quoted, and the box delimiter', () => {
    assert.equal(Buffer.from(encode(arr, [['1', null], ['a"b', 'c\\d']])).toString(), '{{"1",NULL},{"a\\"b","c\\\\d"}}');
    assert.equal(Buffer.from(encode(arr, withLowerBounds(['x'], [3]))).toString(), '[3:3]={"x"}');
    const semi = textArrayCodec(money, 791, 'money[]', ';');
    assert.equal(Buffer.from(encode(semi, ['a', 'b'])).toString(), '{"a";"b"}');
    assert.deepEqual(decode(semi, hex('{a;b}')), ['a', 'b']);
    assert.throws(() => encode(arr, 'x'), InterfaceError);
  });

  test('property: any nested array of strings survives literal and parse', () => {
    fc.assert(fc.property(fc.array(fc.array(fc.option(fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0'))), { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 4 }), (v) => {
      assert.deepStrictEqual(roundTrip(arr, v), v);
    }));
  });
});

describe('composites', () => {
  const attrs = [
    { name: 'id', oid: Oid.int4, codec: int4 },
    { name: 'label', oid: Oid.text, codec: text },
    { name: '__proto__', oid: Oid.date, codec: date },
  ];
  test('decode to an object keyed by attribute name, in order; encode an object or an array', () => {
    const c = new CompositeCodec(99100, 'public.item', attrs);
    assert.equal(c.format, 1);
    const v = roundTrip(c, JSON.parse('{"id":1,"label":null,"__proto__":"2024-01-01"}')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(v), ['id', 'label', '__proto__']);
    assert.equal(Object.getPrototypeOf(v), Object.prototype, '__proto__ is a plain key');
    assert.equal(v['__proto__'], '2024-01-01');
    assert.deepEqual(Object.entries(roundTrip(c, [2, 'x', null])), [['id', 2], ['label', 'x'], ['__proto__', null]]);
    assert.deepEqual(Object.entries(roundTrip(c, { id: 3 })), [['id', 3], ['label', null], ['__proto__', null]], 'a missing attribute is NULL');
    assert.equal(encodeHex(c, [1, null, null]).slice(0, 8), '00000003');
  });

  test('errors name the attribute and list the valid ones', () => {
    const c = new CompositeCodec(99100, 'public.item', attrs);
    assert.throws(() => encode(c, { id: 1, nmae: 'x' }), /public.item has no attribute "nmae"; its attributes are id, label, __proto__/);
    assert.throws(() => encode(c, { id: 1.5 }), /public.item attribute "id": int4 expects/);
    assert.throws(() => encode(c, [1]), /has 3 attributes/);
    assert.throws(() => encode(c, 'x'), /public.item expects an object keyed by attribute name/);
  });

  test('a value of another shape is an OutdatedSchemaCacheError that asks for a reload', () => {
    const c = new CompositeCodec(99100, 'public.item', attrs.slice(0, 2));
    const seen: number[] = [];
    c.onOutdated = (oid) => seen.push(oid);
    const three = encode(new CompositeCodec(99100, 'public.item', attrs), [1, 'a', null]);
    assert.throws(() => decode(c, three), (e: unknown) => e instanceof OutdatedSchemaCacheError && e.typeOid === 99100 && /3 attributes, 2 expected/.test(e.message));
    const retyped = encode(new CompositeCodec(99100, 'public.item', [attrs[0]!, { name: 'label', oid: Oid.date, codec: date }]), [1, '2024-01-01']);
    assert.throws(() => decode(c, retyped), /attribute "label" has type OID 1082, 25 expected/);
    assert.deepEqual(seen, [99100, 99100]);
    c.setAttributes(attrs);
    assert.equal((decode(c, three) as Record<string, unknown>)['id'], 1);
  });

  test('text mode when an attribute has no binary codec: record literals both ways', () => {
    const money = textFormatCodec(790, 'money');
    const c = new CompositeCodec(99101, 'public.priced', [attrs[0]!, { name: 'price', oid: 790, codec: money }, attrs[1]!]);
    assert.equal(c.format, 0);
    assert.equal(Buffer.from(encode(c, { id: 1, price: '$1.00', label: 'a "b"' })).toString(), '("1","$1.00","a \\"b\\"")');
    assert.equal(c.encodeText({ id: 1 }), '("1",,)');
    assert.deepEqual(decode(c, hex('(1,"$1,000.00",)')), { id: '1', price: '$1,000.00', label: null });
    assert.deepEqual(decode(c, hex('(1,,"")')), { id: '1', price: null, label: '' });
    assert.throws(() => decode(c, hex('(1,2)')), OutdatedSchemaCacheError);
    assert.throws(() => decode(c, hex('1,2,3')), ProtocolError);
  });

  test('anonymous records read as arrays, looking each column type up', () => {
    const registry = createBuiltinRegistry();
    const rec = recordCodec(registry);
    const bytes = '00000003' + '00000017' + '00000004' + '00000007' + '00000019' + '00000002' + hex('hi') + '00000017' + 'ffffffff';
    assert.deepEqual(decode(rec, bytes), [7, 'hi', null]);
    assert.deepEqual(decode(rec, '00000001' + '0001869f' + '00000002' + 'abcd'), [Buffer.from([0xab, 0xcd])], 'an unknown type is raw bytes');
    assert.throws(() => encode(rec, [1]), /record cannot be a parameter/);
    assert.throws(() => decode(rec, '000000ff'), /claims 255 columns/);
  });
});

describe('hstore', () => {
  const h = hstoreCodec(99200);
  test('an object of string or null values, both ways', () => {
    const v = { a: '1', b: null, 'é x': '' };
    assert.deepEqual(roundTrip(h, v), v);
    assert.deepEqual(roundTrip(h, new Map([['k', 'v']])), { k: 'v' });
    assert.deepEqual(roundTrip(h, { n: 5 }), { n: '5' });
    const proto = roundTrip(h, JSON.parse('{"__proto__":"x"}')) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(proto), Object.prototype);
    assert.equal(proto['__proto__'], 'x');
  });

  test('refuses what hstore cannot hold', () => {
    assert.throws(() => encode(h, { a: { b: 1 } }), /must be a string or null/);
    assert.throws(() => encode(h, { 'a\0': '1' }), /NUL/);
    assert.throws(() => encode(h, 'a=>1'), /hstore expects an object/);
    assert.throws(() => decode(h, '00000001' + '00000001' + '61'), ProtocolError);
  });
});
