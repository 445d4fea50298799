import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { ScramClient, selectScramMechanism } from '../../../src/auth/scram.js';
import type { ScramClientOptions } from '../../../src/auth/scram.js';
import { ConnectionError, InterfaceError, ProtocolError } from '../../../src/errors/client.js';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
const bytes = (s: string): Uint8Array => Buffer.from(s, 'utf8');

// RFC 7677 section 3: user "user", password "pencil".
const RFC = {
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

function rfcClient(extra: Partial<ScramClientOptions> = {}): ScramClient {
  return new ScramClient({ password: 'pencil', mechanism: 'SCRAM-SHA-256', user: 'user', nonce: RFC.clientNonce, ...extra });
}

/** A client that has sent its first message and awaits the server's. */
function started(extra: Partial<ScramClientOptions> = {}): ScramClient {
  const client = rfcClient(extra);
  client.clientFirstMessage();
  return client;
}

describe('ScramClient: the RFC 7677 example exchange', () => {
  test('produces the exact messages and accepts the exact server-final-message', () => {
    const client = rfcClient();
    assert.equal(client.mechanism, 'SCRAM-SHA-256');
    assert.equal(text(client.clientFirstMessage()), RFC.clientFirst);
    assert.equal(text(client.handleServerFirst(bytes(RFC.serverFirst))), RFC.clientFinal);
    assert.equal(client.completed, false);
    client.handleServerFinal(bytes(RFC.serverFinal));
    assert.equal(client.completed, true);
  });

  test('the thread-pool derivation gives the same messages, and keeps every check', async () => {
    const client = rfcClient();
    client.clientFirstMessage();
    assert.equal(text(await client.handleServerFirstAsync(bytes(RFC.serverFirst))), RFC.clientFinal);
    client.handleServerFinal(bytes(RFC.serverFinal));
    assert.equal(client.completed, true);
    await assert.rejects(started().handleServerFirstAsync(bytes(RFC.serverFirst.replace('i=4096', 'i=100000000'))), /more than maxIterations/);
    await assert.rejects(started().handleServerFirstAsync(bytes('r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')), /does not extend the client nonce/);
  });

  test('accepts extensions after the iteration count and signs the message as received', () => {
    const final = text(started().handleServerFirst(bytes(`${RFC.serverFirst},x=future`)));
    const [prefix, proof] = final.split(',p=');
    assert.equal(`${prefix},p=${proof}`, final);
    assert.equal(prefix, RFC.clientFinal.split(',p=')[0]);
    assert.notEqual(proof, RFC.clientFinal.split(',p=')[1]);
  });
});

describe('ScramClient: the client-first-message', () => {
  test('sends an empty user name by default, as PostgreSQL expects', () => {
    const client = new ScramClient({ password: 'x', mechanism: 'SCRAM-SHA-256', nonce: 'abc' });
    assert.equal(text(client.clientFirstMessage()), 'n,,n=,r=abc');
  });

  test('escapes "," and "=" in a user name', () => {
    const client = new ScramClient({ password: 'x', mechanism: 'SCRAM-SHA-256', nonce: 'abc', user: 'a,b=c' });
    assert.equal(text(client.clientFirstMessage()), 'n,,n=a=2Cb=3Dc,r=abc');
  });

  test('makes a fresh random nonce of 18 bytes for each exchange', () => {
    const nonce = (client: ScramClient): string => /,r=(.*)$/.exec(text(client.clientFirstMessage()))?.[1] ?? '';
    const a = nonce(new ScramClient({ password: 'x', mechanism: 'SCRAM-SHA-256' }));
    const b = nonce(new ScramClient({ password: 'x', mechanism: 'SCRAM-SHA-256' }));
    assert.equal(Buffer.from(a, 'base64').length, 18);
    assert.match(a, /^[A-Za-z0-9+/]{24}$/);
    assert.notEqual(a, b);
  });

  test('uses "y" when the client could bind but the server offered no -PLUS', () => {
    const client = new ScramClient({
      password: 'pencil',
      mechanism: 'SCRAM-SHA-256',
      nonce: 'abc',
      channelBinding: { type: 'tls-server-end-point', data: new Uint8Array(32) },
    });
    assert.equal(text(client.clientFirstMessage()), 'y,,n=,r=abc');
    const final = text(client.handleServerFirst(bytes('r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')));
    assert.match(final, /^c=eSws,r=abcdef,p=/);
  });

  test('uses "p=tls-server-end-point" with SCRAM-SHA-256-PLUS', () => {
    const client = new ScramClient({
      password: 'pencil',
      mechanism: 'SCRAM-SHA-256-PLUS',
      nonce: 'abc',
      channelBinding: { type: 'tls-server-end-point', data: Uint8Array.of(1, 2, 3) },
    });
    assert.equal(text(client.clientFirstMessage()), 'p=tls-server-end-point,,n=,r=abc');
  });
});

describe('ScramClient: options', () => {
  test('SCRAM-SHA-256-PLUS needs channel binding data', () => {
    assert.throws(() => new ScramClient({ password: 'x', mechanism: 'SCRAM-SHA-256-PLUS' }), InterfaceError);
    assert.throws(
      () =>
        new ScramClient({
          password: 'x',
          mechanism: 'SCRAM-SHA-256-PLUS',
          channelBinding: { type: 'tls-server-end-point', data: new Uint8Array(0) },
        }),
      /empty/,
    );
  });

  test('rejects a nonce that the protocol cannot carry', () => {
    for (const nonce of ['', 'a,b', 'caf\u00e9', 'a b']) {
      assert.throws(() => new ScramClient({ password: 'x', mechanism: 'SCRAM-SHA-256', nonce }), InterfaceError, nonce);
    }
  });

  test('rejects inconsistent iteration bounds', () => {
    assert.throws(() => new ScramClient({ password: 'x', mechanism: 'SCRAM-SHA-256', minIterations: 0 }), InterfaceError);
    assert.throws(
      () => new ScramClient({ password: 'x', mechanism: 'SCRAM-SHA-256', minIterations: 5000, maxIterations: 4096 }),
      /maxIterations/,
    );
  });
});

describe('ScramClient: against verifiers PostgreSQL 18 stored', () => {
  /**
   * The server half of SCRAM, from a stored verifier: it recovers ClientKey
   * from the proof and checks it against StoredKey, then signs with ServerKey.
   */
  function serve(options: ScramClientOptions, verifier: { salt: string; storedKey: string; serverKey: string }, cbind: string) {
    const client = new ScramClient(options);
    const clientFirst = text(client.clientFirstMessage());
    const bare = clientFirst.slice(clientFirst.indexOf('n=', clientFirst.indexOf(',,')));
    const nonce = `${/r=(.*)$/.exec(bare)?.[1] ?? ''}SERVERPART`;
    const serverFirst = `r=${nonce},s=${verifier.salt},i=4096`;
    const clientFinal = text(client.handleServerFirst(bytes(serverFirst)));
    const match = /^(c=([^,]*),r=([^,]*)),p=(.*)$/.exec(clientFinal);
    assert.ok(match, clientFinal);
    const [, withoutProof = '', c, r, proof = ''] = match;
    assert.equal(c, cbind);
    assert.equal(r, nonce);
    const authMessage = `${bare},${serverFirst},${withoutProof}`;
    const storedKey = Buffer.from(verifier.storedKey, 'base64');
    const signature = createHmac('sha256', storedKey).update(authMessage).digest();
    const clientKey = Buffer.from(proof, 'base64').map((b, i) => b ^ (signature[i] ?? 0));
    assert.deepEqual(createHash('sha256').update(clientKey).digest(), storedKey, 'the server accepts the proof');
    const serverSignature = createHmac('sha256', Buffer.from(verifier.serverKey, 'base64')).update(authMessage).digest('base64');
    client.handleServerFinal(bytes(`v=${serverSignature}`));
    return client;
  }

  const softHyphen = {
    salt: 'p21zjcNNeaRJwppYOkozQg==',
    storedKey: 'kfW6EvUtQqaXVkZwjWzv1XR43BT+88nHt0cIkWxfqho=',
    serverKey: 'cg9yZbXqoHdvO65MQidz7eYNUxNs63rNB2DM2G/PaGE=',
  };

  test('a password SASLprep changes (I, SOFT HYPHEN, X)', () => {
    const client = serve({ password: 'I\u00adX', mechanism: 'SCRAM-SHA-256' }, softHyphen, 'biws');
    assert.equal(client.completed, true);
  });

  test('a password PostgreSQL prepares against the RFC (ARABIC ALEF, TRADE MARK, ARABIC ALEF)', () => {
    const verifier = {
      salt: 'XabK/ACdkuj/TQQDEqJ9+Q==',
      storedKey: 'oFOhwQEHdloUW8/bPfXpb+sqy4mip87tdZ7LzP6HmJQ=',
      serverKey: 'uE7UnJSbk+Z+ScLnaeKEb2VNXYOtivQe9ZVE6LCzpK0=',
    };
    assert.equal(serve({ password: '\u0627\u2122\u0627', mechanism: 'SCRAM-SHA-256' }, verifier, 'biws').completed, true);
  });

  test('SCRAM-SHA-256-PLUS binds the certificate hash into c=', () => {
    const data = createHash('sha256').update('certificate').digest();
    const cbind = Buffer.concat([Buffer.from('p=tls-server-end-point,,'), data]).toString('base64');
    const client = serve(
      { password: 'I\u00adX', mechanism: 'SCRAM-SHA-256-PLUS', channelBinding: { type: 'tls-server-end-point', data } },
      softHyphen,
      cbind,
    );
    assert.equal(client.completed, true);
  });

  test('a wrong password gives a proof the server rejects', () => {
    assert.throws(
      () => serve({ password: 'IX-', mechanism: 'SCRAM-SHA-256' }, softHyphen, 'biws'),
      /the server accepts the proof/,
    );
  });
});

describe('ScramClient: the server-first-message is checked', () => {
  const rejects = (
    serverFirst: string | Uint8Array,
    expected: RegExp,
    errorClass: typeof ProtocolError | typeof ConnectionError = ProtocolError,
  ): void => {
    const client = started();
    assert.throws(
      () => client.handleServerFirst(typeof serverFirst === 'string' ? bytes(serverFirst) : serverFirst),
      (error: unknown) => error instanceof errorClass && expected.test(error.message),
    );
    // A failed exchange stays failed.
    assert.throws(() => client.handleServerFinal(bytes(RFC.serverFinal)), ProtocolError);
    assert.equal(client.completed, false);
  };

  test('a nonce that does not start with ours', () => {
    rejects('r=XOprNGfwEbeRWgbNEkqO%hvYD,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096', /does not extend the client nonce/);
  });

  test('a nonce that adds nothing to ours', () => {
    rejects(`r=${RFC.clientNonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`, /does not extend the client nonce/);
  });

  test('a nonce with a character outside printable ASCII', () => {
    rejects(`r=${RFC.clientNonce}\u00e9,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`, /printable ASCII/);
  });

  test('too few iterations', () => {
    rejects(
      `r=${RFC.clientNonce}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1023`,
      /1023 SCRAM iterations, fewer than minIterations \(1024\)/,
      ConnectionError,
    );
  });

  test('too many iterations', () => {
    rejects(`r=${RFC.clientNonce}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=10000001`, /more than maxIterations/, ConnectionError);
    rejects(`r=${RFC.clientNonce}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999999999999999`, /more than maxIterations/, ConnectionError);
  });

  test('iteration bounds can be moved', () => {
    const client = started({ minIterations: 1, maxIterations: 1 });
    assert.match(text(client.handleServerFirst(bytes(`r=${RFC.clientNonce}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1`))), /,p=/);
    assert.throws(
      () => started({ minIterations: 1, maxIterations: 1 }).handleServerFirst(bytes(`r=${RFC.clientNonce}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=2`)),
      /2 SCRAM iterations, more than maxIterations \(1\)/,
    );
  });

  test('an iteration count that is not a positive integer', () => {
    for (const i of ['0', '-1', '01', '4096.0', 'abc', '']) {
      rejects(`r=${RFC.clientNonce}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=${i}`, /iteration count/);
    }
  });

  test('a salt that is not strict base64', () => {
    for (const s of ['W22ZaJ0SNY7soEsUEjb6gQ=', 'W22ZaJ0SNY7soEsUEjb6gQ', 'W22Z!J0SNY7soEsUEjb6gQ==', 'W22ZaJ0SNY7soEsUEjb6gR==', '']) {
      rejects(`r=${RFC.clientNonce}x,s=${s},i=4096`, /salt/);
    }
  });

  test('attributes missing or out of order', () => {
    rejects(`r=${RFC.clientNonce}x,i=4096`, /expected r=, s= and i= in that order/);
    rejects(`s=W22ZaJ0SNY7soEsUEjb6gQ==,r=${RFC.clientNonce}x,i=4096`, /in that order/);
    rejects('', /attribute=value/);
    rejects('garbage', /attribute=value/);
    rejects(`r=${RFC.clientNonce}x,,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`, /attribute=value/);
  });

  test('a mandatory extension', () => {
    rejects(`m=ext,r=${RFC.clientNonce}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`, /mandatory extension/);
  });

  test('a server error in place of the first message', () => {
    rejects('e=other-error', /rejected SCRAM authentication with error "other-error"/, ConnectionError);
  });

  test('bytes that are not UTF-8', () => {
    rejects(Uint8Array.of(0x72, 0x3d, 0xff, 0xfe), /not valid UTF-8/);
  });
});

describe('ScramClient: the server-final-message is checked', () => {
  function awaitingFinal(): ScramClient {
    const client = started();
    client.handleServerFirst(bytes(RFC.serverFirst));
    return client;
  }

  test('a wrong server signature is rejected', () => {
    const client = awaitingFinal();
    const wrong = Buffer.from(RFC.serverFinal.slice(2), 'base64');
    wrong[0] = (wrong[0] ?? 0) ^ 1;
    assert.throws(
      () => client.handleServerFinal(bytes(`v=${wrong.toString('base64')}`)),
      (error: unknown) => error instanceof ConnectionError && /server signature mismatch/.test(error.message),
    );
    assert.equal(client.completed, false);
  });

  test('a signature of the wrong length or encoding is malformed', () => {
    for (const v of ['AAAA', '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4', '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=x']) {
      assert.throws(() => awaitingFinal().handleServerFinal(bytes(`v=${v}`)), ProtocolError, v);
    }
  });

  test('a server error is reported with its reason', () => {
    assert.throws(
      () => awaitingFinal().handleServerFinal(bytes('e=invalid-proof')),
      (error: unknown) =>
        error instanceof ConnectionError && /"invalid-proof"/.test(error.message) && /password/.test(error.message),
    );
    assert.throws(
      () => awaitingFinal().handleServerFinal(bytes('e=channel-bindings-dont-match')),
      /TLS interception/,
    );
  });

  test('anything else is malformed', () => {
    for (const message of ['', 'x=1', 'v', 'r=abc']) {
      assert.throws(() => awaitingFinal().handleServerFinal(bytes(message)), ProtocolError, message);
    }
  });
});

describe('ScramClient: messages in the wrong order', () => {
  test('server-first before client-first', () => {
    assert.throws(() => rfcClient().handleServerFirst(bytes(RFC.serverFirst)), /before the client-first-message was sent/);
  });

  test('server-final before server-first', () => {
    assert.throws(() => started().handleServerFinal(bytes(RFC.serverFinal)), (error: unknown) => error instanceof ProtocolError);
  });

  test('server-first twice', () => {
    const client = started();
    client.handleServerFirst(bytes(RFC.serverFirst));
    assert.throws(() => client.handleServerFirst(bytes(RFC.serverFirst)), /arrived twice/);
    // The exchange is dead after that, even for the right message.
    assert.throws(() => client.handleServerFinal(bytes(RFC.serverFinal)), /already failed/);
    assert.equal(client.completed, false);
  });

  test('server-final after completion', () => {
    const client = started();
    client.handleServerFirst(bytes(RFC.serverFirst));
    client.handleServerFinal(bytes(RFC.serverFinal));
    assert.throws(() => client.handleServerFinal(bytes(RFC.serverFinal)), /after the exchange had completed/);
  });

  test('client-first twice is a caller error', () => {
    const client = started();
    assert.throws(() => client.clientFirstMessage(), InterfaceError);
  });
});

describe('selectScramMechanism', () => {
  const both = ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'];
  const plain = ['SCRAM-SHA-256'];

  test('prefer uses -PLUS over TLS when offered', () => {
    assert.equal(selectScramMechanism(both, 'prefer', true), 'SCRAM-SHA-256-PLUS');
    assert.equal(selectScramMechanism(plain, 'prefer', true), 'SCRAM-SHA-256');
    assert.equal(selectScramMechanism(plain, 'prefer', false), 'SCRAM-SHA-256');
  });

  test('disable never binds', () => {
    assert.equal(selectScramMechanism(both, 'disable', true), 'SCRAM-SHA-256');
    assert.throws(() => selectScramMechanism(['SCRAM-SHA-256-PLUS'], 'disable', true), /channel_binding=prefer/);
  });

  test('require fails closed', () => {
    assert.equal(selectScramMechanism(both, 'require', true), 'SCRAM-SHA-256-PLUS');
    assert.throws(
      () => selectScramMechanism(plain, 'require', true),
      (e: unknown) =>
        e instanceof ConnectionError && /did not offer SCRAM-SHA-256-PLUS \(offered: SCRAM-SHA-256\)/.test(e.message),
    );
    assert.throws(() => selectScramMechanism(plain, 'require', false), /needs a TLS connection/);
  });

  test('-PLUS offered without TLS means TLS was stripped', () => {
    for (const mode of ['disable', 'prefer', 'require'] as const) {
      assert.throws(() => selectScramMechanism(both, mode, false), /without TLS/);
    }
  });

  test('nothing usable offered', () => {
    assert.throws(() => selectScramMechanism(['SCRAM-SHA-1', 'OAUTHBEARER'], 'prefer', true), /offered: SCRAM-SHA-1, OAUTHBEARER/);
    assert.throws(() => selectScramMechanism([], 'prefer', true), /offered: none/);
  });
});
