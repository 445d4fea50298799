import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InterfaceError, ProtocolError } from '../../../src/errors/client.js';
import { Range } from '../../../src/types/builtins/range.js';
import { CompositeCodec } from '../../../src/types/builtins/record.js';
import type { Codec } from '../../../src/types/codec.js';
import { builtinCodecNames, checkTypeCodecOptions, namedCodec, userCodec } from '../../../src/types/custom.js';
import { aliasCodec, buildCodecs, dependencies, displayName, introspectionQuery, parseTypeInfos } from '../../../src/types/introspect.js';
import type { TypeInfo } from '../../../src/types/introspect.js';
import { Oid } from '../../../src/types/oids.js';
import { isDefaultTypeOptions, validateTypeOptions } from '../../../src/types/options.js';
import { createBuiltinRegistry } from '../../../src/types/registry.js';
import { decode, encode, roundTrip } from './helpers.js';

/** A TypeInfo with defaults for the fields a test does not care about. */
function info(p: Partial<TypeInfo> & Pick<TypeInfo, 'oid' | 'name' | 'kind'>): TypeInfo {
  return { schema: 'public', category: 'U', element: 0, array: 0, base: 0, delimiter: ',', send: '', attributes: null, subtype: 0, range: 0, seed: false, ...p };
}

const MOOD = info({ oid: 90001, name: 'mood', kind: 'e', array: 90002, send: 'enum_send' });
const MOODS = info({ oid: 90002, name: '_mood', kind: 'b', category: 'A', element: 90001, send: 'array_send' });
const POS = info({ oid: 90003, name: 'posint', kind: 'd', base: Oid.int4 });
const ITEM = info({ oid: 90004, name: 'item', kind: 'c', attributes: [{ name: 'id', oid: 90003 }, { name: 'moods', oid: 90002 }] });
const ITEMS = info({ oid: 90005, name: '_item', kind: 'b', category: 'A', element: 90004, send: 'array_send' });
const FLOATR = info({ oid: 90006, name: 'floatrange', kind: 'r', subtype: Oid.float8 });
const FLOATMR = info({ oid: 90007, name: 'floatmultirange', kind: 'm', range: 90006 });
const HSTORE = info({ oid: 90008, name: 'hstore', kind: 'b', send: 'hstore_send' });
const CITEXT = info({ oid: 90009, name: 'citext', kind: 'b', send: 'citextsend' });
const OTHER = info({ oid: 90010, name: 'geometry', kind: 'b', send: 'geometry_send' });
const ALL = new Map([MOOD, MOODS, POS, ITEM, ITEMS, FLOATR, FLOATMR, HSTORE, CITEXT, OTHER].map((i) => [i.oid, i]));

describe('the catalog query', () => {
  test('asks for OIDs (or a name) with dependencies, multiranges only where they exist', () => {
    const q14 = introspectionQuery({ multiranges: true });
    assert.match(q14, /unnest\(\$1::pg_catalog\.oid\[\]\)/);
    assert.match(q14, /rngmultitypid/);
    assert.match(q14, /WITH RECURSIVE/);
    assert.doesNotMatch(introspectionQuery({ multiranges: false }), /rngmultitypid/);
    const byName = introspectionQuery({ multiranges: true, byName: true });
    assert.match(byName, /to_regtype\(\$1::text\)/);
    assert.match(byName, /\$2::text IS NULL/);
  });

  test('parses its JSON answer and refuses a malformed one', () => {
    const rows = parseTypeInfos(JSON.stringify([
      { oid: 1, name: 'x', schema: 's', kind: 'c', category: 'C', element: 0, array: 2, base: 0, delimiter: ',', send: 'record_send', attributes: [['a', 23]], subtype: null, range: null, seed: true },
    ]));
    assert.deepEqual(rows[0]!.attributes, [{ name: 'a', oid: 23 }]);
    assert.equal(rows[0]!.subtype, 0);
    assert.equal(rows[0]!.seed, true);
    for (const bad of ['{', '{}', '[1]', '[{"oid":"x"}]', '[{"oid":1,"name":"x","schema":"s","kind":"c","category":"C","attributes":[[1]]}]']) {
      assert.throws(() => parseTypeInfos(bad), ProtocolError, bad);
    }
  });

  test('dependencies stop at known types and report what is missing', () => {
    const { all, missing } = dependencies(ALL, [90005], (o) => o < 10000);
    assert.deepEqual([...all].sort(), [90001, 90002, 90003, 90004, 90005]);
    assert.deepEqual([...missing], []);
    assert.deepEqual([...dependencies(new Map([[90005, ITEMS]]), [90005]).missing], [90004]);
  });
});

