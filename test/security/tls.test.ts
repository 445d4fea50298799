import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Connection, ConnectOptions } from '../../src/index.js';
import { ConnectionError, InterfaceError } from '../../src/index.js';
import { TempCluster } from '../../src/testing/index.js';
import { enableTls, makeCerts, openClean, opensslSkipReason } from './certs.js';
import type { TestCerts } from './certs.js';

// Every sslmode against a server with TLS on, with the right CA, a foreign
// CA, a host name the certificate does not list, and no root certificate;
// client certificates; libpq's allow/prefer retry paths.

const skip = opensslSkipReason();

type Outcome = 'tls' | 'plain' | 'refused' | 'config-error';

describe('TLS', { skip: skip ?? false }, () => {
  let cluster: TempCluster;
  let certs: TestCerts;

  before(async () => {
    certs = makeCerts('cert_user');
    cluster = await TempCluster.start({
      pgHbaConf: [
        'hostssl all cert_user 127.0.0.1/32 cert',
        'hostssl all only_tls 127.0.0.1/32 trust',
        'host    all only_tls 127.0.0.1/32 reject',
        'hostnossl all only_plain 127.0.0.1/32 trust',
        'host      all only_plain 127.0.0.1/32 reject',
      ],
    });
    await enableTls(cluster, certs);
    const admin = await open({ sslmode: 'disable' });
    try {
      for (const role of ['cert_user', 'only_tls', 'only_plain']) await admin.execute(`CREATE ROLE ${role} LOGIN`);
    } finally {
      await admin.close();
    }
  });
  after(async () => {
    await cluster?.destroy();
    certs?.cleanup();
  });

  /** Connects with a clean environment: no ~/.postgresql, no PG* variables. */
  async function open(o: ConnectOptions): Promise<Connection> {
    return openClean(cluster, certs, o);
  }

  async function sslInUse(c: Connection): Promise<boolean> {
    return (await c.fetchVal('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')) as boolean;
  }

  async function outcome(o: ConnectOptions): Promise<{ outcome: Outcome; error?: Error }> {
    let c: Connection;
    try {
      c = await open(o);
    } catch (e) {
      if (e instanceof InterfaceError) return { outcome: 'config-error', error: e };
      if (e instanceof ConnectionError) return { outcome: 'refused', error: e };
      throw e;
    }
    try {
      return { outcome: (await sslInUse(c)) ? 'tls' : 'plain' };
    } finally {
      await c.close();
    }
  }

  const MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;

  /** Each column lists the outcome for disable, allow, prefer, require, verify-ca, verify-full (libpq's). */
  const MATRIX: { name: string; options: () => ConnectOptions; expect: readonly Outcome[]; why?: RegExp }[] = [
    { name: 'the right CA and host', options: () => ({ sslrootcert: certs.ca }), expect: ['plain', 'plain', 'tls', 'tls', 'tls', 'tls'] },
    {
      name: 'a foreign CA',
      options: () => ({ sslrootcert: certs.otherCa }),
      // prefer falls back to plaintext when verification fails, as libpq does.
      expect: ['plain', 'plain', 'plain', 'refused', 'refused', 'refused'],
      why: /could not be verified/,
    },
    {
      name: 'a host name not in the certificate',
      options: () => ({ host: 'wrong.example', hostaddr: '127.0.0.1', sslrootcert: certs.ca }),
      expect: ['plain', 'plain', 'tls', 'tls', 'tls', 'refused'],
      why: /not valid for the host name "wrong\.example"/,
    },
    {
      name: 'no root certificate anywhere',
      options: () => ({}),
      expect: ['plain', 'plain', 'tls', 'tls', 'config-error', 'config-error'],
      why: /needs a root certificate .* does not exist/,
    },
    {
      name: 'a named root certificate file that is missing',
      options: () => ({ sslrootcert: `${certs.dir}/absent.crt` }),
      expect: ['plain', 'config-error', 'config-error', 'config-error', 'config-error', 'config-error'],
      why: /Cannot read the sslrootcert file/,
    },
  ];

  for (const row of MATRIX) {
    describe(`sslmode with ${row.name}`, () => {
      MODES.forEach((mode, i) => {
        test(`${mode}: ${row.expect[i]}`, async () => {
          const r = await outcome({ ...row.options(), sslmode: mode });
          assert.equal(r.outcome, row.expect[i], r.error?.message);
          if (r.error && row.why) assert.match(r.error.message, row.why);
        });
      });
    });
  }

  test('verify-full with the right CA and host: connects and pg_stat_ssl shows ssl = true with TLS 1.2+', async () => {
    const c = await open({ sslmode: 'verify-full', sslrootcert: certs.ca });
    try {
      const row = (await c.fetchRow('SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()')) as { ssl: boolean; version: string };
      assert.equal(row.ssl, true);
      assert.match(row.version, /^TLSv1\.[23]$/);
    } finally {
      await c.close();
    }
  });

  test('verify-full with a host not in the certificate: refused, saying which name and what to do', async () => {
    await assert.rejects(open({ host: 'wrong.example', sslmode: 'verify-full', sslrootcert: certs.ca }), (e: unknown) => {
      assert.ok(e instanceof ConnectionError, String(e));
      assert.match(e.message, /SSL handshake with 127\.0\.0\.1:\d+ failed: the server certificate is not valid for the host name "wrong\.example"/);
      assert.match(e.message, /connect with a host name the certificate lists/);
      return true;
    });
  });

  test('ssl: true demands a certificate from the system store, which a private CA is not', async () => {
    await assert.rejects(open({ ssl: true }), /could not be verified/);
  });

  test('a Node TLS options object is honoured (ca given there)', async () => {
    const { readFileSync } = await import('node:fs');
    const c = await open({ ssl: { ca: readFileSync(certs.ca) } });
    try {
      assert.equal(await sslInUse(c), true);
    } finally {
      await c.close();
    }
  });

  test('TLS version limits are applied', async () => {
    const c = await open({ sslmode: 'verify-full', sslrootcert: certs.ca, sslMinProtocolVersion: 'TLSv1.3' });
    try {
      assert.equal(await c.fetchVal('SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()'), 'TLSv1.3');
    } finally {
      await c.close();
    }
    const c2 = await open({ sslmode: 'verify-full', sslrootcert: certs.ca, sslMaxProtocolVersion: 'TLSv1.2' });
    try {
      assert.equal(await c2.fetchVal('SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()'), 'TLSv1.2');
    } finally {
      await c2.close();
    }
  });

  test('sslcrl and sslcrldir: a revoked server certificate is refused', async () => {
    const c = await open({ sslmode: 'verify-full', sslrootcert: certs.ca, sslcrl: certs.crlEmpty });
    try {
      assert.equal(await sslInUse(c), true);
    } finally {
      await c.close();
    }
    for (const crl of [{ sslcrl: certs.crlRevokingServer }, { sslcrldir: certs.crlDir }]) {
      await assert.rejects(open({ sslmode: 'verify-full', sslrootcert: certs.ca, ...crl }), (e: unknown) => {
        assert.ok(e instanceof ConnectionError, String(e));
        assert.match(e.message, /the server certificate was revoked/);
        return true;
      });
    }
  });

  describe('client certificates', () => {
    test('cert authentication connects with sslcert and sslkey', async () => {
      const c = await open({ user: 'cert_user', sslmode: 'verify-full', sslrootcert: certs.ca, sslcert: certs.clientCert, sslkey: certs.clientKey });
      try {
        assert.equal(await c.fetchVal('SELECT current_user'), 'cert_user');
        assert.equal(await c.fetchVal('SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()'), '/CN=cert_user');
      } finally {
        await c.close();
      }
    });

    test('an encrypted key with sslpassword connects; a wrong passphrase is refused', async () => {
      const base = { user: 'cert_user', sslmode: 'verify-full', sslrootcert: certs.ca, sslcert: certs.clientCert, sslkey: certs.clientKeyEncrypted } as const;
      const c = await open({ ...base, sslpassword: certs.clientKeyPassword });
      try {
        assert.equal(await c.fetchVal('SELECT current_user'), 'cert_user');
      } finally {
        await c.close();
      }
      await assert.rejects(open({ ...base, sslpassword: 'wrong' }), (e: unknown) => e instanceof Error && /bad decrypt|passphrase|decrypt/i.test(e.message));
    });

    test('without a client certificate the cert method refuses the login', async () => {
      await assert.rejects(open({ user: 'cert_user', sslmode: 'verify-full', sslrootcert: certs.ca }), (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.match(e.message, /certificate/i);
        return true;
      });
    });

    test('sslcertmode=disable sends no certificate even when one is configured', async () => {
      await assert.rejects(
        open({ user: 'cert_user', sslmode: 'verify-full', sslrootcert: certs.ca, sslcert: certs.clientCert, sslkey: certs.clientKey, sslcertmode: 'disable' }),
        /certificate/i,
      );
    });
  });

  describe("libpq's retry paths", () => {
    test('allow: plaintext first, then TLS when the server refuses plaintext (hostssl only)', async () => {
      const c = await open({ user: 'only_tls', sslmode: 'allow' });
      try {
        assert.equal(await sslInUse(c), true);
      } finally {
        await c.close();
      }
    });

    test('prefer: TLS first, then plaintext when the server refuses TLS (hostnossl only)', async () => {
      const c = await open({ user: 'only_plain', sslmode: 'prefer' });
      try {
        assert.equal(await sslInUse(c), false);
      } finally {
        await c.close();
      }
    });

    test('require never falls back to plaintext', async () => {
      await assert.rejects(open({ user: 'only_plain', sslmode: 'require' }), (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.match(e.message, /pg_hba\.conf rejects connection|no pg_hba\.conf entry/);
        return true;
      });
    });

    test('disable never tries TLS', async () => {
      await assert.rejects(open({ user: 'only_tls', sslmode: 'disable' }), /pg_hba\.conf rejects connection|no pg_hba\.conf entry/);
    });
  });
});
