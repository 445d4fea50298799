import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthPolicy, allowed } from '../../../src/auth/policy.js';
import type { AuthPolicyOptions } from '../../../src/auth/policy.js';
import { ConnectionError, ProtocolError } from '../../../src/errors/client.js';

const target = { host: 'db.example', port: 5432, user: 'alice' };

function policy(o: Partial<AuthPolicyOptions> = {}): AuthPolicy {
  return new AuthPolicy({
    channelBinding: 'prefer',
    requireAuth: undefined,
    encrypted: true,
    allowUnencryptedPassword: false,
    target,
    ...o,
  });
}

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConnectionError, String(e));
    assert.match(e.message, /refusing to authenticate as "alice" at db\.example:5432/);
    assert.match(e.message, pattern);
    assert.deepEqual(e.target, target);
    return true;
  });
}

describe('AuthPolicy: passwords over unencrypted connections', () => {
  test('cleartext and MD5 are refused without TLS, naming the opt-in', () => {
    refused(() => policy({ encrypted: false }).checkRequest('password'), /cleartext password.*not encrypted.*allowUnencryptedPassword/);
    refused(() => policy({ encrypted: false }).checkRequest('md5'), /MD5.*not encrypted.*replay/);
  });

  test('they are allowed over TLS, and without TLS after the explicit opt-in', () => {
    policy().checkRequest('password');
    policy().checkRequest('md5');
    policy({ encrypted: false, allowUnencryptedPassword: true }).checkRequest('password');
    policy({ encrypted: false, allowUnencryptedPassword: true }).checkRequest('md5');
  });

  test('SCRAM is allowed without TLS (it never reveals the password)', () => {
    const p = policy({ encrypted: false });
    p.checkRequest('scram-sha-256');
    assert.equal(p.chooseSasl(['SCRAM-SHA-256']), 'SCRAM-SHA-256');
  });
});

describe('AuthPolicy: channel_binding=require fails closed', () => {
  test('refuses cleartext, MD5, GSS before anything is sent', () => {
    for (const m of ['password', 'md5', 'gss', 'sspi', 'kerberos'] as const) {
      refused(() => policy({ channelBinding: 'require' }).checkRequest(m), /channelBinding is "require"/);
    }
  });

  test('refuses a server that offers no -PLUS mechanism, or runs without TLS', () => {
    const p = policy({ channelBinding: 'require' });
    p.checkRequest('scram-sha-256');
    assert.throws(() => p.chooseSasl(['SCRAM-SHA-256']), /did not offer SCRAM-SHA-256-PLUS/);
    const plain = policy({ channelBinding: 'require', encrypted: false });
    assert.throws(() => plain.chooseSasl(['SCRAM-SHA-256']), /needs a TLS connection/);
  });

  test('refuses AuthenticationOk without an exchange (trust, cert)', () => {
    refused(() => policy({ channelBinding: 'require' }).checkOk(), /without any authentication exchange/);
  });

  test('accepts a finished SCRAM-SHA-256-PLUS exchange', () => {
    const p = policy({ channelBinding: 'require' });
    p.checkRequest('scram-sha-256');
    assert.equal(p.chooseSasl(['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS']), 'SCRAM-SHA-256-PLUS');
    p.finished();
    p.checkOk();
  });

  test('prefer picks -PLUS over TLS and plain SCRAM otherwise', () => {
    assert.equal(policy().chooseSasl(['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS']), 'SCRAM-SHA-256-PLUS');
    assert.equal(policy({ channelBinding: 'disable' }).chooseSasl(['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS']), 'SCRAM-SHA-256');
  });
});

describe('AuthPolicy: require_auth as libpq 16', () => {
  test('a positive list allows only the methods named', () => {
    const p = policy({ requireAuth: { negated: false, methods: ['scram-sha-256'] } });
    refused(() => p.checkRequest('md5'), /MD5.*requireAuth "scram-sha-256" does not allow/);
    policy({ requireAuth: { negated: false, methods: ['scram-sha-256'] } }).checkRequest('scram-sha-256');
  });

  test('a positive list without none refuses a server that skips authentication', () => {
    refused(() => policy({ requireAuth: { negated: false, methods: ['md5'] } }).checkOk(), /without authentication.*requireAuth "md5"/);
    policy({ requireAuth: { negated: false, methods: ['none'] } }).checkOk();
    refused(() => policy({ requireAuth: { negated: false, methods: ['none'] } }).checkRequest('password'), /requireAuth "none"/);
  });

  test('a negated list refuses the methods named', () => {
    const rule = { negated: true, methods: ['password', 'md5'] } as const;
    refused(() => policy({ requireAuth: rule }).checkRequest('password'), /requireAuth "!password,!md5"/);
    policy({ requireAuth: rule }).checkRequest('scram-sha-256');
    policy({ requireAuth: rule }).checkOk();
  });

  test('!none demands an authentication exchange', () => {
    refused(() => policy({ requireAuth: { negated: true, methods: ['none'] } }).checkOk(), /without authentication/);
    const p = policy({ requireAuth: { negated: true, methods: ['none'] } });
    p.checkRequest('password');
    p.finished();
    p.checkOk();
  });

  test('allowed() maps Kerberos to gss', () => {
    assert.equal(allowed({ negated: false, methods: ['gss'] }, 'kerberos'), true);
    assert.equal(allowed({ negated: true, methods: ['gss'] }, 'kerberos'), false);
  });
});

describe('AuthPolicy: one request per connection', () => {
  test('a second request after the first is a ProtocolError', () => {
    const p = policy();
    p.checkRequest('scram-sha-256');
    assert.throws(() => p.checkRequest('password'), (e: unknown) => e instanceof ProtocolError && /asked for a cleartext password after SCRAM/.test(e.message));
  });
});
