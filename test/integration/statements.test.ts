import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, InvalidCachedStatementError } from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import { TcpProxy } from '../../src/testing/index.js';
import { testDsn } from './harness.js';

// The statement cache, invalidation and call ordering (issue: prepared
// statements, pipelining and PgBouncer).
describe('statement cache and pipelining', () => {
  let proxy: TcpProxy;
  let conn: Connection;
  const viaProxy = (extra: Record<string, unknown> = {}) => {
    const u = new URL(testDsn());
    return connect(testDsn(), { host: '127.0.0.1', port: proxy.port, sslmode: 'disable', database: decodeURIComponent(u.pathname.slice(1)) || 'postgres', ...extra });
  };
  before(async () => {
    const u = new URL(testDsn());
    proxy = await TcpProxy.start({ targetHost: u.hostname, targetPort: Number(u.port || 5432) });
    conn = await viaProxy();
  });
  after(async () => {
    await conn.close();
    await proxy.close();
  });

  test('1 000 runs of one parameterized query send one Parse', async () => {
    proxy.resetCounts();
    for (let i = 0; i < 1000; i++) assert.equal(await conn.fetchVal('SELECT $1::int + 1 AS one_parse', i), i + 1);
    assert.equal(proxy.count('P'), 1);
    assert.equal(proxy.count('B'), 1000);
  });

  test('calls reach the server in call order, even while a statement is being prepared', async () => {
    await conn.execute('CREATE TEMP TABLE ordered_t (v int)');
    const sql = `INSERT INTO ordered_t VALUES ($1) -- ${Math.random()}`;
    await Promise.all([conn.execute('BEGIN'), conn.execute(sql, 1), conn.execute('ROLLBACK')]);
    assert.equal(await conn.fetchVal('SELECT count(*)::int FROM ordered_t'), 0);
  });

  test('1 000 concurrent calls where the 500th fails: one rejection, every other result in place', async () => {
    const calls = Array.from({ length: 1000 }, (_, i) =>
      i === 499 ? conn.fetchVal('SELECT 1 / $1::int', 0) : conn.fetchVal('SELECT $1::int * 2', i),
    );
    const results = await Promise.allSettled(calls);
    const rejected = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
    assert.deepEqual(rejected, [499]);
    results.forEach((r, i) => {
      if (i !== 499) assert.equal((r as PromiseFulfilledResult<unknown>).value, i * 2);
    });
  });

  test('ALTER TABLE between two runs is survived outside a transaction (one transparent retry)', async () => {
    await conn.execute('CREATE TEMP TABLE alter_t (a int); INSERT INTO alter_t VALUES (1)');
    assert.deepEqual(await conn.fetch('SELECT * FROM alter_t WHERE a = $1', 1), [{ a: 1 }]);
    await conn.execute('ALTER TABLE alter_t ADD COLUMN b text DEFAULT $$x$$');
    assert.deepEqual(await conn.fetch('SELECT * FROM alter_t WHERE a = $1', 1), [{ a: 1, b: 'x' }]);
    assert.ok(conn.getStatementCacheStats().invalidations >= 1);
  });

  test('inside a transaction, a stale statement raises InvalidCachedStatementError saying to retry', async () => {
    await conn.execute('CREATE TEMP TABLE alter_tx (a int); INSERT INTO alter_tx VALUES (1)');
    const q = 'SELECT * FROM alter_tx WHERE a = $1';
    await conn.fetch(q, 1);
    await conn.execute('ALTER TABLE alter_tx ADD COLUMN b int');
    await conn.execute('BEGIN');
    await assert.rejects(conn.fetch(q, 1), (e: unknown) => {
      assert.ok(e instanceof InvalidCachedStatementError, String(e));
      assert.match(e.message, /retry the transaction/);
      return true;
    });
    await conn.execute('ROLLBACK');
    // The cache no longer holds the stale statement: the next run works.
    assert.deepEqual(await conn.fetch(q, 1), [{ a: 1, b: null }]);
  });

  test('an expired statement is prepared again (maxCachedStatementLifetime)', async () => {
    const c = await viaProxy({ maxCachedStatementLifetime: 50 });
    try {
      proxy.resetCounts();
      await c.fetchVal('SELECT $1::int AS lifetime', 1);
      await c.fetchVal('SELECT $1::int AS lifetime', 2);
      await new Promise((r) => setTimeout(r, 120));
      await c.fetchVal('SELECT $1::int AS lifetime', 3);
      assert.equal(proxy.count('P'), 2);
      assert.equal(c.getStatementCacheStats().expirations, 1);
    } finally {
      await c.close();
    }
  });

  test('statements longer than maxCacheableStatementSize are not cached and leave nothing behind', async () => {
    const c = await viaProxy({ maxCacheableStatementSize: 64 });
    try {
      const long = `SELECT $1::int AS v /* ${'x'.repeat(100)} */`;
      await c.fetchVal(long, 1);
      await c.fetchVal(long, 2);
      assert.equal(c.getStatementCacheStats().size, 0);
      assert.equal(await c.fetchVal("SELECT count(*)::int FROM pg_prepared_statements WHERE statement LIKE '%xxxxxxxx%' AND statement NOT LIKE '%pg_prepared%'"), 0);
    } finally {
      await c.close();
    }
  });

  test('unnamed statement mode never leaves a named statement and still decodes binary', async () => {
    const c = await viaProxy({ statementMode: 'unnamed' });
    try {
      proxy.resetCounts();
      for (let i = 0; i < 5; i++) assert.equal(await c.fetchVal('SELECT $1::int8 * 2 AS unnamed_v', BigInt(i)), BigInt(i * 2));
      assert.equal(await c.fetchVal('SELECT count(*)::int FROM pg_prepared_statements'), 0);
      // Described once, then parsed with each execution.
      assert.equal(c.getStatementCacheStats().mode, 'unnamed');
      assert.ok(proxy.count('P') >= 5);
      const ps = await c.prepare('SELECT $1::text AS t');
      assert.equal(await ps.fetchVal('hello'), 'hello');
      await ps.close();
    } finally {
      await c.close();
    }
  });

  test('unnamed mode notices a changed result shape and describes again', async () => {
    const c = await viaProxy({ statementMode: 'unnamed' });
    try {
      await c.execute('CREATE TEMP TABLE shape_t (a int); INSERT INTO shape_t VALUES (1)');
      assert.deepEqual(await c.fetch('SELECT * FROM shape_t'), [{ a: 1 }]);
      await c.execute('ALTER TABLE shape_t ALTER COLUMN a TYPE text');
      assert.deepEqual(await c.fetch('SELECT * FROM shape_t'), [{ a: '1' }]);
    } finally {
      await c.close();
    }
  });

  test('executeMany names the argument set that failed', async () => {
    await conn.execute('CREATE TEMP TABLE many_idx (id int PRIMARY KEY)');
    await assert.rejects(conn.executeMany('INSERT INTO many_idx VALUES ($1)', [[1], [2], [2], [3]]), /argument set 2 failed/);
    assert.equal(await conn.fetchVal('SELECT count(*)::int FROM many_idx'), 0);
    await assert.rejects(conn.executeMany('INSERT INTO many_idx VALUES ($1)', [[1], ['not a number at all', 5]]), /argument set 1/);
  });

  test('a bad first parameter is reported as $1', async () => {
    await assert.rejects(conn.fetchVal('SELECT $1::int', undefined), /\$1/);
  });
});
