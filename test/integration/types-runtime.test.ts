/**
 * Types found at run time (enums, domains, composites, ranges, extension
 * types), the catalog lookups behind them, custom codecs, the type options,
 * and parameters refused before anything is sent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, DataError, InterfaceError, Interval, OutdatedSchemaCacheError, ParameterError, PreciseDate, Range, TypeCache } from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import { TypeResolver } from '../../src/connection/type-resolver.js';
import { testDsn } from './harness.js';

/** Count the catalog lookups a connection sends from now on. */
function countLookups(conn: Connection): { readonly count: number } {
  const counter = { count: 0 };
  const core = conn.core;
  const enqueue = core.enqueue.bind(core);
  core.enqueue = (req, write, exclusive) => {
    if (req.constructor.name === 'IntrospectionRequest') counter.count++;
    enqueue(req, write, exclusive);
  };
  return counter;
}

describe('types found at run time', () => {
  let conn: Connection;
  let major = 0;
  const schema = `pgjet_types_${process.pid}`;
  before(async () => {
    conn = await connect(testDsn());
    major = conn.getServerVersion().major;
    await conn.execute(`
      DROP SCHEMA IF EXISTS ${schema} CASCADE;
      CREATE SCHEMA ${schema};
      SET search_path = ${schema}, public;
      CREATE EXTENSION IF NOT EXISTS hstore SCHEMA public;
      CREATE EXTENSION IF NOT EXISTS citext SCHEMA public;
      CREATE EXTENSION IF NOT EXISTS cube SCHEMA public;
      CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'très ✓');
      CREATE DOMAIN posint AS int4 CHECK (VALUE > 0);
      CREATE DOMAIN smallints AS int2[];
      CREATE TYPE floatrange AS RANGE (subtype = float8);
      CREATE TYPE inner_t AS (m mood, n posint);
      CREATE TYPE outer_t AS (id int8, inner_v inner_t, inners inner_t[], span floatrange, tags text[], at timestamptz);
      CREATE TABLE people (id int PRIMARY KEY, name text, mood mood);
      INSERT INTO people VALUES (1, 'Ann', 'happy'), (2, 'Bo', NULL);
    `);
  });
  after(async () => {
    await conn.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await conn.close();
  });

  test('enums and arrays of enums, both ways', async () => {
    assert.equal(await conn.fetchVal(`SELECT 'happy'::mood`), 'happy');
    assert.deepEqual(await conn.fetchVal('SELECT $1::mood[]', ['sad', null, 'très ✓']), ['sad', null, 'très ✓']);
    assert.deepEqual(await conn.fetch('SELECT * FROM people ORDER BY id'), [
      { id: 1, name: 'Ann', mood: 'happy' },
      { id: 2, name: 'Bo', mood: null },
    ]);
    await assert.rejects(conn.fetchVal('SELECT $1::mood', 'angry'), (e: unknown) => e instanceof DataError && /invalid input value for enum/.test((e as Error).message));
  });

  test('domains use their base codec; the server enforces the constraint', async () => {
    assert.equal(await conn.fetchVal('SELECT $1::posint', 5), 5);
    await assert.rejects(conn.fetchVal('SELECT $1::posint', -5), /violates check constraint/);
    await assert.rejects(conn.fetchVal('SELECT $1::posint', 1.5), (e: unknown) => e instanceof ParameterError && /parameter \$1 \(.*posint\): int4 expects an integer/.test((e as Error).message));
    assert.deepEqual(await conn.fetchVal('SELECT $1::posint[]', [1, 2]), [1, 2]);
    assert.deepEqual(await conn.fetchVal('SELECT $1::smallints', [[1, 2], [3, 4]]), [[1, 2], [3, 4]]);
  });

  test('nested composites, arrays of composites, ranges inside', async () => {
    const inner = { m: 'ok', n: 7 };
    const at = new PreciseDate('2024-05-06T07:08:09.123456Z');
    const value = { id: 12345678901234567n, inner_v: inner, inners: [inner, null, { m: null, n: null }], span: new Range(0.5, 1.5, '[]'), tags: ['a', 'b c'], at };
    const back = (await conn.fetchVal('SELECT $1::outer_t', value)) as typeof value;
    assert.deepEqual(back, value);
    assert.ok(back.at instanceof PreciseDate);
    assert.deepEqual(await conn.fetchVal('SELECT $1::outer_t[]', [value, null]), [value, null]);
    assert.deepEqual(await conn.fetchVal(`SELECT ROW(NULL, NULL, '{}', 'empty', '{}', NULL)::outer_t`), {
      id: null, inner_v: null, inners: [], span: Range.empty(), tags: [], at: null,
    });
    // A table's row type is a composite too.
    assert.deepEqual(await conn.fetchVal('SELECT p FROM people p WHERE id = 1'), { id: 1, name: 'Ann', mood: 'happy' });
    // An array of values in attribute order works as well as an object.
    assert.deepEqual(await conn.fetchVal('SELECT $1::inner_t', ['sad', 1]), { m: 'sad', n: 1 });
  });

  test('a composite parameter with a string the binary codec refuses goes as a record literal', async () => {
    await conn.execute('CREATE TYPE shift AS (during interval, note text)');
    assert.deepEqual(await conn.fetchVal('SELECT $1::shift', { during: '1 day 02:00', note: 'x "y"' }), {
      during: new Interval(0, 1, 7200000000n),
      note: 'x "y"',
    });
  });

  test('composite mistakes are DataErrors naming the attribute, before anything is sent', async () => {
    await assert.rejects(conn.fetchVal('SELECT $1::inner_t', { m: 'ok', nn: 1 }), (e: unknown) =>
      e instanceof ParameterError && /parameter \$1: .*inner_t has no attribute "nn"; its attributes are m, n/.test((e as Error).message));
    await assert.rejects(conn.fetchVal('SELECT $1::record', [1]), ParameterError);
    assert.equal(await conn.fetchVal('SELECT 1'), 1);
  });

  test('anonymous records read as arrays', async () => {
    assert.deepEqual(await conn.fetchVal(`SELECT ROW(1, 'a'::text, NULL::int, 'ok'::mood, ARRAY[1.5]::float8[])`), [1, 'a', null, 'ok', [1.5]]);
  });

  test('user-defined ranges and multiranges', async (t) => {
    assert.deepEqual(await conn.fetchVal('SELECT $1::floatrange', new Range(1.5, 2.5)), new Range(1.5, 2.5));
    assert.deepEqual(await conn.fetchVal(`SELECT '(,3]'::floatrange`), new Range(null, 3, '(]'));
    if (major < 14) return t.skip('multiranges need PostgreSQL 14');
    const mr = [new Range(1, 2), new Range(3, 4, '[]')];
    assert.deepEqual(await conn.fetchVal('SELECT $1::floatmultirange', mr), mr);
    assert.deepEqual(await conn.fetchVal(`SELECT '{[1,3), [5,7)}'::int4multirange`), [new Range(1, 3), new Range(5, 7)]);
  });

  test('extension types: hstore binary, citext as text, others as the server text', async () => {
    const h = { a: '1', b: null, 'key with spaces': 'é' };
    assert.deepEqual(await conn.fetchVal('SELECT $1::hstore', h), h);
    assert.deepEqual(await conn.fetchVal(`SELECT 'x=>y'::hstore`), { x: 'y' });
    assert.deepEqual(await conn.fetchVal('SELECT $1::hstore[]', [h, null]), [h, null]);
    assert.equal(await conn.fetchVal(`SELECT $1::citext = 'ABC'`, 'abc'), true);
    assert.equal(await conn.fetchVal(`SELECT 'MiXed'::citext`), 'MiXed');
    assert.equal(await conn.fetchVal(`SELECT '(1,2)'::cube`), '(1, 2)');
    assert.equal(await conn.fetchVal('SELECT $1::cube', '(3, 4)'), '(3, 4)');
    assert.deepEqual(await conn.fetchVal(`SELECT ARRAY['(1)'::cube, NULL]`), ['(1)', null]);
  });

  test('one catalog query per batch of new types, none once known', async () => {
    const c = await connect(testDsn(), { serverSettings: { search_path: `${schema}, public` } });
    try {
      const lookups = countLookups(c);
      const [a, b, d] = await Promise.all([
        c.fetchVal(`SELECT 'ok'::mood`),
        c.fetchVal('SELECT $1::outer_t', { id: 1n }),
        c.fetchVal(`SELECT ARRAY['[1,2)'::floatrange]`),
      ]);
      assert.equal(a, 'ok');
      assert.equal((b as { id: bigint }).id, 1n);
      assert.deepEqual(d, [new Range(1, 2)]);
      assert.equal(lookups.count, 1, 'three statements, one lookup');
      await c.fetchVal(`SELECT 'sad'::mood, $1::inner_t`, { m: 'sad', n: 1 });
      assert.equal(lookups.count, 1, 'nothing new: no lookup');

      // A second connection sharing the cache (as a pool's connections do) builds codecs without asking the server.
      const shared = new TypeCache();
      c.types.useCache(shared);
      assert.ok(shared.size >= 5, 'what the first connection learnt is shared');
      const other = await connect(testDsn(), { serverSettings: { search_path: `${schema}, public` } });
      try {
        other.types.useCache(shared);
        const otherLookups = countLookups(other);
        const v = { id: 2n, inner_v: { m: 'sad', n: 3 }, inners: [], span: new Range(1, 2), tags: null, at: null };
        assert.deepEqual(await other.fetchVal('SELECT $1::outer_t', v), v);
        assert.equal(otherLookups.count, 0);
        // A resolver of its own over the same cache, after its codec is gone, needs no query either.
        const oid = Number(await other.fetchVal(`SELECT 'outer_t'::regtype::oid`));
        other.registry.delete(oid);
        await new TypeResolver(other.core, other.registry, shared).ensure([oid]);
        assert.equal(otherLookups.count, 0);
        assert.equal(other.registry.get(oid)?.name, `${schema}.outer_t`);
      } finally {
        await other.close();
      }
    } finally {
      await c.close();
    }
  });

  test('the lookup leaves jit as it was, inside a transaction or not', async () => {
    const c = await connect(testDsn(), { serverSettings: { search_path: `${schema}, public`, jit: 'off' } });
    try {
      await c.execute('BEGIN');
      await c.execute('SET LOCAL jit = on');
      assert.equal(await c.fetchVal(`SELECT 'happy'::mood`), 'happy');
      assert.equal(await c.fetchVal(`SELECT current_setting('jit')`), 'on');
      await c.execute('COMMIT');
      assert.equal(await c.fetchVal(`SELECT current_setting('jit')`), 'off');
      await c.execute('SET jit = on');
      assert.equal(await c.fetchVal(`SELECT ARRAY['[1,2]'::floatrange]::text`), '{"[1,2]"}');
      assert.equal(await c.fetchVal(`SELECT $1::inner_t`, { m: 'ok' }).then(() => c.fetchVal(`SELECT current_setting('jit')`)), 'on');
    } finally {
      await c.close();
    }
  });

  test('ALTER TYPE is picked up: a changed shape reloads the type, reloadSchemaState() reloads everything', async () => {
    await conn.execute('CREATE TYPE point3 AS (x int, y int)');
    assert.deepEqual(await conn.fetchVal('SELECT ROW(1, 2)::point3'), { x: 1, y: 2 });
    await conn.execute('ALTER TYPE point3 ADD ATTRIBUTE z mood');
    const sql = `SELECT ROW(1, 2, 'ok')::point3`;
    await assert.rejects(conn.fetchVal(sql), (e: unknown) => e instanceof OutdatedSchemaCacheError && /point3 does not match its definition/.test((e as Error).message));
    assert.deepEqual(await conn.fetchVal(sql), { x: 1, y: 2, z: 'ok' }, 'the next run reads the new shape');
    await conn.execute('ALTER TYPE point3 RENAME ATTRIBUTE x TO xx');
    await conn.reloadSchemaState();
    assert.deepEqual(await conn.fetchVal(sql), { xx: 1, y: 2, z: 'ok' });
    assert.deepEqual(await conn.fetchVal('SELECT $1::point3', { xx: 5, z: 'sad' }), { xx: 5, y: null, z: 'sad' });
  });

  test('setTypeCodec, resetTypeCodec and setBuiltinTypeCodec', async () => {
    await conn.setTypeCodec('mood', { encoder: (v) => String(v).toLowerCase(), decoder: (s) => s.toUpperCase() });
    assert.equal(await conn.fetchVal(`SELECT 'ok'::mood`), 'OK');
    assert.deepEqual(await conn.fetchVal('SELECT $1::mood[]', ['SAD']), ['SAD']);
    // A text-format attribute puts the composite in text format: its other attributes read as the server's text.
    assert.deepEqual(await conn.fetchVal(`SELECT ROW('ok', 1)::inner_t`), { m: 'OK', n: '1' });
    await conn.setTypeCodec('mood', {
      format: 'binary',
      encoder: (v) => Buffer.from(String(v).toLowerCase()),
      decoder: (b) => `<${b.toString()}>`,
    });
    assert.deepEqual(await conn.fetchVal(`SELECT ROW('ok', 1)::inner_t`), { m: '<ok>', n: 1 }, 'composites pick it up');
    assert.deepEqual(await conn.fetchVal('SELECT $1::inner_t', { m: 'HAPPY', n: 2 }), { m: '<happy>', n: 2 });
    await conn.resetTypeCodec('mood');
    assert.equal(await conn.fetchVal(`SELECT 'ok'::mood`), 'ok');
    assert.deepEqual(await conn.fetchVal(`SELECT ROW('ok', 1)::inner_t`), { m: 'ok', n: 1 });

    await conn.setTypeCodec('int8', { schema: 'pg_catalog', format: 'binary', encoder: (v) => Buffer.from(BigInt.asUintN(64, BigInt(v as number)).toString(16).padStart(16, '0'), 'hex'), decoder: (b) => `#${b.readBigInt64BE()}` });
    assert.equal(await conn.fetchVal('SELECT $1::int8', 41), '#41');
    assert.deepEqual(await conn.fetchVal('SELECT ARRAY[1,2]::int8[]'), ['#1', '#2']);
    await conn.resetTypeCodec('int8', { schema: 'pg_catalog' });
    assert.equal(await conn.fetchVal('SELECT 41::int8'), 41n);

    await conn.setBuiltinTypeCodec('mood', { codecName: 'text' });
    assert.equal(await conn.fetchVal(`SELECT 'sad'::mood`), 'sad');
    await assert.rejects(conn.setBuiltinTypeCodec('mood', { codecName: 'nope' }), /unknown codec "nope"/);
    await assert.rejects(conn.setTypeCodec('no_such_type', { encoder: String, decoder: String }), (e: unknown) =>
      e instanceof InterfaceError && /there is no type "no_such_type" in the search_path/.test((e as Error).message));
    await assert.rejects(conn.setTypeCodec('mood', { encoder: String } as never), /encoder and decoder must be functions/);
    await conn.resetTypeCodec('mood');
  });
});

