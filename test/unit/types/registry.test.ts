import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InterfaceError } from '../../../src/errors/client.js';
import { BUILTIN_CODECS } from '../../../src/types/builtins/index.js';
import type { Codec } from '../../../src/types/codec.js';
import { ARRAY_OID, ELEMENT_OID, Oid, TYPE_CATEGORY, TYPE_NAME } from '../../../src/types/oids.js';
import { TypeRegistry, createBuiltinRegistry } from '../../../src/types/registry.js';
import { decode as decodeHex } from './helpers.js';

const fake = (oid: number, name = 'fake'): Codec<string> => ({
  oid,
  name,
  format: 0,
  encode: () => undefined,
  decode: () => name,
});

describe('TypeRegistry', () => {
  test('builtin registries know every basic type and its array', () => {
    const r = createBuiltinRegistry();
    for (const name of ['bool', 'bytea', 'char', 'name', 'int8', 'int2', 'int4', 'text', 'oid', 'xid', 'cid', 'xid8',
      'json', 'jsonb', 'xml', 'float4', 'float8', 'unknown', 'bpchar', 'varchar', 'numeric', 'uuid', 'date',
      'timestamp', 'timestamptz'] as const) {
      const oid = Oid[name];
      assert.equal(r.get(oid)?.oid, oid, name);
      assert.equal(r.get(oid)?.name, name);
      if (name === 'unknown') continue; // unknown has no array type
      const arrayOid = ARRAY_OID[oid]!;
      assert.equal(r.get(arrayOid)?.name, `${name}[]`);
    }
    assert.equal(r.get(Oid.int2vector)?.name, 'int2vector');
    assert.equal(r.has(Oid.int4), true);
    assert.equal(r.has(123456), false);
  });

  test('every built-in type has a codec: binary where pgjet maps it, text format otherwise', () => {
    const r = createBuiltinRegistry();
    for (const [oid, name] of Object.entries(TYPE_NAME)) {
      const c = r.get(Number(oid));
      assert.ok(c, `no codec for ${name}`);
      assert.equal(c.oid, Number(oid));
    }
    for (const name of ['interval', 'time', 'timetz', 'inet', 'cidr', 'macaddr', 'macaddr8', 'bit', 'varbit', 'point', 'line',
      'lseg', 'box', 'path', 'polygon', 'circle', 'tid', 'pg_lsn', 'pg_snapshot', 'txid_snapshot', 'jsonpath', 'void', 'record',
      'int4range', 'int8range', 'numrange', 'tsrange', 'tstzrange', 'daterange', 'int4multirange', 'datemultirange', 'refcursor', 'pg_node_tree'] as const) {
      assert.equal(r.get(Oid[name])?.format, 1, name);
    }
    for (const name of ['money', 'tsvector', 'tsquery', 'regclass', 'regtype', 'regproc', 'regprocedure', 'regoper', 'regoperator',
      'regconfig', 'regdictionary', 'regnamespace', 'regrole', 'regcollation', 'aclitem'] as const) {
      assert.equal(r.get(Oid[name])?.format, 0, name);
      const arrayOid = ARRAY_OID[Oid[name]];
      if (arrayOid !== undefined) assert.equal(r.get(arrayOid)?.format, 0, `${name}[]`);
    }
    assert.equal(r.get(Oid._box)?.encodeText?.([{ high: { x: 1, y: 1 }, low: { x: 0, y: 0 } }, null]), '{"{\\"high\\":{\\"x\\":1,\\"y\\":1},\\"low\\":{\\"x\\":0,\\"y\\":0}}";NULL}');
  });

  test('every builtin codec has a distinct OID', () => {
    const oids = BUILTIN_CODECS.map((c) => c.oid);
    assert.equal(new Set(oids).size, oids.length);
  });

  test('type options swap the mapping in the child only', () => {
    const r = createBuiltinRegistry({ int8: 'number', timestamps: 'string', numericDecoder: (s) => Number(s), jsonParse: () => 'parsed' });
    const plain = createBuiltinRegistry();
    assert.equal(decodeHex(r.get(Oid.int8)!, '000000000000002a'), 42);
    assert.equal(decodeHex(plain.get(Oid.int8)!, '000000000000002a'), 42n);
    assert.deepEqual(decodeHex(r.get(Oid._int8)!, '0000000100000000000000140000000100000001000000080000000000000007'), [7]);
    assert.equal(decodeHex(r.get(Oid.timestamptz)!, '0000000000000000'), '2000-01-01 00:00:00+00');
    assert.equal(decodeHex(r.get(Oid.numeric)!, '0001000000000000' + '0007'), 7);
    assert.equal(decodeHex(r.get(Oid.jsonb)!, '01' + Buffer.from('1').toString('hex')), 'parsed');
    const range = decodeHex(r.get(Oid.int8range)!, '12' + '00000008' + '0000000000000005') as { lower: unknown };
    assert.equal(range.lower, 5);
  });

  test('children are copy-on-write: a set never reaches the parent or a sibling', () => {
    const a = createBuiltinRegistry();
    const b = createBuiltinRegistry();
    const mine = fake(Oid.int4, 'my-int4');
    a.set(mine);
    assert.equal(a.get(Oid.int4), mine);
    assert.equal(b.get(Oid.int4)?.name, 'int4');
    assert.equal(a.parent?.get(Oid.int4)?.name, 'int4');
    const child = new TypeRegistry(a);
    assert.equal(child.get(Oid.int4), mine);
    child.set(fake(Oid.int4, 'child-int4'));
    assert.equal(a.get(Oid.int4), mine);
    const later = fake(99999, 'later');
    a.set(later);
    assert.equal(child.get(99999), later, 'a child sees what its parent gains later');
  });

  test('the shared builtin table is frozen', () => {
    const parent = createBuiltinRegistry().parent!;
    assert.ok(parent.isFrozen);
    assert.throws(() => parent.set(fake(Oid.int4)), (e: unknown) => e instanceof InterfaceError && /frozen/.test(e.message));
    assert.equal(createBuiltinRegistry().get(Oid.int4)?.name, 'int4');
  });

  test('malformed codecs are refused', () => {
    const r = new TypeRegistry();
    assert.throws(() => r.set(fake(0)), /positive 32-bit integer/);
    assert.throws(() => r.set(fake(1.5)), InterfaceError);
    assert.throws(() => r.set({ ...fake(5), format: 2 as 0 }), /format must be 0/);
    assert.equal(r.set(fake(5)).get(5)?.name, 'fake');
    assert.equal(r.get(6), undefined);
  });
});

