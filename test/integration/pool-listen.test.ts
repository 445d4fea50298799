import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, createPool, InterfaceError } from '../../src/index.js';
import type { Connection, ListenGap, Pool, PoolLogEvent } from '../../src/index.js';
import { TempCluster } from '../../src/testing/index.js';
import { testDsn } from './harness.js';

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await sleep(10);
  }
}

describe('pool.listen()', () => {
  let p: Pool;
  let admin: Connection;
  before(async () => {
    p = await createPool(testDsn(), { minSize: 1, maxSize: 2 });
    admin = await connect(testDsn());
  });
  after(async () => {
    await p.close();
    await admin.close();
  });

  test('notifications arrive on a dedicated connection outside the pool count, unaffected by pool resets', async () => {
    const got: string[] = [];
    const sub = await p.listen('pool listen "chan"', (payload, info) => {
      got.push(payload);
      assert.equal(info.channel, 'pool listen "chan"');
    });
    try {
      assert.equal(p.getSize(), 1, 'the LISTEN connection is not a pool connection');
      const listenPid = p.getListenConnection()?.getServerPid();
      assert.ok(listenPid !== undefined);
      // Pool connections are reset (UNLISTEN *) on release; the LISTEN connection is not one of them.
      for (let i = 0; i < 3; i++) await p.execute('SELECT pg_notify($1, $2)', 'pool listen "chan"', `m${i}`);
      await until(() => got.length === 3, 'three notifications');
      assert.deepEqual(got, ['m0', 'm1', 'm2']);
      assert.notEqual(await p.fetchVal('SELECT pg_backend_pid()'), listenPid);
    } finally {
      await sub.unlisten();
    }
  });

  test('after the connection is killed it reconnects, LISTENs again on every channel, and reports the gap', async () => {
    const events: PoolLogEvent[] = [];
    p.addLogListener((e) => events.push(e));
    const a: string[] = [];
    const b: string[] = [];
    const gaps: ListenGap[] = [];
    const subA = await p.listen('pool_chan_a', { onNotification: (x) => void a.push(x), onGap: (g) => void gaps.push(g) });
    const subB = await p.listen('pool_chan_b', (x) => void b.push(x));
    try {
      const pid = p.getListenConnection()!.getServerPid();
      await admin.fetchVal('SELECT pg_terminate_backend($1)', pid);
      await until(() => gaps.length === 1, 'the gap callback');
      const gap = gaps[0]!;
      assert.equal(gap.channel, 'pool_chan_a');
      assert.ok(gap.restoredAt >= gap.lostAt);
      assert.ok(gap.error instanceof Error);
      assert.notEqual(p.getListenConnection()!.getServerPid(), pid);
      assert.ok(events.some((e) => e.kind === 'listen-lost'));
      assert.ok(events.some((e) => e.kind === 'listen-restored'));
      await admin.execute("NOTIFY pool_chan_a, 'after-a'; NOTIFY pool_chan_b, 'after-b'");
      await until(() => a.length === 1 && b.length === 1, 'both channels deliver again');
      assert.deepEqual([a, b], [['after-a'], ['after-b']]);
    } finally {
      await subA.unlisten();
      await subB.unlisten();
    }
  });

  test('unlisten stops delivery; the last one closes the LISTEN connection', async () => {
    const got: string[] = [];
    const one = await p.listen('pool_chan_u', (x) => void got.push(`one:${x}`));
    const two = await p.listen('pool_chan_u', (x) => void got.push(`two:${x}`));
    await admin.execute("NOTIFY pool_chan_u, '1'");
    await until(() => got.length === 2, 'both handlers');
    await one.unlisten();
    assert.equal(one.listening, false);
    await admin.execute("NOTIFY pool_chan_u, '2'");
    await until(() => got.length === 3, 'the remaining handler');
    assert.deepEqual(got.sort(), ['one:1', 'two:1', 'two:2']);
    const conn = p.getListenConnection()!;
    await two.unlisten();
    assert.equal(p.getListenConnection(), undefined);
    assert.ok(conn.isClosed());
  });

  test('a bad handler or channel is refused', async () => {
    await assert.rejects(p.listen('x', 42 as never), InterfaceError);
    await assert.rejects(p.listen('x', { onNotification: () => undefined, onGap: 'no' } as never), InterfaceError);
    await assert.rejects(p.listen('', () => undefined), InterfaceError);
  });
});

describe('pool.listen() across a server restart', () => {
  let cluster: TempCluster;
  before(async () => {
    cluster = await TempCluster.start();
  });
  after(async () => {
    await cluster?.destroy();
  });

  test('LISTEN comes back after the server restarts', async () => {
    await using p = await createPool({ ...cluster.connectOptions(), sslmode: 'disable', minSize: 1, maxSize: 1 });
    const got: string[] = [];
    const gaps: ListenGap[] = [];
    await p.listen('restart_chan', { onNotification: (x) => void got.push(x), onGap: (g) => void gaps.push(g) });
    await cluster.stop();
    await sleep(300);
    await cluster.start();
    await until(() => gaps.length === 1, 'LISTEN restored', 15_000);
    await p.execute("NOTIFY restart_chan, 'back'");
    await until(() => got.length === 1, 'a notification after the restart');
    assert.deepEqual(got, ['back']);
  });
});
