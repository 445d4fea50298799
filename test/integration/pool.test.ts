import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError, connect, createPool, InterfaceError, Pool, PoolTimeoutError, TimeoutError } from '../../src/index.js';
import type { Connection, PoolLogEvent, PoolMetricEvent, PoolOptions } from '../../src/index.js';
import { TcpProxy } from '../../src/testing/index.js';
import { testDsn, testOptions } from './harness.js';

function pool(options: PoolOptions = {}): Promise<Pool> {
  return createPool(testDsn(), { minSize: 1, maxSize: 2, ...options });
}

/** Wait until `check` holds (the pool resets released connections in the background). */
async function until(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await sleep(5);
  }
}

describe('pool: creating, acquiring and releasing', () => {
  test('createPool opens minSize connections; the getters and the shortcuts work', async () => {
    await using p = await pool({ minSize: 2, maxSize: 3 });
    assert.equal(p.getSize(), 2);
    assert.equal(p.getIdleSize(), 2);
    assert.equal(p.getMinSize(), 2);
    assert.equal(p.getMaxSize(), 3);
    assert.deepEqual(await p.fetch('SELECT g AS n FROM generate_series(1, 3) g'), [{ n: 1 }, { n: 2 }, { n: 3 }]);
    assert.deepEqual(await p.fetchRow('SELECT $1::int AS a, $2::text AS b', 7, 'x'), { a: 7, b: 'x' });
    assert.equal(await p.fetchVal('SELECT $1::int * 2', 21), 42);
    assert.equal(await p.execute('SELECT 1; SELECT 2'), 'SELECT 1');
    await p.execute('CREATE TEMP TABLE IF NOT EXISTS pool_t (a int)');
    await p.executeMany('SELECT $1::int', [[1], [2]]);
    await until(() => p.getIdleSize() === 2, 'both connections idle again');
  });

  test('the four acquire forms, and the callback form releases on a throw', async () => {
    await using p = await pool({ minSize: 1, maxSize: 1 });
    const c = await p.acquire();
    assert.equal(p.getIdleSize(), 0);
    assert.equal(await c.fetchVal('SELECT 1'), 1);
    await p.release(c);
    assert.equal(p.getIdleSize(), 1);

    {
      await using c2 = await p.acquire();
      assert.equal(await c2.fetchVal('SELECT 2'), 2);
      assert.equal(p.getIdleSize(), 0);
    }
    assert.equal(p.getIdleSize(), 1);

    assert.equal(await p.acquire((conn) => conn.fetchVal('SELECT 3')), 3);
    await assert.rejects(
      p.acquire(async (conn) => {
        await conn.fetchVal('SELECT 4');
        throw new Error('boom');
      }),
      /boom/,
    );
    await until(() => p.getIdleSize() === 1, 'released after the throw');

    const c3 = await p.acquire({ timeout: 1000 });
    await c3.release();
    assert.equal(await p.acquire((conn) => conn.fetchVal('SELECT 5'), { timeout: 1000 }), 5);
  });

  test('release twice, into another pool, or of a plain connection is an InterfaceError; a released connection refuses use', async () => {
    await using p = await pool();
    await using other = await pool();
    const c = await p.acquire();
    await assert.rejects(other.release(c), (e: unknown) => e instanceof InterfaceError && /another pool/.test(e.message));
    await p.release(c);
    await assert.rejects(p.release(c), (e: unknown) => e instanceof InterfaceError && /already released/.test(e.message));
    await assert.rejects(c.release(), InterfaceError);
    assert.throws(() => c.fetch('SELECT 1'), (e: unknown) => e instanceof InterfaceError && /after it was released/.test(e.message));
    assert.throws(() => c.isInTransaction(), InterfaceError);
    const plain = await connect(testDsn());
    try {
      await assert.rejects(p.release(plain as never), (e: unknown) => e instanceof InterfaceError && /did not come from pool.acquire/.test(e.message));
    } finally {
      await plain.close();
    }
  });

  test('a pool connection is a Connection; close() on it replaces it in the pool', async () => {
    await using p = await pool({ minSize: 1, maxSize: 1 });
    const c = await p.acquire();
    const asConn: Connection = c;
    assert.ok(asConn.getServerPid() > 0);
    const pid = c.getServerPid();
    await c.close();
    assert.equal(p.getSize(), 0);
    const pid2 = await p.acquire((x) => x.getServerPid());
    assert.notEqual(pid2, pid);
  });

  test('waiters are served first come, first served', async () => {
    await using p = await pool({ minSize: 1, maxSize: 1 });
    const held = await p.acquire();
    const order: number[] = [];
    const waits = [0, 1, 2, 3, 4].map((i) =>
      p.acquire(async (c) => {
        order.push(i);
        await c.fetchVal('SELECT 1');
      }),
    );
    await sleep(20);
    assert.equal(p.getStats().pending, 5);
    await held.release();
    await Promise.all(waits);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
  });

  test('an AbortSignal ends a wait without disturbing the callers behind it', async () => {
    await using p = await pool({ minSize: 1, maxSize: 1 });
    const held = await p.acquire();
    const ac = new AbortController();
    const aborted = p.acquire({ signal: ac.signal });
    const next = p.acquire((c) => c.fetchVal('SELECT 9'));
    ac.abort(new Error('user went away'));
    await assert.rejects(aborted, (e: unknown) => e instanceof AbortError && /aborted while waiting/.test(e.message));
    assert.equal(p.getStats().pending, 1);
    await held.release();
    assert.equal(await next, 9);
    await assert.rejects(p.acquire({ signal: AbortSignal.abort() }), AbortError);
  });

  test('a timeout is a PoolTimeoutError that explains the pool state', async () => {
    await using p = await pool({ minSize: 2, maxSize: 2, acquireTimeout: 150 });
    const a = await p.acquire();
    const b = await p.acquire();
    const other = p.acquire({ timeout: 5000 });
    const started = Date.now();
    await assert.rejects(p.acquire(), (e: unknown) => {
      assert.ok(e instanceof PoolTimeoutError);
      assert.ok(e instanceof TimeoutError);
      assert.match(e.message, /timed out after \d+ ms waiting for a pool connection/);
      assert.match(e.message, /2 of maxSize 2 open, 2 in use, 0 opening, 1 other caller waiting/);
      assert.match(e.message, /the oldest connection has been held for \d+ ms/);
      assert.match(e.message, /leakDetectionThreshold/);
      assert.equal(e.details.inUse, 2);
      assert.equal(e.details.waiting, 1);
      return true;
    });
    assert.ok(Date.now() - started >= 140);
    assert.equal(p.getStats().timeouts, 1);
    await a.release();
    const c = await other;
    await c.release();
    await b.release();
  });

  test('with leak detection on, the timeout names where the oldest connection was acquired, and a held connection is reported once', async () => {
    const events: PoolLogEvent[] = [];
    await using p = await pool({ minSize: 1, maxSize: 1, acquireTimeout: 100, leakDetectionThreshold: 60 });
    p.addLogListener((e) => events.push(e));
    async function holdTheConnectionHere() {
      return p.acquire();
    }
    const held = await holdTheConnectionHere();
    await assert.rejects(p.acquire(), (e: unknown) => e instanceof PoolTimeoutError && /acquired at:\n[\s\S]*holdTheConnectionHere/.test(e.message));
    await sleep(150);
    const leaks = events.filter((e) => e.kind === 'leak');
    assert.equal(leaks.length, 1);
    const leak = leaks[0]!;
    assert.ok(leak.kind === 'leak' && leak.heldFor >= 60 && /holdTheConnectionHere/.test(leak.acquiredAt ?? ''));
    assert.match(leak.message, /held for \d+ ms/);
    await held.release();
  });

  test('option mistakes fail with the option named', async () => {
    await assert.rejects(createPool(testDsn(), { maxsize: 3 } as PoolOptions), /unknown option "maxsize".*Did you mean "maxSize"/);
    await assert.rejects(createPool(testDsn(), { max: 3 } as PoolOptions), /Use "maxSize"/);
    await assert.rejects(createPool(testDsn(), { minSize: 5, maxSize: 2 }), /minSize \(5\) must not be larger than maxSize \(2\)/);
    await assert.rejects(createPool(testDsn(), { acquireTimeout: -1 }), /acquireTimeout must be a non-negative number/);
    await assert.rejects(createPool(testDsn(), { init: 'x' as never }), /init must be a function/);
    await using p = await pool({ maxSize: 3 });
    assert.equal(p.getMinSize(), 1);
    await assert.rejects(p.acquire({ timout: 5 } as never), /unknown option "timout"/);
    const small = await createPool(testDsn(), { maxSize: 3 });
    assert.equal(small.getMinSize(), 3, 'the default minSize (10) is capped at maxSize');
    await small.close();
  });
});

