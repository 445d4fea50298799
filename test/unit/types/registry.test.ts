import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InterfaceError } from '../../../src/errors/client.js';
import { BUILTIN_CODECS } from '../../../src/types/builtins/index.js';
import type { Codec } from '../../../src/types/codec.js';
import { ARRAY_OID, ELEMENT_OID, Oid, TYPE_CATEGORY, TYPE_NAME } from '../../../src/types/oids.js';
import { TypeRegistry, createBuiltinRegistry } from '../../../src/types/registry.js';

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
    assert.equal(r.get(Oid.interval), undefined);
    assert.equal(r.has(Oid.interval), false);
    assert.equal(r.has(Oid.int4), true);
  });

  test('every builtin codec has a distinct OID and format 1', () => {
    const oids = BUILTIN_CODECS.map((c) => c.oid);
    assert.equal(new Set(oids).size, oids.length);
    assert.ok(BUILTIN_CODECS.every((c) => c.format === 1));
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