describe('type options', () => {
  test('int8 as number (RangeError past 2^53) or string', async () => {
    const c = await connect(testDsn(), { types: { int8: 'number' } });
    try {
      assert.equal(await c.fetchVal('SELECT 42::int8'), 42);
      assert.deepEqual(await c.fetchVal('SELECT ARRAY[1,2]::int8[]'), [1, 2]);
      assert.deepEqual(await c.fetchVal(`SELECT '[1,5)'::int8range`), new Range(1, 5));
      await assert.rejects(c.fetchVal('SELECT 9007199254740993::int8'), (e: unknown) => e instanceof RangeError && /outside JavaScript's safe integer range/.test((e as Error).message));
      assert.equal(await c.fetchVal('SELECT 1::int8'), 1, 'the connection is still usable');
      assert.equal(await c.fetchVal('SELECT $1::int8::text', 9007199254740993n), '9007199254740993', 'a bigint parameter is accepted whatever the mapping');
    } finally {
      await c.close();
    }
    const s = await connect(testDsn(), { types: { int8: 'string' } });
    try {
      assert.equal(await s.fetchVal('SELECT 9223372036854775807::int8'), '9223372036854775807');
      assert.equal(await s.fetchVal('SELECT $1::int8', '-5'), '-5');
    } finally {
      await s.close();
    }
  });

  test('numeric decoder, JSON functions, timestamps as strings', async () => {
    class Dec {
      constructor(readonly text: string) {}
      toString(): string {
        return this.text;
      }
    }
    const c = await connect(testDsn(), {
      types: {
        numericDecoder: (s) => new Dec(s),
        jsonParse: (s) => ({ parsed: s }),
        jsonStringify: (v) => JSON.stringify({ wrapped: v }),
        timestamps: 'string',
      },
    });
    try {
      const d = (await c.fetchVal('SELECT 12.50::numeric')) as Dec;
      assert.ok(d instanceof Dec);
      assert.equal(d.text, '12.50');
      assert.equal(((await c.fetchVal('SELECT $1::numeric', new Dec('0.1'))) as Dec).text, '0.1');
      assert.deepEqual(await c.fetchVal(`SELECT '[1]'::jsonb`), { parsed: '[1]' });
      assert.deepEqual(await c.fetchVal('SELECT $1::jsonb::text', 5), '{"wrapped": 5}');
      assert.equal(await c.fetchVal(`SELECT '294276-12-31 23:59:59.999999+00'::timestamptz`), '294276-12-31 23:59:59.999999+00');
      assert.equal(await c.fetchVal(`SELECT '0044-03-15 12:00:00.5 BC'::timestamp`), '0044-03-15 12:00:00.5 BC');
      assert.equal(await c.fetchVal(`SELECT 'infinity'::timestamptz`), 'infinity');
      assert.equal(await c.fetchVal('SELECT $1::timestamptz', '2024-05-06 07:08:09.123456+02'), '2024-05-06 05:08:09.123456+00');
    } finally {
      await c.close();
    }
  });

  test('a bad option is refused at connect', async () => {
    await assert.rejects(connect(testDsn(), { types: { int8: 'int' as never } }), /types.int8 must be 'bigint', 'number' or 'string'/);
  });
});

describe('bad parameters', () => {
  let conn: Connection;
  before(async () => {
    conn = await connect(testDsn());
    await conn.execute('CREATE TEMP TABLE bad_params (i int4, s int2, t text, at timestamptz)');
  });
  after(async () => {
    await conn.close();
  });

  test('are DataErrors naming $n, the type and the problem, thrown before anything is sent', async () => {
    await conn.execute('BEGIN');
    const cases: [unknown[], RegExp][] = [
      [[1.5, 1, 'x', null], /^parameter \$1: int4 expects an integer .* got number 1\.5$/],
      [[2 ** 40, 1, 'x', null], /^parameter \$1: int4 expects an integer from -2147483648 to 2147483647/],
      [[1, 70000, 'x', null], /^parameter \$2: int2 expects an integer from -32768 to 32767/],
      [[1, 1, 'a\0b', null], /^parameter \$3: text expects a string without NUL characters/],
      [[1, 1, 'x', new Date(NaN)], /^parameter \$4: timestamptz expects a valid Date .* got an invalid Date/],
      [[1, 1, {}, null], /^parameter \$3: text expects a string/],
    ];
    for (const [args, pattern] of cases) {
      await assert.rejects(conn.execute('INSERT INTO bad_params VALUES ($1, $2, $3, $4)', ...args), (e: unknown) => {
        assert.ok(e instanceof ParameterError, String(e));
        assert.ok(e instanceof DataError);
        assert.match(e.message, pattern);
        return true;
      });
      // Nothing reached the server: the transaction did not fail.
      assert.equal(conn.isInTransaction(), true);
      assert.equal(await conn.fetchVal('SELECT 1'), 1);
    }
    await conn.execute('INSERT INTO bad_params VALUES ($1, $2, $3, $4)', 1, 2, 'ok', new Date());
    await conn.execute('COMMIT');
    assert.equal(await conn.fetchVal('SELECT count(*)::int FROM bad_params'), 1);
  });

  test('a bad call among pipelined calls fails alone', async () => {
    const results = await Promise.allSettled([
      conn.fetchVal('SELECT $1::int4', 1),
      conn.fetchVal('SELECT $1::int4', 'x'.repeat(3) as unknown as number),
      conn.fetchVal('SELECT $1::int4', 0.5),
      conn.fetchVal('SELECT $1::int4', 3),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    assert.ok((results[1] as PromiseRejectedResult).reason instanceof DataError, 'the server refused the text');
    assert.ok((results[2] as PromiseRejectedResult).reason instanceof ParameterError, 'pgjet refused the number');
  });
});