describe('pool: the reset', () => {
  test('the next caller gets a clean session: no transaction, settings, role, advisory locks, LISTENs or cursors', async () => {
    await using p = await pool({ minSize: 1, maxSize: 1 });
    const c = await p.acquire();
    const pid = c.getServerPid();
    await c.execute("SET search_path = pg_catalog; SET ROLE pg_monitor; SELECT pg_advisory_lock(4242); LISTEN pool_reset_chan");
    await c.execute('BEGIN; DECLARE pool_cur CURSOR WITH HOLD FOR SELECT 1; COMMIT');
    await c.execute('BEGIN');
    await assert.rejects(c.execute('SELECT 1/0'));
    assert.ok(c.isInTransaction());
    await c.release();
    const state = await p.acquire(async (c2) => {
      assert.equal(c2.getServerPid(), pid, 'the same connection came back');
      return c2.fetchRow<Record<string, unknown>>(
        "SELECT current_setting('search_path') AS sp, current_user::text AS who, " +
          "(SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS locks, " +
          "(SELECT count(*)::int FROM pg_listening_channels()) AS chans, (SELECT count(*)::int FROM pg_cursors WHERE name <> '') AS cursors",
      );
    });
    assert.deepEqual(state, { sp: '"$user", public', who: testOptions().user, locks: 0, chans: 0, cursors: 0 });
  });

  test('the default reset is one Query message (one round trip), even inside a failed transaction', async () => {
    const o = testOptions();
    const proxy = await TcpProxy.start({ targetHost: o.host, targetPort: o.port });
    try {
      await using p = await createPool({ ...o, port: proxy.port, host: '127.0.0.1', sslmode: 'disable', minSize: 1, maxSize: 1, checkServerCapacity: false });
      const c = await p.acquire();
      await c.execute('BEGIN');
      await assert.rejects(c.execute('SELECT 1/0'));
      proxy.resetCounts();
      await c.release();
      assert.equal(proxy.count('Q'), 1);
      assert.equal(proxy.count('P') + proxy.count('B'), 0);
      const c2 = await p.acquire();
      assert.equal(c2.isInTransaction(), false);
      proxy.resetCounts();
      await c2.release();
      assert.equal(proxy.count('Q'), 1);
    } finally {
      await proxy.close();
    }
  });

  test('init runs once per connection, setup on every acquire, and a custom reset replaces the default', async () => {
    let inits = 0;
    let setups = 0;
    let resets = 0;
    await using p = await pool({
      minSize: 2,
      maxSize: 2,
      init: async (c) => {
        inits++;
        await c.execute("SET application_name = 'from_init'");
      },
      setup: (c) => {
        setups++;
        assert.equal(typeof c.release, 'function');
      },
      reset: async (c, defaultReset) => {
        resets++;
        await defaultReset();
        await c.execute("SET application_name = 'after_reset'");
      },
    });
    assert.equal(inits, 2);
    const first = await p.acquire((c) => c.fetchVal("SELECT current_setting('application_name')"));
    assert.equal(first, 'from_init');
    await until(() => resets === 1 && p.getIdleSize() === 2, 'the reset ran');
    const conn = await p.acquire();
    assert.equal(await conn.fetchVal("SELECT current_setting('application_name')"), 'after_reset');
    await conn.release();
    assert.equal(setups, 2);
    assert.equal(resets, 2);
    assert.equal(inits, 2);
  });

  test('a setup that throws fails the acquire and gives the connection back', async () => {
    let fail = true;
    await using p = await pool({
      minSize: 1,
      maxSize: 1,
      setup: () => {
        if (fail) throw new Error('setup refused');
      },
    });
    await assert.rejects(p.acquire(), /setup refused/);
    fail = false;
    await until(() => p.getIdleSize() === 1, 'the connection is back');
    assert.equal(await p.fetchVal('SELECT 1'), 1);
  });

  test('an init that throws fails createPool, and leaves nothing open', async () => {
    await assert.rejects(
      createPool(testDsn(), {
        minSize: 2,
        init: () => {
          throw new Error('init refused');
        },
      }),
      /init refused/,
    );
  });

  test('a connection released with a managed transaction still open is closed, not reused', async () => {
    const events: PoolLogEvent[] = [];
    await using p = await pool({ minSize: 1, maxSize: 1 });
    p.addLogListener((e) => events.push(e));
    const c = await p.acquire();
    const pid = c.getServerPid();
    const tx = await c.transaction().start();
    assert.equal(tx.state, 'started');
    await c.release();
    const pid2 = await p.acquire(async (c2) => {
      assert.equal(c2.isInTransaction(), false);
      await c2.transaction(async () => c2.execute('SELECT 1'));
      return c2.getServerPid();
    });
    assert.notEqual(pid2, pid);
  });
});

