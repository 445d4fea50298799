import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, createPool, PoolTimeoutError, PostgresError } from '../../src/index.js';
import type { Connection, PoolLogEvent } from '../../src/index.js';
import { TempCluster } from '../../src/testing/index.js';
import { testDsn, testOptions } from './harness.js';

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await sleep(10);
  }
}

/** Records unhandled rejections and uncaught exceptions while a test runs. */
function watchProcess(): { problems: unknown[]; stop(): void } {
  const problems: unknown[] = [];
  const onRejection = (e: unknown) => problems.push(e);
  const onException = (e: unknown) => problems.push(e);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    problems,
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

/**
 * A TCP proxy whose open connections can go silent: both sockets stay open
 * but nothing is forwarded any more, like a dead network path. Connections
 * made afterwards work.
 */
async function silentProxy(port: number): Promise<{ port: number; silence(): void; close(): Promise<void> }> {
  const pairs = new Set<{ silent: boolean; sockets: net.Socket[] }>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    const pair = { silent: false, sockets: [client, upstream] };
    pairs.add(pair);
    for (const s of pair.sockets) {
      s.on('error', () => undefined);
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
        pairs.delete(pair);
      });
    }
    client.on('data', (d) => void (pair.silent || upstream.write(d)));
    upstream.on('data', (d) => void (pair.silent || client.write(d)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    silence: () => {
      for (const p of pairs) p.silent = true;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const p of pairs) for (const s of p.sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('pool health', () => {
  let admin: Connection;
  before(async () => {
    admin = await connect(testDsn());
  });
  after(async () => {
    await admin.close();
  });

  test('an idle connection killed by the server is noticed and replaced, with no unhandled error reaching the process', async () => {
    const watch = watchProcess();
    const events: PoolLogEvent[] = [];
    try {
      await using p = await createPool(testDsn(), { minSize: 3, maxSize: 3 });
      p.addLogListener((e) => events.push(e));
      const pids = await Promise.all([p.acquire(), p.acquire(), p.acquire()]).then(async (cs) => {
        const ids = cs.map((c) => c.getServerPid());
        await Promise.all(cs.map((c) => c.release()));
        return ids;
      });
      await until(() => p.getIdleSize() === 3, 'all idle');
      await admin.fetchVal('SELECT count(pg_terminate_backend(pid)) FROM unnest($1::int[]) AS pid', pids);
      await until(() => events.filter((e) => e.kind === 'connection-lost').length === 3, 'three losses reported');
      await until(() => p.getIdleSize() === 3, 'refilled to minSize');
      const fresh = await Promise.all([p.acquire(), p.acquire(), p.acquire()]);
      for (const c of fresh) assert.ok(!pids.includes(c.getServerPid()), 'a replacement connection');
      assert.deepEqual(await Promise.all(fresh.map((c) => c.fetchVal('SELECT 1'))), [1, 1, 1]);
      await Promise.all(fresh.map((c) => c.release()));
      await sleep(50);
      assert.deepEqual(watch.problems, []);
    } finally {
      watch.stop();
    }
  });

  test('a connection idle past pingAfterIdle is checked; one that went silent is replaced within pingTimeout', async () => {
    const o = testOptions();
    const proxy = await silentProxy(o.port);
    try {
      await using p = await createPool({ ...o, host: '127.0.0.1', port: proxy.port, sslmode: 'disable', minSize: 1, maxSize: 1, pingAfterIdle: 50, pingTimeout: 300 });
      const events: PoolLogEvent[] = [];
      p.addLogListener((e) => events.push(e));
      const pid = await p.fetchVal<number>('SELECT pg_backend_pid()');
      await until(() => p.getIdleSize() === 1, 'idle');
      await sleep(80);
      proxy.silence();
      const started = Date.now();
      // The ping meets silence; after pingTimeout the connection is dropped and a new one serves the caller.
      const pid2 = await p.fetchVal<number>('SELECT pg_backend_pid()');
      const took = Date.now() - started;
      assert.notEqual(pid2, pid);
      assert.ok(took >= 290 && took < 3000, `took ${took} ms`);
      assert.ok(events.some((e) => e.kind === 'connection-lost' && /health check/.test(e.message)), 'the failed health check was reported');
    } finally {
      await proxy.close();
    }
  });

  test('a healthy idle connection passes its ping and is reused', async () => {
    await using p = await createPool(testDsn(), { minSize: 1, maxSize: 1, pingAfterIdle: 20 });
    const pid = await p.fetchVal<number>('SELECT pg_backend_pid()');
    await sleep(60);
    assert.equal(await p.fetchVal<number>('SELECT pg_backend_pid()'), pid);
  });

  test('released mid-pipeline: the calls in flight finish, then the reset runs and the connection is reused', async () => {
    await using p = await createPool(testDsn(), { minSize: 1, maxSize: 1 });
    const c = await p.acquire();
    const pid = c.getServerPid();
    const inflight = Array.from({ length: 50 }, (_, i) => c.fetchVal<number>('SELECT $1::int', i));
    const begun = c.execute('BEGIN');
    await c.release();
    assert.deepEqual(await Promise.all(inflight), Array.from({ length: 50 }, (_, i) => i));
    await begun;
    await p.acquire(async (c2) => {
      assert.equal(c2.getServerPid(), pid);
      assert.equal(c2.isInTransaction(), false, 'the BEGIN sent before the release was rolled back');
    });
  });

  test('released during COPY: the reset cannot run, so the connection is closed after resetTimeout and replaced', async () => {
    await admin.execute('DROP TABLE IF EXISTS pool_copy_t; CREATE TABLE pool_copy_t (a int)');
    try {
      await using p = await createPool(testDsn(), { minSize: 1, maxSize: 1, resetTimeout: 300 });
      const c = await p.acquire();
      const pid = c.getServerPid();
      let stop: () => void = () => undefined;
      async function* endless() {
        yield '1\n';
        await new Promise<void>((r) => (stop = r));
      }
      const copying = c.copyToTable('pool_copy_t', { source: endless() });
      await sleep(50);
      await c.release();
      await assert.rejects(copying);
      stop();
      const pid2 = await p.fetchVal<number>('SELECT pg_backend_pid()');
      assert.notEqual(pid2, pid);
      assert.equal(await admin.fetchVal('SELECT count(*)::int FROM pool_copy_t'), 0);
    } finally {
      await admin.execute('DROP TABLE IF EXISTS pool_copy_t');
    }
  });

  test('an error other than "too many clients" fails the caller at once', async () => {
    await using p = await createPool(testDsn(), { database: 'pgjet_no_such_database', minSize: 0, maxSize: 2, acquireTimeout: 10_000 });
    const started = Date.now();
    await assert.rejects(p.fetchVal('SELECT 1'), (e: unknown) => e instanceof PostgresError && e.sqlstate === '3D000');
    assert.ok(Date.now() - started < 2000);
  });
});

describe('pool health with a server of its own', () => {
  let cluster: TempCluster;
  before(async () => {
    cluster = await TempCluster.start({ postgresqlConf: ['max_connections = 8', 'superuser_reserved_connections = 3'] });
    const c = await connect({ ...cluster.connectOptions(), sslmode: 'disable' });
    await c.execute('CREATE ROLE pool_app LOGIN');
    await c.close();
  });
  after(async () => {
    await cluster?.destroy();
  });

  function appOptions() {
    return { ...cluster.connectOptions(), user: 'pool_app', sslmode: 'disable' as const, passfile: '/nonexistent' };
  }

  test('a server restart while the pool is idle: the next acquire works', async () => {
    const watch = watchProcess();
    try {
      await using p = await createPool({ ...cluster.connectOptions(), sslmode: 'disable', minSize: 2, maxSize: 2, checkServerCapacity: false });
      const before = await p.fetchVal<number>('SELECT pg_backend_pid()');
      await cluster.restart();
      assert.equal(await p.fetchVal('SELECT 41 + 1'), 42);
      const c = await p.acquire();
      assert.notEqual(c.getServerPid(), before);
      await c.release();
      assert.deepEqual(watch.problems, []);
    } finally {
      watch.stop();
    }
  });

  test('maxSize above the free connection slots is reported at createPool', async () => {
    const events: PoolLogEvent[] = [];
    await using p = await createPool({ ...appOptions(), minSize: 1, maxSize: 20 });
    p.addLogListener((e) => events.push(e));
    await sleep(10);
    const sizing = events.find((e) => e.kind === 'sizing');
    assert.ok(sizing && sizing.kind === 'sizing', 'a sizing warning');
    assert.equal(sizing.maxSize, 20);
    assert.equal(sizing.available, 5, 'max_connections 8 - 3 reserved - 0 others open');
    assert.match(sizing.message, /maxSize 20 is more than .* has room for: max_connections 8 - 3 reserved - 0 already open = 5 free/);
  });

  test('"too many clients" (53300) while growing is retried until a slot frees up, within acquireTimeout', async () => {
    const blockers: Connection[] = [];
    for (let i = 0; i < 5; i++) blockers.push(await connect(appOptions()));
    await assert.rejects(connect(appOptions()), (e: unknown) => e instanceof PostgresError && e.sqlstate === '53300');
    await using p = await createPool({ ...appOptions(), minSize: 0, maxSize: 1, acquireTimeout: 5000, checkServerCapacity: false });
    const started = Date.now();
    setTimeout(() => void blockers.pop()!.close(), 400);
    assert.equal(await p.fetchVal('SELECT 1'), 1);
    const waited = Date.now() - started;
    assert.ok(waited >= 350 && waited < 4000, `waited ${waited} ms`);
    await Promise.all(blockers.map((b) => b.close()));
  });

  test('"too many clients" until acquireTimeout: the PoolTimeoutError says why the pool could not grow', async () => {
    const blockers: Connection[] = [];
    for (let i = 0; i < 5; i++) blockers.push(await connect(appOptions()));
    try {
      await using p = await createPool({ ...appOptions(), minSize: 0, maxSize: 2, acquireTimeout: 400, checkServerCapacity: false });
      await assert.rejects(p.acquire(), (e: unknown) => {
        assert.ok(e instanceof PoolTimeoutError);
        assert.match(e.message, /0 of maxSize 2 open/);
        assert.match(e.message, /opening a connection failed: .*(reserved|too many)/);
        assert.ok(e.details.lastConnectError instanceof PostgresError && e.details.lastConnectError.sqlstate === '53300');
        return true;
      });
    } finally {
      await Promise.all(blockers.map((b) => b.close()));
    }
  });
});
