import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { connect, ConnectionError, ProtocolError } from '../../src/index.js';
import { encodeBackend } from '../../src/protocol/backend.js';
import type { BackendMessage } from '../../src/protocol/messages.js';
import { Writer } from '../../src/protocol/writer.js';

/** A scripted server: `onConnection` gets each socket and writes what the test wants. */
async function fakeServer(onConnection: (s: net.Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    onConnection(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function bytes(...msgs: BackendMessage[]): Buffer {
  const w = new Writer();
  for (const m of msgs) encodeBackend(m, w);
  return Buffer.from(w.toBytes());
}

// statementMode 'named' skips the pooler probe query, which these scripts do not answer.
const opts = (port: number) => ({ host: '127.0.0.1', port, user: 'u', database: 'd', passfile: '/nonexistent', connectTimeout: 3000, statementMode: 'named' as const });

/** A successful startup: no authentication, a backend key, ReadyForQuery. */
function startup(processId: number): Buffer {
  return bytes(
    { type: 'AuthenticationOk' },
    { type: 'BackendKeyData', processId, secretKey: new Uint8Array([1, 2, 3, 4]) },
    { type: 'ReadyForQuery', status: 'I' },
  );
}

/**
 * Starts the session, then answers the first flight of queries with one
 * CommandComplete and two ReadyForQuery messages: one nobody asked for.
 */
function extraReadyForQuery(s: net.Socket): void {
  let n = 0;
  s.on('data', () => {
    n++;
    if (n === 1) s.write(startup(1));
    else s.write(bytes({ type: 'CommandComplete', tag: 'SELECT 1' }, { type: 'ReadyForQuery', status: 'I' }, { type: 'ReadyForQuery', status: 'I' }));
  });
}

describe('a hostile or broken server', () => {
  test('bytes after the SSL "S" and before the handshake are refused (CVE-2021-23222)', async () => {
    const srv = await fakeServer((s) => s.once('data', () => s.write(Buffer.concat([Buffer.from('S'), bytes({ type: 'AuthenticationOk' })]))));
    try {
      await assert.rejects(connect({ ...opts(srv.port), sslmode: 'require' }), (e: unknown) => {
        assert.ok(e instanceof ProtocolError, String(e));
        assert.match(e.message, /unencrypted byte\(s\) after the server's SSL response/);
        return true;
      });
    } finally {
      await srv.close();
    }
  });

  test('a message length over the cap is a ProtocolError, and pending calls fail', async () => {
    const srv = await fakeServer((s) => {
      s.once('data', () => {
        const huge = Buffer.alloc(5);
        huge[0] = 0x52; // 'R'
        huge.writeInt32BE(0x7fffffff, 1);
        s.write(huge);
      });
    });
    try {
      await assert.rejects(connect({ ...opts(srv.port), sslmode: 'disable' }), ProtocolError);
    } finally {
      await srv.close();
    }
  });

  test('a server that closes during startup gives a ConnectionError naming the host', async () => {
    const srv = await fakeServer((s) => s.once('data', () => s.destroy()));
    try {
      await assert.rejects(connect({ ...opts(srv.port), sslmode: 'disable' }), (e: unknown) => {
        assert.ok(e instanceof ConnectionError, String(e));
        assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${srv.port}`));
        return true;
      });
    } finally {
      await srv.close();
    }
  });

  test('an unexpected extra ReadyForQuery destroys the connection instead of mismatching answers', async () => {
    const srv = await fakeServer(extraReadyForQuery);
    try {
      const c = await connect({ ...opts(srv.port), sslmode: 'disable' });
      await c.execute('SELECT 1');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(c.isClosed(), true);
      await assert.rejects(c.execute('SELECT 1'), (e: unknown) => e instanceof ProtocolError || e instanceof ConnectionError);
    } finally {
      await srv.close();
    }
  });

  test('an extra ReadyForQuery while calls are pipelined is a ProtocolError, never a shifted answer', async () => {
    const srv = await fakeServer(extraReadyForQuery);
    try {
      const c = await connect({ ...opts(srv.port), sslmode: 'disable' });
      const first = c.execute('SELECT 1');
      const second = c.execute('SELECT 2');
      assert.equal(await first, 'SELECT 1');
      await assert.rejects(second, (e: unknown) => e instanceof ProtocolError || e instanceof ConnectionError);
      assert.equal(c.isClosed(), true);
    } finally {
      await srv.close();
    }
  });

  test('several hosts: a refused one is skipped and the next is used', async () => {
    const srv = await fakeServer((s) =>
      s.once('data', () =>
        s.write(startup(7)),
      ),
    );
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadPort = (dead.address() as net.AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    try {
      const c = await connect(`postgres://u@127.0.0.1:${deadPort},127.0.0.1:${srv.port}/d?sslmode=disable&passfile=/nonexistent`, {
        statementMode: 'named',
      });
      assert.equal(c.getServerPid(), 7);
      c.terminate();
      await assert.rejects(
        connect(`postgres://u@127.0.0.1:${deadPort},127.0.0.1:${deadPort}/d?sslmode=disable&passfile=/nonexistent`),
        (e: unknown) => e instanceof ConnectionError && /could not connect to any of 2 hosts/.test(e.message),
      );
    } finally {
      await srv.close();
    }
  });
});
