import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPool } from '../../src/index.js';
import type { PoolLogEvent } from '../../src/index.js';
import { bouncerSkip, useBouncer } from './bouncer.js';

describe('a pool behind PgBouncer in transaction pooling mode', { skip: bouncerSkip() }, () => {
  const bouncer = useBouncer('pool_bouncer_t');

  test('default options: a pool of 10 serves 10 000 queries and transactions without an error', async () => {
    const events: PoolLogEvent[] = [];
    await using pool = await createPool(bouncer.dsn(), { minSize: 10, maxSize: 10 });
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