describe('pool: transactions and COPY shortcuts', () => {
  let setupConn: Connection;
  before(async () => {
    setupConn = await connect(testDsn());
    await setupConn.execute('DROP TABLE IF EXISTS pool_tx; CREATE TABLE pool_tx (id int PRIMARY KEY, v text)');
  });
  after(async () => {
    await setupConn.execute('DROP TABLE IF EXISTS pool_tx');
    await setupConn.close();
  });

  test('pool.transaction commits, rolls back on a throw, nests, and hands fn the pool connection', async () => {
    await using p = await pool();
    await p.transaction(async (c) => {
      assert.equal(typeof c.release, 'function');
      await c.execute('INSERT INTO pool_tx VALUES ($1, $2)', 1, 'a');
      await c.transaction(async () => {
        await c.execute('INSERT INTO pool_tx VALUES ($1, $2)', 2, 'b');
      });
    });
    await assert.rejects(
      p.transaction(async (c) => {
        await c.execute('INSERT INTO pool_tx VALUES ($1, $2)', 3, 'c');
        throw new Error('undo');
      }),
      /undo/,
    );
    const v = await p.transaction((c) => c.fetchVal<string>('SELECT current_setting($1)', 'transaction_isolation'), { isolation: 'serializable', readOnly: true });
    assert.equal(v, 'serializable');
    assert.deepEqual(await p.fetch('SELECT id FROM pool_tx ORDER BY id'), [{ id: 1 }, { id: 2 }]);
    await until(() => p.getIdleSize() === p.getSize(), 'every connection idle');
  });

  test('a statement invalidated by a schema change is forgotten across the whole pool', async () => {
    await setupConn.execute('DROP TABLE IF EXISTS pool_inv; CREATE TABLE pool_inv (a int); INSERT INTO pool_inv VALUES (1)');
    try {
      await using p = await pool({ minSize: 2, maxSize: 2 });
      const [c1, c2] = await Promise.all([p.acquire(), p.acquire()]);
      assert.deepEqual(await c1.fetch('SELECT * FROM pool_inv'), [{ a: 1 }]);
      assert.deepEqual(await c2.fetch('SELECT * FROM pool_inv'), [{ a: 1 }]);
      await setupConn.execute('ALTER TABLE pool_inv ADD COLUMN b int');
      // Outside a transaction c1 recovers by itself (prepare again, retry once).
      assert.deepEqual(await c1.fetch('SELECT * FROM pool_inv'), [{ a: 1, b: null }]);
      await c1.release();
      await c2.release();
      // c2 never ran the query after the change; inside a transaction it would have failed
      // with InvalidCachedStatementError, had its cache not been cleared when it came back.
      const results = await Promise.all(
        [0, 1].map(() =>
          p.acquire(async (c) => {
            const rows = await c.transaction(() => c.fetch('SELECT * FROM pool_inv'));
            await sleep(20);
            return rows;
          }),
        ),
      );
      assert.deepEqual(results, [[{ a: 1, b: null }], [{ a: 1, b: null }]]);
    } finally {
      await setupConn.execute('DROP TABLE IF EXISTS pool_inv');
    }
  });

  test('COPY shortcuts: records and raw data in, table and query out (to a callback and as an iterator)', async () => {
    await using p = await pool();
    await p.execute('TRUNCATE pool_tx');
    assert.equal(await p.copyRecordsToTable('pool_tx', { records: [[10, 'x'], [11, 'y']] }), 'COPY 2');
    assert.equal(await p.copyToTable('pool_tx', { source: Buffer.from('12\tz\n'), format: 'text' }), 'COPY 1');
    const chunks: Buffer[] = [];
    assert.equal(await p.copyFromTable('pool_tx', { output: (b: Buffer) => void chunks.push(Buffer.from(b)) }), 'COPY 3');
    assert.equal(Buffer.concat(chunks).toString().split('\n').filter(Boolean).length, 3);
    let text = '';
    for await (const chunk of p.copyFromQuery('SELECT v FROM pool_tx WHERE id > $1 ORDER BY id', { args: [10], format: 'csv' })) text += chunk.toString();
    assert.equal(text, 'y\nz\n');
    let rows = 0;
    for await (const chunk of p.copyFromTable('pool_tx')) rows += chunk.toString().split('\n').filter(Boolean).length;
    assert.equal(rows, 3);
    await until(() => p.getIdleSize() === p.getSize(), 'every connection idle');
  });
});

