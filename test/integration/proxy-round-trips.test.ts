import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect } from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import { TcpProxy } from '../../src/testing/index.js';
import { testDsn } from './harness.js';

/** A line server: answers "ok\n" for every complete line it receives. */
async function lineServer(): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((s) => {
    let pending = '';
    s.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        pending = pending.slice(nl + 1);
        s.write('ok\n');
      }
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** Resolve with the next chunk the socket receives. */
function nextReply(s: net.Socket): Promise<string> {
  return new Promise((resolve) => s.once('data', (b: Buffer) => resolve(b.toString('utf8'))));
}

describe('TcpProxy round trips, raw bytes', () => {
  test('a burst of writes before any reply is one round trip; a write after a reply is the next', async () => {
    const { server, port } = await lineServer();
    const proxy = await TcpProxy.start({ targetHost: '127.0.0.1', targetPort: port });
    const s = net.connect({ host: '127.0.0.1', port: proxy.port });
    try {
      await new Promise<void>((resolve) => s.once('connect', () => resolve()));
      let reply = nextReply(s);
      // The server answers only at the newline, so both writes pass the proxy before any reply.
      s.write('a');
      await new Promise((r) => setTimeout(r, 20));
      s.write('b\n');
      assert.equal(await reply, 'ok\n');
      assert.equal(proxy.roundTrips(), 1);
      reply = nextReply(s);
      s.write('c\n');
      assert.equal(await reply, 'ok\n');
      assert.equal(proxy.roundTrips(), 2);
      proxy.resetCounts();
      assert.equal(proxy.roundTrips(), 0);
      reply = nextReply(s);
      s.write('d\n');
      assert.equal(await reply, 'ok\n');
      assert.equal(proxy.roundTrips(), 1);
      // Not a PostgreSQL stream: no frontend message could be parsed, so none is counted.
      assert.equal(proxy.count('startup'), 0);
    } finally {
      s.destroy();
      await proxy.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('TcpProxy round trips, pgjet', () => {
  let proxy: TcpProxy;
  let conn: Connection;
  before(async () => {
    const u = new URL(testDsn());
    proxy = await TcpProxy.start({ targetHost: u.hostname, targetPort: Number(u.port || 5432) });
    conn = await connect(testDsn(), { host: '127.0.0.1', port: proxy.port, sslmode: 'disable' });
  });
  after(async () => {
    await conn.close();
    await proxy.close();
  });

  test('connecting counts its own round trips, and resetCounts clears them', () => {
    // Startup and authentication take at least one turn; what they take exactly is the server's choice.
    assert.ok(proxy.roundTrips() >= 1);
    proxy.resetCounts();
    assert.equal(proxy.roundTrips(), 0);
    assert.equal(proxy.count('P'), 0);
  });

  test('a cached statement costs one round trip per run', async () => {
    const sql = 'SELECT g AS n FROM generate_series(1, $1::int) g';
    await conn.fetch(sql, 2);
    proxy.resetCounts();
    assert.deepEqual(await conn.fetch(sql, 3), [{ n: 1 }, { n: 2 }, { n: 3 }]);
    assert.equal(proxy.roundTrips(), 1);
    assert.equal(proxy.count('P'), 0);
    proxy.resetCounts();
    for (let i = 0; i < 5; i++) assert.equal((await conn.fetch(sql, i)).length, i);
    assert.equal(proxy.roundTrips(), 5);
  });

  test('a cached zero-parameter statement costs one round trip', async () => {
    await conn.fetchVal('SELECT 1 AS rt_one');
    proxy.resetCounts();
    assert.equal(await conn.fetchVal('SELECT 1 AS rt_one'), 1);
    assert.equal(proxy.roundTrips(), 1);
  });

  test('an explicit batch of 10 cached queries is one round trip', async () => {
    const sql = 'SELECT $1::int AS rt_batch';
    await conn.fetchVal(sql, 0);
    proxy.resetCounts();
    const b = conn.batch();
    for (let i = 0; i < 10; i++) b.fetchVal(sql, i);
    assert.deepEqual(await b.run(), Array.from({ length: 10 }, (_, i) => i));
    assert.equal(proxy.count('B'), 10);
    assert.equal(proxy.roundTrips(), 1);
  });

  test('10 concurrent cached queries on one connection are pipelined into one round trip', async () => {
    const sql = 'SELECT $1::int AS rt_all';
    await conn.fetchVal(sql, 0);
    proxy.resetCounts();
    const got = await Promise.all(Array.from({ length: 10 }, (_, i) => conn.fetchVal(sql, i)));
    assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => i));
    assert.equal(proxy.count('B'), 10);
    assert.equal(proxy.roundTrips(), 1);
  });
});
