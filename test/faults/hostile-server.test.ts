import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Connection } from '../../src/index.js';
import { connect, ConnectionError, ProtocolError, TimeoutError } from '../../src/index.js';
import { bytes, column, fakeOptions, fakePg, respond } from './fake-pg.js';
import type { FakeServer, FakeSession, Script } from './fake-pg.js';
import type { FrontendMessage } from '../../src/protocol/messages.js';

// A hostile server: every misbehaviour must end in a typed error with the
// connection destroyed, promptly: never a hang, a crash or a huge allocation.

/** Fails the test if `p` has not settled within `ms` (a hang is a failure, not a timeout of the runner). */
async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: the client hung`)), ms);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

async function withServer(onSession: (s: FakeSession, i: number) => void | Promise<void>, body: (srv: FakeServer) => Promise<void>): Promise<void> {
  const srv = await fakePg(onSession);
  try {
    await body(srv);
  } finally {
    await srv.close();
  }
}

/** A session that lets the client in and then answers per `script`. */
function session(script: Script = {}) {
  return async (s: FakeSession) => {
    await s.trustStartup();
    await respond(s, script);
  };
}

/** Runs a query against a server that misbehaves per `script`: expects a ProtocolError and a destroyed connection. */
async function expectProtocolError(script: Script, pattern: RegExp, sql = 'SELECT 1 AS n'): Promise<void> {
  await withServer(session(script), async (srv) => {
    const c = await connect(fakeOptions(srv.port));
    await within(3000, assert.rejects(c.fetch(sql), (e: unknown) => {
      assert.ok(e instanceof ProtocolError, `${String(e)}`);
      assert.match(e.message, pattern);
      return true;
    }));
    assert.equal(c.isClosed(), true, 'the connection was destroyed');
    await assert.rejects(c.fetchVal('SELECT 1'), (e: unknown) => e instanceof ProtocolError || e instanceof ConnectionError);
  });
}

describe('hostile server: message framing', () => {
  test('a negative message length', async () => {
    await expectProtocolError({ onExecute: (s) => s.raw(Buffer.from([0x44, 0xff, 0xff, 0xff, 0xfe])) }, /length/i);
  });

  test('a length below the 4 bytes of the length word itself', async () => {
    await expectProtocolError({ onExecute: (s) => s.raw(Buffer.from([0x44, 0, 0, 0, 2])) }, /length/i);
  });

  test('an oversized length is refused at the header, before the bytes arrive', async () => {
    await withServer(session({ onExecute: (s) => s.raw(Buffer.from([0x44, 0x40, 0, 0, 0])) }), async (srv) => {
      const c = await connect({ ...fakeOptions(srv.port), maxMessageSize: 1 << 20 });
      await within(3000, assert.rejects(c.fetch('SELECT 1'), ProtocolError));
      assert.equal(c.isClosed(), true);
    });
  });

  test('an unknown message type', async () => {
    await expectProtocolError({ onExecute: (s) => s.raw(Buffer.from([0x01, 0, 0, 0, 4])) }, /unexpected message|unknown message/);
  });

  test('an unknown message type while idle destroys the connection', async () => {
    let victim: FakeSession | undefined;
    await withServer(async (s) => {
      victim = s;
      await s.trustStartup();
      await respond(s);
    }, async (srv) => {
      const c = await connect(fakeOptions(srv.port));
      const closed = new Promise<Error | undefined>((r) => c.addTerminationListener((_c, e) => r(e)));
      victim!.raw(Buffer.from([0x7e, 0, 0, 0, 4]));
      const err = await within(3000, closed);
      assert.ok(err instanceof ProtocolError, String(err));
      assert.equal(c.isClosed(), true);
    });
  });
});

describe('hostile server: message order', () => {
  test('a DataRow before any RowDescription', async () => {
    await expectProtocolError(
      { onDescribe: (s) => s.send({ type: 'DataRow', values: [new Uint8Array([0, 0, 0, 1])] }) },
      /unexpected message 'D'/,
    );
  });

  test('a DataRow whose column count does not match the RowDescription', async () => {
    await expectProtocolError(
      { onExecute: (s) => s.send({ type: 'DataRow', values: [new Uint8Array(4), new Uint8Array(4)] }, { type: 'CommandComplete', tag: 'SELECT 1' }) },
      /column count/,
    );
  });

  test('an extra ReadyForQuery', async () => {
    // The extra one follows the last answer, so no request of this client can absorb it.
    let executed = false;
    const script: Script = {
      onExecute: (s) => {
        executed = true;
        s.send({ type: 'DataRow', values: [new Uint8Array([0, 0, 0, 1])] }, { type: 'CommandComplete', tag: 'SELECT 1' });
      },
      onSync: (s) => s.send(...Array.from({ length: executed ? 2 : 1 }, () => ({ type: 'ReadyForQuery', status: 'I' }) as const)),
    };
    await withServer(session(script), async (srv) => {
      const c = await connect(fakeOptions(srv.port));
      const closed = new Promise<Error | undefined>((r) => c.addTerminationListener((_c, e) => r(e)));
      await c.fetch('SELECT 1 AS n').catch(() => undefined);
      const err = await within(3000, closed);
      assert.ok(err instanceof ProtocolError, String(err));
      assert.match(err.message, /ReadyForQuery arrived with no request pending/);
      await assert.rejects(c.fetchVal('SELECT 1'), ProtocolError);
    });
  });
});

describe('hostile server: values', () => {
  const arrayColumn = column('a', 1007); // int4[]

  function arrayHeader(dims: number[]): Uint8Array {
    const b = Buffer.alloc(12 + 8 * dims.length);
    b.writeInt32BE(dims.length, 0);
    b.writeInt32BE(0, 4);
    b.writeInt32BE(23, 8);
    dims.forEach((d, i) => {
      b.writeInt32BE(d, 12 + 8 * i);
      b.writeInt32BE(1, 16 + 8 * i);
    });
    return b;
  }

  for (const dims of [[0x7fffffff], [65536, 32768], [2, 0x40000000]]) {
    test(`an array header claiming ${dims.join(' x ')} elements is refused before allocating`, async () => {
      const before = process.memoryUsage().heapUsed;
      await expectProtocolError(
        {
          fields: [arrayColumn],
          onExecute: (s) => s.send({ type: 'DataRow', values: [arrayHeader(dims)] }, { type: 'CommandComplete', tag: 'SELECT 1' }),
        },
        /int4\[\] value from the server|elements|dimension/,
        'SELECT a FROM t',
      );
      assert.ok(process.memoryUsage().heapUsed - before < 64 * 1024 * 1024, 'no large allocation');
    });
  }
});

describe('hostile server: cancellation', () => {
  /** Answers everything except an Execute, whose Sync then gets no answer until `release` is called. */
  function stalling(onCancel: (s: FakeSession, m: Extract<FrontendMessage, { type: 'CancelRequest' }>) => Promise<void>) {
    let release: (() => void) | undefined;
    let stalled = false;
    let executes = 0;
    const script: Script = {
      onExecute: (s) => {
        // The first query hangs; later ones are answered.
        if (executes++ === 0) stalled = true;
        else s.send({ type: 'DataRow', values: [new Uint8Array([0, 0, 0, 1])] }, { type: 'CommandComplete', tag: 'SELECT 1' });
      },
      onSync: (s) => {
        if (!stalled) {
          s.send({ type: 'ReadyForQuery', status: 'I' });
          return;
        }
        stalled = false;
        release = () =>
          s.send(
            { type: 'ErrorResponse', fields: { S: 'ERROR', V: 'ERROR', C: '57014', M: 'canceling statement due to user request' } },
            { type: 'ReadyForQuery', status: 'I' },
          );
      },
    };
    const startupVersions: number[] = [];
    return {
      startupVersions,
      release: () => release?.(),
      onSession: async (s: FakeSession, i: number) => {
        const first = await s.next();
        if (first.type === 'CancelRequest') {
          await onCancel(s, first);
          return;
        }
        if (first.type !== 'StartupMessage') throw new Error(`unexpected ${first.type}`);
        startupVersions.push(first.protocolVersion);
        s.send(
          { type: 'AuthenticationOk' },
          { type: 'BackendKeyData', processId: 77 + i, secretKey: KEY },
          { type: 'ReadyForQuery', status: 'I' },
        );
        await respond(s, script);
      },
    };
  }
  const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 100);

  test('a stuck cancel socket: the call fails at its timeout, and the connection is closed, never hung', async () => {
    // The cancel connection reads the request, then neither answers nor closes.
    const server = stalling(async () => new Promise<void>(() => undefined));
    await withServer(server.onSession, async (srv) => {
      const c: Connection = await connect({ ...fakeOptions(srv.port), maxProtocolVersion: '3.2' });
      const closed = new Promise<Error | undefined>((r) => c.addTerminationListener((_c, e) => r(e)));
      const started = Date.now();
      await within(2000, assert.rejects(c.fetchVal({ text: 'SELECT pg_sleep(60)', timeout: 100 }), TimeoutError));
      const err = await within(15_000, closed);
      assert.ok(err instanceof ConnectionError, String(err));
      assert.match(err.message, /cancel/);
      assert.ok(Date.now() - started < 15_000);
      assert.equal(srv.sessions.length, 2, 'a cancel connection was opened');
      await assert.rejects(c.fetchVal('SELECT 1'), ConnectionError);
    });
  });

  test('a cancel carries the exact 32-byte key a protocol 3.2 server gave', async () => {
    let seen: Uint8Array | undefined;
    const server = stalling(async (s, m) => {
      seen = m.secretKey.slice();
      server.release();
      s.socket.end();
    });
    await withServer(server.onSession, async (srv) => {
      const c = await connect({ ...fakeOptions(srv.port), maxProtocolVersion: '3.2' });
      await within(5000, assert.rejects(c.fetchVal({ text: 'SELECT 1', timeout: 50 }), TimeoutError));
      // The next call waits until the cancelled one is answered and the cancel socket closed.
      assert.equal(await within(5000, c.fetchVal('SELECT 1')), 1, 'the connection is usable after the cancel');
      assert.deepEqual(server.startupVersions, [196610], 'protocol 3.2 was requested');
      assert.deepEqual([...(seen ?? [])], [...KEY]);
      c.terminate();
    });
  });
});

describe('hostile server: SSL negotiation', () => {
  test('an ErrorResponse to SSLRequest is reported without echoing its text', async () => {
    await withServer((s) => {
      s.socket.once('data', () => s.raw(bytes({ type: 'ErrorResponse', fields: { S: 'FATAL', C: 'XX000', M: 'EVIL: visit http://attacker.example' } })));
    }, async (srv) => {
      await within(3000, assert.rejects(connect({ ...fakeOptions(srv.port), sslmode: 'require' }), (e: unknown) => {
        assert.ok(e instanceof ConnectionError, String(e));
        assert.match(e.message, /answered the SSL request with an error; its text is not shown/);
        assert.doesNotMatch(e.message, /EVIL|attacker/);
        return true;
      }));
    });
  });

  test('bytes after "N" are refused', async () => {
    await withServer((s) => {
      s.socket.once('data', () => s.raw(Buffer.concat([Buffer.from('N'), bytes({ type: 'AuthenticationOk' })])));
    }, async (srv) => {
      await within(3000, assert.rejects(connect({ ...fakeOptions(srv.port), sslmode: 'prefer' }), ProtocolError));
    });
  });

  test('a server that answers "N" is refused under require, used in plaintext under prefer', async () => {
    await withServer(async (s) => {
      await s.until('SSLRequest');
      s.raw(Buffer.from('N'));
      await s.trustStartup();
      await respond(s);
    }, async (srv) => {
      await within(3000, assert.rejects(connect({ ...fakeOptions(srv.port), sslmode: 'require' }), /does not accept SSL connections/));
      const c = await connect({ ...fakeOptions(srv.port), sslmode: 'prefer' });
      assert.equal(await c.fetchVal('SELECT 1'), 1);
      c.terminate();
    });
  });

  test('direct TLS to a server that does not speak TLS fails fast with a typed error', async () => {
    await withServer((s) => {
      s.socket.once('data', () => s.raw(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')));
    }, async (srv) => {
      await within(3000, assert.rejects(connect({ ...fakeOptions(srv.port), sslmode: 'require', sslnegotiation: 'direct' }), ConnectionError));
    });
  });
});