describe('codecs from the catalog', () => {
  const registry = createBuiltinRegistry();
  const made = buildCodecs(ALL, [90005, 90007, 90008, 90009, 90010], { existing: (o) => registry.get(o) });
  const get = (oid: number): Codec => made.get(oid)!;

  test('enum, domain, composite, arrays of both', () => {
    assert.equal(get(90001).name, 'public.mood');
    assert.equal(roundTrip(get(90001), 'happy'), 'happy');
    assert.equal(get(90003).oid, 90003, 'a domain keeps its own OID');
    assert.equal(roundTrip(get(90003), 5), 5);
    const item = get(90004);
    assert.ok(item instanceof CompositeCodec);
    const value = { id: 1, moods: ['sad', null] };
    assert.deepEqual(roundTrip(item, value), value);
    assert.deepEqual(roundTrip(get(90005), [value, null]), [value, null]);
    // The composite writes its attribute OIDs: the domain's own, as record_recv expects.
    assert.equal(Buffer.from(encode(item, value)).readUInt32BE(4), 90003);
  });

  test('user-defined range and multirange over the subtype codec', () => {
    const r = new Range(1.5, 2.5, '[]');
    assert.deepEqual(roundTrip(get(90006), r), r);
    assert.deepEqual(roundTrip(get(90007), [r]), [r]);
  });

  test('extension types by their send function: hstore, citext; anything else as text', () => {
    assert.deepEqual(roundTrip(get(90008), { a: 'b' }), { a: 'b' });
    assert.equal(get(90009).format, 1);
    assert.equal(get(90010).format, 0);
    assert.equal(decode(get(90010), Buffer.from('POINT(1 2)').toString('hex')), 'POINT(1 2)');
  });

  test('known types are reused; a type the catalog did not describe gets a text codec', () => {
    assert.equal(made.has(Oid.int4), false);
    const m = buildCodecs(new Map(), [12345], { existing: () => undefined });
    assert.equal(m.get(12345)?.format, 0);
    assert.equal(m.get(12345)?.name, 'oid:12345');
  });

  test('a rebuild updates a composite in place', () => {
    const old = get(90004) as CompositeCodec;
    const changed = new Map(ALL);
    changed.set(90004, { ...ITEM, attributes: [{ name: 'id', oid: 90003 }] });
    const again = buildCodecs(changed, [90004], { existing: (o) => made.get(o) ?? registry.get(o), rebuild: (o) => o === 90004 });
    assert.equal(again.get(90004), old);
    assert.deepEqual(old.attributes.map((a) => a.name), ['id']);
  });

  test('names and aliases', () => {
    assert.equal(displayName({ name: 'int4', schema: 'pg_catalog' }), 'int4');
    assert.equal(displayName({ name: 'mood', schema: 'app' }), 'app.mood');
    const alias = aliasCodec(registry.get(Oid._int4)!, 90100, 'ints');
    assert.equal(alias.oid, 90100);
    assert.equal(alias.encodeText?.([1]), '{"1"}');
  });
});

describe('custom codecs', () => {
  test('text format: the encoder\'s string out, the decoder\'s value in', () => {
    const c = userCodec(90200, 'public.money2', { encoder: (v) => `$${String(v)}`, decoder: (s) => Number(s.slice(1)) });
    assert.equal(c.format, 0);
    assert.equal(roundTrip(c, 12), 12);
    const bad = userCodec(90200, 'x', { encoder: () => 5 as unknown as string, decoder: (s) => s });
    assert.throws(() => encode(bad, 1), /returned number 5, not a string/);
    const throwing = userCodec(90200, 'x', {
      encoder: () => {
        throw new Error('boom');
      },
      decoder: (s) => s,
    });
    assert.throws(() => encode(throwing, 1), (e: unknown) => e instanceof InterfaceError && /the encoder threw: boom/.test(e.message));
  });

  test('binary format: bytes out, a Buffer in', () => {
    const c = userCodec(90201, 'x', { format: 'binary', encoder: (v) => Buffer.from([Number(v)]), decoder: (b) => b[0] });
    assert.equal(c.format, 1);
    assert.equal(roundTrip(c, 7), 7);
    const bad = userCodec(90201, 'x', { format: 'binary', encoder: () => 'str' as unknown as Uint8Array, decoder: (b) => b });
    assert.throws(() => encode(bad, 1), /not a Buffer or Uint8Array/);
  });

  test('options are checked', () => {
    assert.throws(() => checkTypeCodecOptions('', {}), /non-empty string/);
    assert.throws(() => checkTypeCodecOptions('t', { encoder: String }), /encoder and decoder must be functions/);
    assert.throws(() => checkTypeCodecOptions('t', { encoder: String, decoder: String, format: 'tuple' }), /format must be 'text' or 'binary'/);
    assert.throws(() => checkTypeCodecOptions('t', { encoder: String, decoder: String, shema: 'x' }), /unknown option "shema"/);
    checkTypeCodecOptions('t', { encoder: String, decoder: String, format: 'binary', schema: 'app' });
  });

  test('built-in codecs by name', () => {
    assert.ok(builtinCodecNames().includes('hstore'));
    assert.ok(builtinCodecNames().includes('int4'));
    assert.equal(namedCodec('int4', 90300, 'myint').oid, 90300);
    assert.equal(roundTrip(namedCodec('text', 90301, 't'), 'x'), 'x');
    assert.deepEqual(roundTrip(namedCodec('hstore', 90302, 'h'), { a: null }), { a: null });
    assert.throws(() => namedCodec('int4[]', 1, 'x'), /unknown codec "int4\[\]"/);
    assert.throws(() => namedCodec('nope', 1, 'x'), /the codecs are .*hstore/);
  });
});

describe('type options', () => {
  test('are checked key by key', () => {
    assert.deepEqual(validateTypeOptions(undefined), {});
    assert.deepEqual(validateTypeOptions({ int8: 'number', timestamps: 'string' }), { int8: 'number', timestamps: 'string' });
    assert.throws(() => validateTypeOptions({ int8: 'int' }), /types.int8 must be 'bigint', 'number' or 'string'/);
    assert.throws(() => validateTypeOptions({ timestamps: 'luxon' }), /types.timestamps must be 'date' or 'string'/);
    assert.throws(() => validateTypeOptions({ jsonParse: 'JSON.parse' }), /types.jsonParse must be a function/);
    assert.throws(() => validateTypeOptions({ int8s: 'number' }), /unknown key "int8s"/);
    assert.throws(() => validateTypeOptions([]), InterfaceError);
    assert.equal(isDefaultTypeOptions({ int8: 'bigint', timestamps: 'date' }), true);
    assert.equal(isDefaultTypeOptions({ numericDecoder: Number }), false);
  });
});
