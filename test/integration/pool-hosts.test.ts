import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, ConnectionError, createPool } from '../../src/index.js';
import type { ConnectOptions, PoolOptions, TargetSessionAttrs } from '../../src/index.js';
import { promoteStandby, startStandby, TempCluster, waitForReplay } from '../../src/testing/index.js';
import { column, fakeOptions, fakePg } from '../faults/fake-pg.js';
import type { FakeSession } from '../faults/fake-pg.js';
import { freePort } from '../../src/testing/ports.js';

/** Where a connection landed: its server's port and whether it is a standby. */
async function landing(options: ConnectOptions): Promise<{ port: number; standby: boolean }> {
  const c = await connect(options);
  try {
    const row = await c.fetchRow<{ port: number; standby: boolean }>('SELECT inet_server_port() AS port, pg_is_in_recovery() AS standby');
    return row!;
  } finally {
    await c.close();
  }
}

describe('many hosts: a primary and a streaming standby', () => {
  let primary: TempCluster;
  let standby: TempCluster;
  let closedPort: number;

  before(async () => {
    primary = await TempCluster.start();
    standby = await startStandby(primary);
    closedPort = await freePort();
  });
  after(async () => {
    await standby?.destroy();
    await primary?.destroy();
  });

  function hosts(order: ('p' | 's' | 'x')[], attrs: TargetSessionAttrs, extra: PoolOptions = {}): PoolOptions {
    const port = { p: primary.port, s: standby.port, x: closedPort };
    return {
      host: order.map(() => '127.0.0.1'),
      port: order.map((k) => port[k]),
      user: primary.user,
      database: 'postgres',
      sslmode: 'disable',
      passfile: '/nonexistent',
      targetSessionAttrs: attrs,
      connectTimeout: 5000,
      ...extra,
    };
  }

  test('the standby streams from the primary', async () => {
    const c = await connect({ ...primary.connectOptions(), sslmode: 'disable' });
    await c.execute('CREATE TABLE hosts_t (id int PRIMARY KEY)');
    await c.execute('INSERT INTO hosts_t VALUES (1)');
    await c.close();
    await waitForReplay(primary, standby);
    const s = await connect({ ...standby.connectOptions(), sslmode: 'disable' });
    assert.equal(await s.fetchVal('SELECT count(*)::int FROM hosts_t'), 1);
    assert.equal(s.getSettings()['in_hot_standby'], 'on');
    await s.close();
  });

  test('target_session_attrs picks the right server whatever the host order', async () => {
    const cases: [TargetSessionAttrs, 'p' | 's' | 'first'][] = [
      ['any', 'first'],
      ['read-write', 'p'],
      ['primary', 'p'],
      ['read-only', 's'],
      ['standby', 's'],
      ['prefer-standby', 's'],
    ];
    for (const order of [['p', 's'], ['s', 'p']] as ('p' | 's')[][]) {
      for (const [attrs, want] of cases) {
        const got = await landing(hosts(order, attrs));
        const expected = want === 'first' ? order[0] : want;
        assert.equal(got.port, expected === 'p' ? primary.port : standby.port, `${attrs} with hosts ${order.join(',')}`);
        assert.equal(got.standby, expected === 's');
      }
    }
  });

  test('prefer-standby takes the primary when no standby answers', async () => {
    assert.equal((await landing(hosts(['p', 'x'], 'prefer-standby'))).port, primary.port);
    assert.equal((await landing(hosts(['x', 'p'], 'prefer-standby'))).port, primary.port);
  });

  test('default_transaction_read_only makes a primary session read-only for read-write and read-only alike', async () => {
    const ro = { serverSettings: { default_transaction_read_only: 'on' } };
    assert.equal((await landing(hosts(['p'], 'read-only', ro))).port, primary.port);
    await assert.rejects(connect(hosts(['p'], 'read-write', ro)), /the session is read-only/);
    assert.equal((await landing(hosts(['p'], 'primary', ro))).port, primary.port, 'still a primary');
  });

  test('no suitable server: the error names each host and why it was refused', async () => {
    await assert.rejects(connect(hosts(['s'], 'read-write')), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${standby.port} does not suit targetSessionAttrs=read-write: the session is read-only`));
      return true;
    });
    await assert.rejects(connect(hosts(['s', 'x'], 'primary')), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.match(e.message, /could not connect to any of 2 hosts with targetSessionAttrs=primary/);
      assert.match(e.message, /in hot standby mode/);
      return true;
    });
  });

  test('a host list and target_session_attrs in the DSN', async () => {
    const dsn = `postgres://${primary.user}@127.0.0.1:${standby.port},127.0.0.1:${primary.port}/postgres?sslmode=disable&target_session_attrs=read-write`;
    const c = await connect(dsn);
    assert.equal(await c.fetchVal('SELECT inet_server_port()'), primary.port);
    await c.close();
  });

  test('load_balance_hosts=random spreads connections over the hosts; disable keeps the order', async () => {
    const ports = new Set<number>();
    for (let i = 0; i < 30 && ports.size < 2; i++) ports.add((await landing(hosts(['p', 's'], 'any', { loadBalanceHosts: 'random' }))).port);
    assert.equal(ports.size, 2);
    for (let i = 0; i < 5; i++) assert.equal((await landing(hosts(['p', 's'], 'any'))).port, primary.port);
    const dsn = `postgres://${primary.user}@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/postgres?sslmode=disable&load_balance_hosts=random`;
    const seen = new Set<number>();
    for (let i = 0; i < 30 && seen.size < 2; i++) {
      const c = await connect(dsn, { passfile: '/nonexistent' });
      seen.add((await c.fetchVal<number>('SELECT inet_server_port()'))!);
      await c.close();
    }
    assert.equal(seen.size, 2);
  });

  test('a read-only pool on the standby, and a pool that keeps serving after failover', async () => {
    await using reader = await createPool(hosts(['p', 's'], 'standby', { minSize: 1, maxSize: 2 }));
    assert.equal(await reader.fetchVal('SELECT pg_is_in_recovery()'), true);

    await using writer = await createPool(hosts(['p', 's'], 'read-write', { minSize: 2, maxSize: 4, acquireTimeout: 5000 }));
    assert.equal(await writer.fetchVal('SELECT inet_server_port()'), primary.port);
    await writer.execute('INSERT INTO hosts_t VALUES (2)');
    await waitForReplay(primary, standby);

    await primary.stop();
    // While nothing accepts writes, calls fail fast with an error that says why.
    await assert.rejects(writer.execute('INSERT INTO hosts_t VALUES (3)'), ConnectionError);
    await promoteStandby(standby);
    let served = false;
    const deadline = Date.now() + 15_000;
    while (!served && Date.now() < deadline) {
      try {
        await writer.execute('INSERT INTO hosts_t VALUES (3)');
        served = true;
      } catch {
        await sleep(100);
      }
    }
    assert.ok(served, 'the pool wrote to the promoted standby');
    assert.equal(await writer.fetchVal('SELECT inet_server_port()'), standby.port);
    assert.deepEqual(await writer.fetch('SELECT id FROM hosts_t ORDER BY id'), [{ id: 1 }, { id: 2 }, { id: 3 }]);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => writer.fetchVal<number>('SELECT $1::int', i)));
    assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i));
  });
});