describe('generated OID tables', () => {
  test('the documented OIDs', () => {
    const expected: Record<string, number> = {
      bool: 16, bytea: 17, char: 18, name: 19, int8: 20, int2: 21, int4: 23, text: 25, oid: 26, json: 114, xml: 142,
      float4: 700, float8: 701, bpchar: 1042, varchar: 1043, date: 1082, time: 1083, timestamp: 1114,
      timestamptz: 1184, interval: 1186, numeric: 1700, uuid: 2950, jsonb: 3802, _int4: 1007, _text: 1009,
    };
    for (const [name, oid] of Object.entries(expected)) {
      assert.equal((Oid as Record<string, number>)[name], oid, name);
      assert.equal(TYPE_NAME[oid], name);
    }
  });

  test('array and element tables agree', () => {
    assert.equal(ARRAY_OID[Oid.int4], Oid._int4);
    assert.equal(ELEMENT_OID[Oid._int4], Oid.int4);
    for (const [arrayOid, elem] of Object.entries(ELEMENT_OID)) {
      assert.equal(ARRAY_OID[elem], Number(arrayOid));
      assert.equal(TYPE_CATEGORY[Number(arrayOid)], 'A');
    }
    assert.equal(TYPE_CATEGORY[Oid.int4], 'N');
    assert.ok(Object.isFrozen(Oid));
  });
});
