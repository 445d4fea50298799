import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, createPool } from '../../src/index.js';
import type { PoolLogEvent } from '../../src/index.js';
import { findPgBouncer, PgBouncer } from '../../src/testing/index.js';
import { testDsn } from './harness.js';

// In CI pgbouncer must be there (.ci/run installs it); elsewhere the suite says it skipped.
const missing = findPgBouncer() === undefined;
if (missing && process.env['CI']) {
  test('pgbouncer is installed (required in CI)', () => {
    assert.fail('pgbouncer is not installed: .ci/run must install it (apt-get install pgbouncer)');
  });
}

describe('a pool behind PgBouncer in transaction pooling mode', { skip: missing ? 'pgbouncer is not installed (apt-get install pgbouncer)' : false }, () => {
  let bouncer: PgBouncer;
  before(async () => {
    const u = new URL(testDsn());
    bouncer = await PgBouncer.start({
      targetHost: u.hostname,
      targetPort: Number(u.port || 5432),
      user: decodeURIComponent(u.username) || 'postgres',
      poolMode: 'transaction',
      poolSize: 3,
    });
    const c = await connect(testDsn());
    await c.execute('DROP TABLE IF EXISTS pool_bouncer_t; CREATE TABLE pool_bouncer_t (id int PRIMARY KEY, v text)');
    await c.close();
  });
  after(async () => {
    const c = await connect(testDsn());
    await c.execute('DROP TABLE IF EXISTS pool_bouncer_t');
    await c.close();
    await bouncer?.stop();
  });

  test('default options: a pool of 10 serves 10 000 queries and transactions without an error', async () => {
    const events: PoolLogEvent[] = [];
    await using pool = await createPool(bouncer.dsn(new URL(testDsn()).pathname.slice(1) || 'postgres'), { minSize: 10, maxSize: 10 });
    pool.addLogListener((e) => events.push(e));
    let nextId = 0;
    const errors: unknown[] = [];
    const workers = Array.from({ length: 40 }, async (_, w) => {
      for (let i = 0; i < 250; i++) {
        try {
          if (i % 10 === 0) {
            const id = nextId++;
            await pool.transaction(async (c) => {
              await c.execute('INSERT INTO pool_bouncer_t VALUES ($1, $2)', id, `w${w}`);
              assert.equal(await c.fetchVal('SELECT v FROM pool_bouncer_t WHERE id = $1', id), `w${w}`);
            });
          } else {
            assert.equal(await pool.fetchVal('SELECT $1::int + $2::int', i, w), i + w);
          }
        } catch (e) {
          errors.push(e);
        }
      }
    });
    await Promise.all(workers);
    assert.deepEqual(errors, []);
    assert.equal(await pool.fetchVal('SELECT count(*)::int FROM pool_bouncer_t'), 1000);
    assert.equal(events.filter((e) => e.kind !== 'notice').length, 0, 'no pool warnings');
    assert.equal(pool.getStats().timeouts, 0);
  });
});
