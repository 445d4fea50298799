/**
 * Shared set-up of the tests that run behind PgBouncer: a loud failure in CI
 * when pgbouncer is missing (.ci/run installs it), a reported skip elsewhere,
 * and a PgBouncer in transaction pooling mode in front of the test server with
 * a scratch table of the test's own.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from '../../src/index.js';
import { findPgBouncer, PgBouncer } from '../../src/testing/index.js';
import { testDsn, testOptions } from './harness.js';

/** Why the PgBouncer suite is skipped here, or false to run it. */
export function bouncerSkip(): string | false {
  const missing = findPgBouncer() === undefined;
  if (missing && process.env['CI']) {
    test('pgbouncer is installed (required in CI)', () => {
      assert.fail('pgbouncer is not installed: .ci/run must install it (apt-get install pgbouncer)');
    });
  }
  return missing ? 'pgbouncer is not installed (apt-get install pgbouncer)' : false;
}

/**
 * Inside a describe(): start PgBouncer (transaction mode, 3 server
 * connections) before the tests and create `table (id int PRIMARY KEY, v text)`;
 * stop it and drop the table after. `dsn()` connects through PgBouncer.
 */
export function useBouncer(table: string): { dsn: () => string } {
  let bouncer: PgBouncer | undefined;
  before(async () => {
    const o = testOptions();
    bouncer = await PgBouncer.start({ targetHost: o.host, targetPort: o.port, user: o.user, poolMode: 'transaction', poolSize: 3 });
    const c = await connect(testDsn());
    await c.execute(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id int PRIMARY KEY, v text)`);
    await c.close();
  });
  after(async () => {
    const c = await connect(testDsn());
    await c.execute(`DROP TABLE IF EXISTS ${table}`);
    await c.close();
    await bouncer?.stop();
  });
  return {
    dsn: () => {
      if (!bouncer) throw new Error('PgBouncer has not started');
      return bouncer.dsn(testOptions().database);
    },
  };
}
