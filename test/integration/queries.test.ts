import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, InterfaceError } from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import { testDsn } from './harness.js';

describe('queries', () => {
  let conn: Connection;
  before(async () => {
    conn = await connect(testDsn());
  });
  after(async () => {
    await conn.close();
  });

  test('fetch returns plain objects keyed by column name', async () => {
    const rows = await conn.fetch<{ a: number; b: string }>("SELECT 1 AS a, 'x' AS b UNION ALL SELECT 2, 'y' ORDER BY 1");
    assert.deepEqual(rows, [
      { a: 1, b: 'x' },
      { a: 2, b: 'y' },
    ]);
    assert.equal(Object.getPrototypeOf(rows[0]), Object.prototype);
  });

  test('variadic parameters and the object form', async () => {
    assert.equal(await conn.fetchVal('SELECT $1::int + $2::int', 2, 3), 5);
    assert.equal(await conn.fetchVal({ text: 'SELECT $1::text || $2::text', args: ['a', 'b'] }), 'ab');
  });

  test('rowMode array, per call and per connection', async () => {
    const rows = await conn.fetch({ text: 'SELECT 1 AS a, 2 AS b', rowMode: 'array' });
    assert.deepEqual(rows, [[1, 2]]);
    const c2 = await connect(testDsn(), { rowMode: 'array' });
    try {
      assert.deepEqual(await c2.fetch('SELECT 3 AS a, 4 AS b'), [[3, 4]]);
    } finally {
      await c2.close();
    }
  });

  test('a column named __proto__ or constructor is an own key and changes no prototype', async () => {
    const row = await conn.fetchRow<Record<string, unknown>>('SELECT 1 AS "__proto__", 2 AS "constructor", 3 AS "toString"');
    assert.ok(row);
    assert.equal(Object.getPrototypeOf(row), Object.prototype);
    assert.deepEqual(Object.keys(row), ['__proto__', 'constructor', 'toString']);
    assert.equal(Object.getOwnPropertyDescriptor(row, '__proto__')?.value, 1);
    assert.equal(row['constructor'], 2);
    assert.equal(row['toString'], 3);
  });

  test('fetchRow returns null without rows; fetchVal returns null without rows', async () => {
    assert.equal(await conn.fetchRow('SELECT 1 WHERE false'), null);
    assert.equal(await conn.fetchVal('SELECT 1 WHERE false'), null);
    assert.deepEqual(await conn.fetchRow('SELECT g AS n FROM generate_series(5, 7) g'), { n: 5 });
  });

  test('execute runs multi-statement scripts and returns the last status', async () => {
    const status = await conn.execute(`
      CREATE TEMP TABLE script_t (id int);
      INSERT INTO script_t VALUES (1), (2), (3);
      UPDATE script_t SET id = id + 1 WHERE id > 1`);
    assert.equal(status, 'UPDATE 2');
    assert.equal(await conn.execute('INSERT INTO script_t VALUES ($1)', 9), 'INSERT 0 1');
    assert.equal(await conn.fetchVal('SELECT sum(id)::int FROM script_t'), 1 + 3 + 4 + 9);
  });

  test('executeMany is pipelined and atomic', async () => {
    await conn.execute('CREATE TEMP TABLE many_t (id int PRIMARY KEY, name text)');
    await conn.executeMany('INSERT INTO many_t VALUES ($1, $2)', [
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    assert.equal(await conn.fetchVal('SELECT count(*)::int FROM many_t'), 3);
    await assert.rejects(
      conn.executeMany('INSERT INTO many_t VALUES ($1, $2)', [
        [4, 'd'],
        [1, 'duplicate'],
        [5, 'e'],
      ]),
      (e: Error) => e.name === 'UniqueViolationError',
    );
    // Nothing of the failed batch was kept.
    assert.equal(await conn.fetchVal('SELECT count(*)::int FROM many_t'), 3);
    await conn.executeMany('INSERT INTO many_t VALUES ($1, $2)', []);
    await assert.rejects(
      // @ts-expect-error a set that is not an array
      conn.executeMany('INSERT INTO many_t VALUES ($1, $2)', [[6, 'f'], 'oops']),
      InterfaceError,
    );
  });

  test('prepare: parameters, attributes, fetch forms, explain, close', async () => {
    const ps = await conn.prepare('SELECT $1::int AS n, $2::text AS t');
    assert.deepEqual(
      ps.getParameters().map((p) => p.name),
      ['int4', 'text'],
    );
    assert.deepEqual(
      ps.getAttributes().map((a) => [a.name, a.type.name]),
      [
        ['n', 'int4'],
        ['t', 'text'],
      ],
    );
    assert.deepEqual(await ps.fetch(1, 'a'), [{ n: 1, t: 'a' }]);
    assert.deepEqual(await ps.fetchRow(2, 'b'), { n: 2, t: 'b' });
    assert.equal(await ps.fetchVal(3, 'c'), 3);
    const plan = (await ps.explain(4, 'd')) as Array<{ Plan: { 'Node Type': string } }>;
    assert.equal(plan[0]?.Plan['Node Type'], 'Result');
    const name = ps.getName();
    assert.equal(await conn.fetchVal('SELECT count(*)::int FROM pg_prepared_statements WHERE name = $1', name), 1);
    await ps.close();
    assert.equal(await conn.fetchVal('SELECT count(*)::int FROM pg_prepared_statements WHERE name = $1', name), 0);
    await assert.rejects(ps.fetch(1, 'x'), InterfaceError);
  });

  test('statements are cached: a second run is a cache hit', async () => {
    const before = conn.getStatementCacheStats();
    await conn.fetchVal('SELECT $1::int * 7 AS cached', 1);
    await conn.fetchVal('SELECT $1::int * 7 AS cached', 2);
    const after = conn.getStatementCacheStats();
    assert.equal(after.misses - before.misses, 1);
    assert.equal(after.hits - before.hits, 1);
  });

  test('statementCacheSize 0 prepares per call and leaves no statement behind', async () => {
    const c = await connect(testDsn(), { statementCacheSize: 0 });
    try {
      assert.equal(await c.fetchVal('SELECT $1::int', 41), 41);
      assert.equal(await c.fetchVal('SELECT $1::int', 42), 42);
      // The counting query is itself prepared while it runs, so leave it out.
      assert.equal(await c.fetchVal("SELECT count(*)::int FROM pg_prepared_statements WHERE statement NOT LIKE '%pg_prepared_statements%'"), 0);
    } finally {
      await c.close();
    }
  });

  test('a small cache evicts and closes old statements on the server', async () => {
    const c = await connect(testDsn(), { statementCacheSize: 2 });
    try {
      for (let i = 0; i < 5; i++) assert.equal(await c.fetchVal(`SELECT ${i}::int AS v`), i);
      const stats = c.getStatementCacheStats();
      assert.equal(stats.size, 2);
      assert.equal(stats.evictions, 3);
      // One more round trip so the evictions' Close messages have been processed.
      const left = await c.fetchVal<number>("SELECT count(*)::int FROM pg_prepared_statements WHERE name LIKE 'pgjet_s%'");
      assert.ok(left !== null && left <= 3, `expected at most 3 statements left, found ${left}`);
    } finally {
      await c.close();
    }
  });

  test('200 concurrent fetchVal calls on one connection return the right values in order', async () => {
    const order: number[] = [];
    const calls = Array.from({ length: 200 }, (_, i) =>
      conn.fetchVal<number>('SELECT $1::int', i).then((v) => {
        order.push(v!);
        return v;
      }),
    );
    const values = await Promise.all(calls);
    assert.deepEqual(values, Array.from({ length: 200 }, (_, i) => i));
    assert.deepEqual(order, values);
  });

  test('an error in a pipelined call fails only that call', async () => {
    const results = await Promise.allSettled([
      conn.fetchVal('SELECT 1'),
      conn.fetchVal('SELECT 1/0'),
      conn.fetchVal('SELECT 3'),
      conn.fetchVal('SELEC broken'),
      conn.fetchVal('SELECT $1::int', 5),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal((results[2] as PromiseFulfilledResult<unknown>).value, 3);
    assert.equal(((results[1] as PromiseRejectedResult).reason as Error).name, 'DivisionByZeroError');
  });

  test('a wrong parameter count is an InterfaceError naming the counts', async () => {
    await assert.rejects(conn.fetch('SELECT $1::int, $2::int', 1), (e: Error) => {
      assert.ok(e instanceof InterfaceError);
      assert.match(e.message, /expects 2 parameters/);
      assert.match(e.message, /1 was given/);
      return true;
    });
    // The connection is still usable.
    assert.equal(await conn.fetchVal('SELECT 1'), 1);
  });

  test('an undefined parameter is refused with its index', async () => {
    await assert.rejects(conn.fetch('SELECT $1::int', undefined), (e: Error) => {
      assert.ok(e instanceof InterfaceError);
      assert.match(e.message, /\$1/);
      return true;
    });
  });

  test('settings, server version and pid', async () => {
    const s = conn.getSettings();
    assert.equal(s['client_encoding'], 'UTF8');
    assert.ok(s['server_version']);
    const v = conn.getServerVersion();
    assert.ok(v.major >= 13, `major ${v.major}`);
    assert.equal(await conn.fetchVal('SELECT current_setting($1)::int / 10000', 'server_version_num'), v.major);
    assert.equal(conn.getServerPid(), await conn.fetchVal('SELECT pg_backend_pid()'));
  });

  test('isInTransaction follows ReadyForQuery', async () => {
    assert.equal(conn.isInTransaction(), false);
    await conn.execute('BEGIN');
    assert.equal(conn.isInTransaction(), true);
    await assert.rejects(conn.execute('SELECT 1/0'));
    assert.equal(conn.isInTransaction(), true);
    await conn.execute('ROLLBACK');
    assert.equal(conn.isInTransaction(), false);
  });

  test('notices go to log listeners, not stdout', async () => {
    const seen: string[] = [];
    const listener = (_c: Connection, m: { message: string; severity?: string }) => seen.push(`${m.severity}: ${m.message}`);
    conn.addLogListener(listener);
    await conn.execute("DO $$ BEGIN RAISE NOTICE 'hello %', 42; RAISE WARNING 'careful'; END $$");
    conn.removeLogListener(listener);
    assert.deepEqual(seen, ['NOTICE: hello 42', 'WARNING: careful']);
  });

  test('Unix socket connection', async (t) => {
    const dir = process.env['PGJET_TEST_SOCKET_DIR'];
    if (!dir) {
      t.skip('PGJET_TEST_SOCKET_DIR is not set (running against an external server)');
      return;
    }
    const c = await connect(testDsn(), { host: dir });
    try {
      assert.equal(await c.fetchVal("SELECT coalesce(inet_client_addr()::text, 'unix')"), 'unix');
    } finally {
      await c.close();
    }
  });
});
