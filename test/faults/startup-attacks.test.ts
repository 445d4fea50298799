import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { ConnectOptions } from '../../src/index.js';
import { connect, ConnectionError, ProtocolError, TimeoutError } from '../../src/index.js';
import type { BackendMessage, FrontendMessage } from '../../src/protocol/messages.js';
import { fakeOptions, fakePg, respond } from './fake-pg.js';
import type { FakeSession } from './fake-pg.js';

// The startup phase against a server that lies: protocol negotiation,
// authentication requests, SCRAM messages and message order. Every case
// ends in a typed error before any secret is given away, and never hangs.

const KEY4 = new Uint8Array([1, 2, 3, 4]);
const READY: BackendMessage[] = [
  { type: 'BackendKeyData', processId: 1, secretKey: KEY4 },
  { type: 'ReadyForQuery', status: 'I' },
];

/** Runs `script` as the server side of startup, records what the client sent, and returns the connect outcome. */
async function attempt(
  script: (s: FakeSession) => Promise<void>,
  options: ConnectOptions = {},
): Promise<{ error: Error | undefined; received: FrontendMessage[] }> {
  const received: FrontendMessage[] = [];
  const srv = await fakePg(async (s) => {
    const orig = s.next.bind(s);
    s.next = async () => {
      const m = await orig();
      received.push(m);
      return m;
    };
    await script(s);
    await respond(s);
  });
  try {
    let error: Error | undefined;
    const started = Date.now();
    try {
      const c = await connect({ ...fakeOptions(srv.port), ...options });
      c.terminate();
    } catch (e) {
      error = e as Error;
    }
    assert.ok(Date.now() - started < 5000, 'no hang');
    return { error, received };
  } finally {
    await srv.close();
  }
}

function assertError(r: { error: Error | undefined }, type: new (...a: never[]) => Error, pattern: RegExp): void {
  assert.ok(r.error instanceof type, `expected ${type.name}, got ${String(r.error)}`);
  assert.match(r.error.message, pattern);
}

/** True if the client sent any password, hash or SASL message. */
function sentSecret(received: FrontendMessage[]): boolean {
  return received.some((m) => m.type === 'PasswordMessage' || m.type === 'SASLInitialResponse' || m.type === 'SASLResponse');
}

describe('NegotiateProtocolVersion', () => {
  const npv = (version: number, options: string[] = []) => async (s: FakeSession) => {
    await s.until('StartupMessage');
    s.send({ type: 'NegotiateProtocolVersion', newestMinorVersion: version, unrecognizedOptions: options }, { type: 'AuthenticationOk' }, ...READY);
  };

  test('a downgrade from 3.2 to 3.0 is accepted', async () => {
    const r = await attempt(npv(0x30000), { maxProtocolVersion: '3.2' });
    assert.equal(r.error, undefined, String(r.error));
    assert.equal((r.received[0] as { protocolVersion: number }).protocolVersion, 0x30002);
  });

  test('a version above the one requested is refused', async () => {
    assertError(await attempt(npv(0x30002)), ProtocolError, /offers protocol 3\.2 in answer to a request for 3\.0/);
    assertError(await attempt(npv(0x30005), { maxProtocolVersion: '3.2' }), ProtocolError, /may only offer a lower version/);
  });

  test('a version below minProtocolVersion is refused', async () => {
    assertError(await attempt(npv(0x30000), { minProtocolVersion: '3.2' }), ConnectionError, /supports protocol 3\.0 at most, but minProtocolVersion is 3\.2/);
  });

  test('3.1, another major version, and options never sent are refused', async () => {
    assertError(await attempt(npv(0x30001), { maxProtocolVersion: '3.2' }), ProtocolError, /3\.1, which does not exist/);
    assertError(await attempt(npv(0x20000), { maxProtocolVersion: '3.2' }), ProtocolError, /only 3\.x exists/);
    assertError(await attempt(npv(0x30000, ['_pq_.evil']), { maxProtocolVersion: '3.2' }), ProtocolError, /options pgjet never sent \("_pq_\.evil"\)/);
  });

  test('NegotiateProtocolVersion after authentication began is refused', async () => {
    const r = await attempt(async (s) => {
      await s.until('StartupMessage');
      s.send({ type: 'AuthenticationOk' }, { type: 'NegotiateProtocolVersion', newestMinorVersion: 0x30000, unrecognizedOptions: [] }, ...READY);
    }, { maxProtocolVersion: '3.2' });
    assertError(r, ProtocolError, /must come first/);
  });

  test('a long cancel key under protocol 3.0 is refused', async () => {
    const r = await attempt(async (s) => {
      await s.until('StartupMessage');
      s.send({ type: 'AuthenticationOk' }, { type: 'BackendKeyData', processId: 1, secretKey: new Uint8Array(32) }, { type: 'ReadyForQuery', status: 'I' });
    });
    assertError(r, ProtocolError, /32-byte secret key, but protocol 3\.0 keys are 4 bytes/);
  });
});