describe('many hosts: servers that do not report in_hot_standby (before PostgreSQL 14)', () => {
  /** A server that answers SHOW transaction_read_only and pg_is_in_recovery() as told, and records the SQL it saw. */
  async function oldServer(readOnly: boolean, recovery: boolean, seen: string[]) {
    return fakePg(async (s: FakeSession) => {
      await s.trustStartup();
      let sql = '';
      let formats: number[] = [];
      for (;;) {
        let m;
        try {
          m = await s.next();
        } catch {
          return;
        }
        switch (m.type) {
          case 'Query':
            seen.push(m.query);
            s.send({ type: 'CommandComplete', tag: 'SELECT 0' }, { type: 'ReadyForQuery', status: 'I' });
            break;
          case 'Parse':
            sql = m.query;
            seen.push(sql);
            s.send({ type: 'ParseComplete' });
            break;
          case 'Describe': {
            const col = /recovery/.test(sql) ? column('pg_is_in_recovery', 16, 0) : column('transaction_read_only', 25, 0);
            if (m.target === 'S') s.send({ type: 'ParameterDescription', parameterOids: [] });
            s.send({ type: 'RowDescription', fields: [col] });
            break;
          }
          case 'Bind':
            formats = m.resultFormats;
            s.send({ type: 'BindComplete' });
            break;
          case 'Execute': {
            let value: Uint8Array;
            if (/recovery/.test(sql)) value = formats[0] === 1 ? new Uint8Array([recovery ? 1 : 0]) : Buffer.from(recovery ? 't' : 'f');
            else value = Buffer.from(readOnly ? 'on' : 'off');
            s.send({ type: 'DataRow', values: [value] }, { type: 'CommandComplete', tag: 'SELECT 1' });
            break;
          }
          case 'Sync':
            s.send({ type: 'ReadyForQuery', status: 'I' });
            break;
          case 'Close':
            s.send({ type: 'CloseComplete' });
            break;
          case 'Terminate':
            s.socket.end();
            return;
          default:
            break;
        }
      }
    });
  }

  test('read-write and read-only ask SHOW transaction_read_only', async () => {
    const seen: string[] = [];
    const ro = await oldServer(true, false, seen);
    try {
      await assert.rejects(connect({ ...fakeOptions(ro.port), targetSessionAttrs: 'read-write' }), /the session is read-only/);
      assert.ok(seen.includes('SHOW transaction_read_only'));
      const c = await connect({ ...fakeOptions(ro.port), targetSessionAttrs: 'read-only' });
      await c.close();
    } finally {
      await ro.close();
    }
  });

  test('primary and standby ask pg_is_in_recovery()', async () => {
    const seen: string[] = [];
    const standbyServer = await oldServer(true, true, seen);
    try {
      await assert.rejects(connect({ ...fakeOptions(standbyServer.port), targetSessionAttrs: 'primary' }), /in hot standby mode/);
      assert.ok(seen.some((q) => /pg_is_in_recovery\(\)/.test(q)));
      const c = await connect({ ...fakeOptions(standbyServer.port), targetSessionAttrs: 'standby' });
      await c.close();
    } finally {
      await standbyServer.close();
    }
  });
});
