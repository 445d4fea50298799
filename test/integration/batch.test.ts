import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect } from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import { TcpProxy } from '../../src/testing/index.js';
import { testDsn } from './harness.js';

describe('explicit batch', () => {
  let conn: Connection;
  before(async () => {
    conn = await connect(testDsn());
  });
  after(async () => {
    await conn.close();
  });

  test('results come back in order, shaped per method', async () => {
    const r = await conn
      .batch()
      .fetch('SELECT g AS n FROM generate_series(1, $1::int) g', 3)
      .fetchRow('SELECT $1::text AS t', 'x')
      .fetchVal('SELECT 42')
      .execute('SELECT 1 WHERE false')
      .run();
    assert.deepEqual(r, [[{ n: 1 }, { n: 2 }, { n: 3 }], { t: 'x' }, 42, 'SELECT 0']);
  });

  test('outside a transaction an error fails only its own query', async () => {
    const b = conn.batch().fetchVal('SELECT 1').fetchVal('SELECT 1/0').fetchVal('SELECT 3');
    const settled = await b.runSettled();
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
    await assert.rejects(conn.batch().fetchVal('SELECT 1').fetchVal('SELECT 1/0').run(), (e: unknown) => {
      assert.equal((e as { batchIndex?: number }).batchIndex, 1);
      return true;
    });
  });

  test('inside a transaction an error aborts it and later queries fail with the server error', async () => {
    await conn.execute('BEGIN');
    const settled = await conn.batch().fetchVal('SELECT 1').fetchVal('SELECT 1/0').fetchVal('SELECT 3').runSettled();
    await conn.execute('ROLLBACK');
    assert.equal(settled[0]!.status, 'fulfilled');
    assert.equal(((settled[2] as PromiseRejectedResult).reason as { sqlstate?: string }).sqlstate, '25P02');
  });

  test('a cached batch goes out in one flight: one write, one Sync per query', async () => {
    const u = new URL(testDsn());
    const proxy = await TcpProxy.start({ targetHost: u.hostname, targetPort: Number(u.port || 5432) });
    const c = await connect(testDsn(), { host: '127.0.0.1', port: proxy.port, sslmode: 'disable' });
    try {
      const build = () => {
        const b = c.batch();
        for (let i = 0; i < 10; i++) b.fetchVal('SELECT $1::int AS batch_v', i);
        return b;
      };
      await build().run();
      proxy.resetCounts();
      const r = await build().run();
      assert.deepEqual(r, Array.from({ length: 10 }, (_, i) => i));
      assert.equal(proxy.count('P'), 0);
      assert.equal(proxy.count('B'), 10);
      assert.equal(proxy.count('S'), 10);
    } finally {
      await c.close();
      await proxy.close();
    }
  });
});