describe('pool: recycling, lifecycle and metrics', () => {
  test('maxQueries recycles a connection', async () => {
    await using p = await pool({ minSize: 1, maxSize: 1, maxQueries: 3 });
    const pids = new Set<number>();
    for (let i = 0; i < 7; i++) pids.add((await p.fetchVal<number>('SELECT pg_backend_pid()'))!);
    assert.equal(pids.size, 3);
  });

  test('expireConnections replaces idle connections now and busy ones on release', async () => {
    await using p = await pool({ minSize: 2, maxSize: 2 });
    const busy = await p.acquire();
    const busyPid = busy.getServerPid();
    const idlePid = await p.acquire((c) => c.getServerPid());
    await until(() => p.getIdleSize() === 1, 'idle again');
    p.expireConnections();
    await busy.release();
    const a = await p.acquire();
    const b = await p.acquire();
    const now = new Set([a.getServerPid(), b.getServerPid()]);
    assert.ok(!now.has(busyPid) && !now.has(idlePid), 'both connections were replaced');
    await a.release();
    await b.release();
  });

  test('maxLifetime and maxInactiveConnectionLifetime retire connections', async () => {
    await using p = await pool({ minSize: 1, maxSize: 3, maxLifetime: 300, maxLifetimeJitter: 0, maxInactiveConnectionLifetime: 150 });
    const first = await p.fetchVal<number>('SELECT pg_backend_pid()');
    const held = await Promise.all([p.acquire(), p.acquire(), p.acquire()]);
    assert.equal(p.getSize(), 3);
    await Promise.all(held.map((c) => c.release()));
    await until(() => p.getSize() === 1, 'shrunk back to minSize', 2000);
    await sleep(350);
    const later = await p.fetchVal<number>('SELECT pg_backend_pid()');
    assert.notEqual(later, first);
  });

  test('close({ timeout }) waits for connections in use, fails waiters, then terminates what is left', async () => {
    const p = await pool({ minSize: 1, maxSize: 1 });
    const c = await p.acquire();
    const waiter = p.acquire();
    const running = c.fetchVal('SELECT pg_sleep(5)');
    const started = Date.now();
    const closing = p.close({ timeout: 200 });
    await assert.rejects(waiter, (e: unknown) => e instanceof InterfaceError && /closing/.test(e.message));
    await closing;
    assert.ok(Date.now() - started < 2000);
    await assert.rejects(running);
    assert.equal(p.getSize(), 0);
    await assert.rejects(p.fetch('SELECT 1'), (e: unknown) => e instanceof InterfaceError && /closed/.test(e.message));
    await assert.rejects(p.acquire(), InterfaceError);
    await c.release();
  });

  test('close() waits for a connection in use to be released (up to its default timeout)', async () => {
    const p = await pool({ minSize: 1, maxSize: 1 });
    const c = await p.acquire();
    let closed = false;
    const closing = p.close().then(() => (closed = true));
    await sleep(50);
    assert.equal(closed, false);
    assert.equal(await c.fetchVal('SELECT 1'), 1, 'a connection in use keeps working while the pool closes');
    await c.release();
    await closing;
    assert.equal(p.getSize(), 0);
  });

  test('terminate() ends everything at once', async () => {
    const p = await pool({ minSize: 2, maxSize: 2 });
    const c = await p.acquire();
    const running = c.fetchVal('SELECT pg_sleep(5)');
    p.terminate();
    await assert.rejects(running);
    assert.equal(p.getSize(), 0);
    assert.ok(p.isClosed());
  });

  test('setConnectArgs: new connections use the new arguments', async () => {
    await using p = await pool({ minSize: 1, maxSize: 1, applicationName: 'before' });
    assert.equal(await p.fetchVal("SELECT current_setting('application_name')"), 'before');
    await p.setConnectArgs(testDsn(), { applicationName: 'after' });
    p.expireConnections();
    assert.equal(await p.fetchVal("SELECT current_setting('application_name')"), 'after');
  });

  test('metric events and stats are named after the OpenTelemetry connection metrics', async () => {
    const events: PoolMetricEvent[] = [];
    await using p = await pool({ minSize: 0, maxSize: 1, acquireTimeout: 50, name: 'metrics-pool' });
    p.addMetricsListener((e) => events.push(e));
    const c = await p.acquire();
    await assert.rejects(p.acquire(), PoolTimeoutError);
    await c.release();
    const names = new Set(events.map((e) => e.name));
    for (const n of ['db.client.connection.create_time', 'db.client.connection.wait_time', 'db.client.connection.use_time', 'db.client.connection.timeouts']) {
      assert.ok(names.has(n as PoolMetricEvent['name']), `${n} was emitted`);
    }
    for (const e of events) {
      assert.equal(e.attributes['db.client.connection.pool.name'], 'metrics-pool');
      assert.ok(e.value >= 0);
      assert.equal(e.unit, e.name === 'db.client.connection.timeouts' ? '{timeout}' : 's');
    }
    const s = p.getStats();
    assert.equal(s.name, 'metrics-pool');
    assert.equal(s.timeouts, 1);
    assert.equal(s.created, 1);
    assert.equal(s.acquires, 1);
    assert.equal(s.size, 1);
    assert.equal(s.idle + s.used, s.size);
  });

  test('server notices on pool connections reach the pool log listeners', async () => {
    const events: PoolLogEvent[] = [];
    await using p = await pool();
    p.addLogListener((e) => events.push(e));
    await p.execute("DO $$ BEGIN RAISE NOTICE 'hello from the server'; END $$");
    const notice = events.find((e) => e.kind === 'notice');
    assert.ok(notice && notice.kind === 'notice' && notice.notice.message === 'hello from the server');
  });
});
