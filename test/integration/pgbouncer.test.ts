import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connect } from '../../src/index.js';
import type { Connection, PostgresLogMessage } from '../../src/index.js';
import { bouncerSkip, useBouncer } from './bouncer.js';
import { testDsn } from './harness.js';

describe('behind PgBouncer in transaction pooling mode', { skip: bouncerSkip() }, () => {
  const bouncer = useBouncer('bouncer_t');

  test('default options: 10 connections serve 10 000 queries and transactions without an error', async () => {
    const warnings: string[] = [];
    const conns: Connection[] = [];
    for (let i = 0; i < 10; i++) {
      const c = await connect(bouncer.dsn());
      c.addLogListener((_c, m: PostgresLogMessage) => warnings.push(m.message));
      conns.push(c);
    }
    try {
      let nextId = 0;
      const work = conns.map(async (c, w) => {
        for (let i = 0; i < 1000; i++) {
          if (i % 10 === 0) {
            const id = nextId++;
            await c.execute('BEGIN');
            await c.execute('INSERT INTO bouncer_t VALUES ($1, $2)', id, `w${w}`);
            assert.equal(await c.fetchVal('SELECT v FROM bouncer_t WHERE id = $1', id), `w${w}`);
            await c.execute('COMMIT');
          } else {
            assert.equal(await c.fetchVal('SELECT $1::int + $2::int', i, w), i + w);
          }
        }
      });
      await Promise.all(work);
      const count = await conns[0]!.fetchVal('SELECT count(*)::int FROM bouncer_t');
      assert.equal(count, 1000);
      for (const c of conns) {
        assert.equal(c.isBehindPooler(), true);
        assert.equal(c.getStatementCacheStats().mode, 'unnamed');
      }
      // Said once per connection, through the log listener.
      assert.equal(warnings.filter((m) => /switched this connection to unnamed statements/.test(m)).length, 10);
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
  });

  test('statementCacheSize 0 never uses a named statement, so it works without detection', async () => {
    const c = await connect(bouncer.dsn(), { statementCacheSize: 0 });
    try {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => c.fetchVal('SELECT $1::int * 3', i)));
      assert.deepEqual(results, Array.from({ length: 200 }, (_, i) => i * 3));
      assert.equal(c.getStatementCacheStats().mode, 'unnamed');
    } finally {
      await c.close();
    }
  });

  test('named mode forced behind the pooler fails loudly, and auto mode recovers transparently', async () => {
        const admin = await connect(testDsn());
    // Make PgBouncer lose its server sessions (as after a server restart or
    // server_lifetime): a statement prepared before is gone afterwards.
    const dropServers = (app: string) =>
      admin.execute({ text: 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()', args: [app] });
    const named = await connect(bouncer.dsn(), { statementMode: 'named', applicationName: 'bouncer-named' });
    const auto = await connect(bouncer.dsn(), { statementMode: 'auto', applicationName: 'bouncer-auto' });
    try {
      // Auto mode already detected the pooler at connect; force named mode's failure.
      assert.equal(await named.fetchVal('SELECT $1::int AS forced_named', 1), 1);
      await dropServers('bouncer-named');
      await new Promise((r) => setTimeout(r, 100));
      await assert.rejects(named.fetchVal('SELECT $1::int AS forced_named', 2), /prepared statement .* does not exist/);
      assert.equal(await auto.fetchVal('SELECT $1::int AS auto_mode', 1), 1);
      await dropServers('bouncer-auto');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(await auto.fetchVal('SELECT $1::int AS auto_mode', 2), 2);
    } finally {
      named.terminate();
      auto.terminate();
      await admin.close();
    }
  });

  test('a batch works behind the pooler', async () => {
    const c = await connect(bouncer.dsn());
    try {
      const r = await c.batch().fetchVal('SELECT 1').fetchVal('SELECT $1::text', 'b').execute('SELECT 3').run();
      assert.deepEqual(r, [1, 'b', 'SELECT 1']);
    } finally {
      await c.close();
    }
  });
});