describe('message order during startup', () => {
  test('ReadyForQuery before AuthenticationOk is refused', async () => {
    const r = await attempt(async (s) => {
      await s.until('StartupMessage');
      s.send(...READY);
    });
    assertError(r, ProtocolError, /ReadyForQuery before AuthenticationOk/);
  });

  test('an authentication request after AuthenticationOk is refused, and no password is sent', async () => {
    const r = await attempt(async (s) => {
      await s.until('StartupMessage');
      s.send({ type: 'AuthenticationOk' }, { type: 'AuthenticationCleartextPassword' }, ...READY);
    }, { password: 'secret', allowUnencryptedPassword: true });
    assertError(r, ProtocolError, /AuthenticationCleartextPassword after AuthenticationOk/);
    assert.equal(sentSecret(r.received), false);
  });

  test('a second, different authentication request is refused', async () => {
    const r = await attempt(async (s) => {
      await s.until('StartupMessage');
      s.send({ type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256'] }, { type: 'AuthenticationCleartextPassword' });
      await s.next();
    }, { password: 'secret', allowUnencryptedPassword: true });
    assertError(r, ProtocolError, /asked for a cleartext password after SCRAM-SHA-256 authentication had begun/);
    assert.equal(r.received.some((m) => m.type === 'PasswordMessage'), false);
  });

  test('a server that never answers the StartupMessage: TimeoutError at connectTimeout', async () => {
    const r = await attempt(async (s) => {
      await s.until('StartupMessage');
    }, { connectTimeout: 300 });
    assertError(r, TimeoutError, /timed out after 300 ms/);
  });
});

describe('authentication requests the client refuses', () => {
  const asks = (m: BackendMessage) => async (s: FakeSession) => {
    await s.until('StartupMessage');
    s.send(m);
    await s.next().catch(() => undefined);
  };

  test('a cleartext password over plaintext: refused, and the password function is never called', async () => {
    let called = false;
    const r = await attempt(asks({ type: 'AuthenticationCleartextPassword' }), { password: () => ((called = true), 'secret') });
    assertError(r, ConnectionError, /cleartext password, and this connection is not encrypted/);
    assert.equal(sentSecret(r.received), false);
    assert.equal(called, false);
  });

  test('an MD5 password over plaintext: refused', async () => {
    const r = await attempt(asks({ type: 'AuthenticationMD5Password', salt: new Uint8Array([1, 2, 3, 4]) }), { password: 'secret' });
    assertError(r, ConnectionError, /MD5-hashed password, and this connection is not encrypted/);
    assert.equal(sentSecret(r.received), false);
  });

  test('SCRAM-SHA-256-PLUS offered over plaintext (TLS stripped on the way): refused', async () => {
    const r = await attempt(asks({ type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'] }), { password: 'secret' });
    assertError(r, ConnectionError, /over a connection without TLS/);
    assert.equal(sentSecret(r.received), false);
  });

  test('only unsupported SASL mechanisms: refused', async () => {
    const r = await attempt(asks({ type: 'AuthenticationSASL', mechanisms: ['OAUTHBEARER'] }), { password: 'secret' });
    assertError(r, ConnectionError, /none of which pgjet supports/);
  });

  test('GSSAPI: refused with the method named', async () => {
    assertError(await attempt(asks({ type: 'AuthenticationGSS' })), ConnectionError, /GSS authentication, which pgjet does not support/);
  });

  test('require_auth=scram-sha-256 and a server that lets anyone in', async () => {
    const r = await attempt(async (s) => {
      await s.until('StartupMessage');
      s.send({ type: 'AuthenticationOk' }, ...READY);
    }, { requireAuth: 'scram-sha-256' });
    assertError(r, ConnectionError, /without authentication, which requireAuth "scram-sha-256" does not allow/);
  });
});

describe('SCRAM against a lying server', () => {
  /** Plays the server side up to the client-final-message, then does `finish`. */
  function scram(serverFirst: (clientNonce: string) => string, finish: (s: FakeSession) => void) {
    return async (s: FakeSession) => {
      await s.until('StartupMessage');
      s.passwordContext = 'sasl-initial';
      s.send({ type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256'] });
      const first = await s.until('SASLInitialResponse');
      const nonce = /r=([^,]+)/.exec(Buffer.from(first.data ?? new Uint8Array()).toString())?.[1] ?? '';
      s.passwordContext = 'sasl';
      s.send({ type: 'AuthenticationSASLContinue', data: Buffer.from(serverFirst(nonce)) });
      const final = await s.next().catch(() => undefined);
      if (final?.type === 'SASLResponse') finish(s);
    };
  }
  const salt = randomBytes(16).toString('base64');
  const good = (n: string) => `r=${n}server,s=${salt},i=4096`;

  test('AuthenticationOk without the server signature: refused', async () => {
    const r = await attempt(scram(good, (s) => s.send({ type: 'AuthenticationOk' }, ...READY)), { password: 'pw' });
    assertError(r, ConnectionError, /without proving it knows the password/);
  });

  test('a wrong server signature: refused', async () => {
    const r = await attempt(
      scram(good, (s) => s.send({ type: 'AuthenticationSASLFinal', data: Buffer.from(`v=${randomBytes(32).toString('base64')}`) }, { type: 'AuthenticationOk' }, ...READY)),
      { password: 'pw' },
    );
    assertError(r, ConnectionError, /server signature mismatch/);
  });

  test('a server nonce that does not extend the client nonce: refused before the proof is sent', async () => {
    const r = await attempt(scram(() => `r=attackerchosen,s=${salt},i=4096`, () => undefined), { password: 'pw' });
    assertError(r, ProtocolError, /does not extend the client nonce/);
    assert.equal(r.received.some((m) => m.type === 'SASLResponse'), false);
  });

  test('an absurd iteration count is refused at once, without spending the CPU', async () => {
    const started = Date.now();
    const r = await attempt(scram((n) => `r=${n}x,s=${salt},i=2000000000`, () => undefined), { password: 'pw' });
    assertError(r, ConnectionError, /more than maxIterations/);
    assert.ok(Date.now() - started < 2000);
    const tiny = await attempt(scram((n) => `r=${n}x,s=${salt},i=1`, () => undefined), { password: 'pw' });
    assertError(tiny, ConnectionError, /fewer than minIterations/);
  });

  test('the error names the host and user', async () => {
    const r = await attempt(scram(good, (s) => s.send({ type: 'AuthenticationOk' }, ...READY)), { password: 'pw' });
    assert.ok(r.error instanceof ConnectionError);
    assert.match(r.error.message, /127\.0\.0\.1:\d+/);
  });
});
