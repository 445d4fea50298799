import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Connection, ConnectOptions } from '../../src/index.js';
import { ConnectionError, InterfaceError, InvalidPasswordError } from '../../src/index.js';
import { TempCluster } from '../../src/testing/index.js';
import { enableTls, makeCerts, openClean, opensslSkipReason } from './certs.js';
import type { TestCerts } from './certs.js';

// Every authentication method against a real server, over plaintext and
// over TLS, with channel_binding, require_auth and the rule that a
// cleartext or MD5 password never crosses an unencrypted connection unless
// the caller opts in.

const skip = opensslSkipReason();

const SCRAM_PASSWORD = 'scram sécret ✓';
const MD5_PASSWORD = 'md5 secret';
const CLEAR_PASSWORD = 'plain pw';

describe('authentication', { skip: skip ?? false }, () => {
  let cluster: TempCluster;
  let certs: TestCerts;

  before(async () => {
    certs = makeCerts('nobody');
    cluster = await TempCluster.start({
      pgHbaConf: [
        'host all scram_user 127.0.0.1/32 scram-sha-256',
        'host all prep_user 127.0.0.1/32 scram-sha-256',
        'host all md5_user 127.0.0.1/32 md5',
        'host all pw_user 127.0.0.1/32 password',
      ],
    });
    await enableTls(cluster, certs);
    const admin = await open({ sslmode: 'disable' });
    try {
      await admin.execute("SET password_encryption = 'md5'");
      await admin.execute(`CREATE ROLE md5_user LOGIN PASSWORD '${MD5_PASSWORD}'`);
      await admin.execute("SET password_encryption = 'scram-sha-256'");
      await admin.execute(`CREATE ROLE scram_user LOGIN PASSWORD '${SCRAM_PASSWORD}'`);
      // The server runs SASLprep on the password before hashing: a ligature
      // and a no-break space must match their normalized forms.
      await admin.execute("CREATE ROLE prep_user LOGIN PASSWORD 'ﬁsh\u00a0and chips'");
      await admin.execute(`CREATE ROLE pw_user LOGIN PASSWORD '${CLEAR_PASSWORD}'`);
    } finally {
      await admin.close();
    }
  });
  after(async () => {
    await cluster?.destroy();
    certs?.cleanup();
  });

  async function open(o: ConnectOptions): Promise<Connection> {
    return openClean(cluster, certs, o);
  }

  const tls = (): ConnectOptions => ({ sslmode: 'verify-full', sslrootcert: certs.ca });
  const plain: ConnectOptions = { sslmode: 'disable' };

  async function whoami(o: ConnectOptions): Promise<{ user: string; ssl: boolean }> {
    const c = await open(o);
    try {
      return (await c.fetchRow('SELECT current_user AS user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')) as { user: string; ssl: boolean };
    } finally {
      await c.close();
    }
  }

  function refused(pattern: RegExp) {
    return (e: unknown) => {
      assert.ok(e instanceof ConnectionError, String(e));
      assert.match(e.message, pattern);
      return true;
    };
  }

  describe('SCRAM-SHA-256', () => {
    test('the right password connects, over plaintext and over TLS', async () => {
      assert.deepEqual(await whoami({ ...plain, user: 'scram_user', password: SCRAM_PASSWORD }), { user: 'scram_user', ssl: false });
      assert.deepEqual(await whoami({ ...tls(), user: 'scram_user', password: SCRAM_PASSWORD }), { user: 'scram_user', ssl: true });
    });

    test('a wrong password is InvalidPasswordError naming the user', async () => {
      await assert.rejects(open({ ...tls(), user: 'scram_user', password: 'wrong' }), (e: unknown) => {
        assert.ok(e instanceof InvalidPasswordError, String(e));
        assert.match(e.message, /password authentication failed for user "scram_user"/);
        assert.match(e.message, /scram-sha-256/);
        return true;
      });
    });

    test('SASLprep: a password matches its normalized form, as the server stored it', async () => {
      assert.equal((await whoami({ ...plain, user: 'prep_user', password: 'fish and chips' })).user, 'prep_user');
      assert.equal((await whoami({ ...plain, user: 'prep_user', password: 'ﬁsh\u00a0and chips' })).user, 'prep_user');
    });

    test('a password from an async function', async () => {
      let calls = 0;
      const password = async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 5));
        return SCRAM_PASSWORD;
      };
      assert.equal((await whoami({ ...tls(), user: 'scram_user', password })).user, 'scram_user');
      assert.equal(calls, 1);
    });

    test('a password from .pgpass, matched by host name, port and user', async () => {
      const passfile = join(certs.dir, 'pgpass');
      writeFileSync(passfile, `otherhost:*:*:scram_user:wrong\nlocalhost:${cluster.port}:*:scram_user:${SCRAM_PASSWORD.replace(/:/g, '\\:')}\n`, { mode: 0o600 });
      assert.equal((await whoami({ ...tls(), user: 'scram_user', passfile })).user, 'scram_user');
    });
  });

  describe('channel_binding', () => {
    test('require over TLS connects (SCRAM-SHA-256-PLUS, certificate hashed with SHA-384)', async () => {
      assert.deepEqual(await whoami({ ...tls(), user: 'scram_user', password: SCRAM_PASSWORD, channelBinding: 'require' }), {
        user: 'scram_user',
        ssl: true,
      });
      // require without verification still binds: the binding is what authenticates the server.
      assert.equal((await whoami({ sslmode: 'require', user: 'scram_user', password: SCRAM_PASSWORD, channelBinding: 'require' })).ssl, true);
    });

    test('require over plaintext is refused before the password is used', async () => {
      await assert.rejects(
        open({ sslmode: 'allow', user: 'scram_user', password: SCRAM_PASSWORD, channelBinding: 'require' }),
        refused(/channel_binding=require needs a TLS connection/),
      );
      await assert.rejects(open({ ...plain, user: 'scram_user', password: SCRAM_PASSWORD, channelBinding: 'require' }), InterfaceError);
    });

    test('require with an MD5 user, a cleartext user or a trusted user is refused', async () => {
      await assert.rejects(open({ ...tls(), user: 'md5_user', password: MD5_PASSWORD, channelBinding: 'require' }), refused(/channelBinding is "require" but the server asked for an MD5-hashed password/));
      await assert.rejects(open({ ...tls(), user: 'pw_user', password: CLEAR_PASSWORD, channelBinding: 'require' }), refused(/asked for a cleartext password/));
      await assert.rejects(open({ ...tls(), channelBinding: 'require' }), refused(/without any authentication exchange/));
    });

    test('disable uses plain SCRAM over TLS', async () => {
      assert.equal((await whoami({ ...tls(), user: 'scram_user', password: SCRAM_PASSWORD, channelBinding: 'disable' })).ssl, true);
    });
  });

  describe('cleartext and MD5 passwords', () => {
    test('over plaintext they are refused by default, saying why and how to opt in', async () => {
      await assert.rejects(open({ ...plain, user: 'pw_user', password: CLEAR_PASSWORD }), refused(/cleartext password.*not encrypted.*allowUnencryptedPassword/));
      await assert.rejects(open({ ...plain, user: 'md5_user', password: MD5_PASSWORD }), refused(/MD5-hashed password.*not encrypted/));
    });

    test('over plaintext with allowUnencryptedPassword they connect', async () => {
      assert.equal((await whoami({ ...plain, user: 'pw_user', password: CLEAR_PASSWORD, allowUnencryptedPassword: true })).user, 'pw_user');
      assert.equal((await whoami({ ...plain, user: 'md5_user', password: MD5_PASSWORD, allowUnencryptedPassword: true })).user, 'md5_user');
    });

    test('sslmode=allow answers the refusal with its TLS attempt', async () => {
      assert.deepEqual(await whoami({ sslmode: 'allow', user: 'md5_user', password: MD5_PASSWORD }), { user: 'md5_user', ssl: true });
      assert.deepEqual(await whoami({ sslmode: 'allow', user: 'pw_user', password: CLEAR_PASSWORD }), { user: 'pw_user', ssl: true });
    });

    test('over verify-full they connect', async () => {
      assert.deepEqual(await whoami({ ...tls(), user: 'pw_user', password: CLEAR_PASSWORD }), { user: 'pw_user', ssl: true });
      assert.deepEqual(await whoami({ ...tls(), user: 'md5_user', password: MD5_PASSWORD }), { user: 'md5_user', ssl: true });
    });

    test('a wrong MD5 password is InvalidPasswordError naming the user', async () => {
      await assert.rejects(open({ ...tls(), user: 'md5_user', password: 'wrong' }), (e: unknown) => {
        assert.ok(e instanceof InvalidPasswordError, String(e));
        assert.match(e.message, /"md5_user"/);
        return true;
      });
    });
  });

  describe('require_auth', () => {
    test('scram-sha-256 against an MD5 user is refused', async () => {
      await assert.rejects(open({ ...tls(), user: 'md5_user', password: MD5_PASSWORD, requireAuth: 'scram-sha-256' }), refused(/requireAuth "scram-sha-256" does not allow/));
    });

    test('the listed method connects; negated forms refuse what they name', async () => {
      assert.equal((await whoami({ ...tls(), user: 'scram_user', password: SCRAM_PASSWORD, requireAuth: 'scram-sha-256' })).user, 'scram_user');
      assert.equal((await whoami({ ...tls(), user: 'md5_user', password: MD5_PASSWORD, requireAuth: 'md5,password' })).user, 'md5_user');
      await assert.rejects(open({ ...tls(), user: 'pw_user', password: CLEAR_PASSWORD, requireAuth: '!password' }), refused(/"!password" does not allow/));
      assert.equal((await whoami({ ...tls(), user: 'scram_user', password: SCRAM_PASSWORD, requireAuth: '!password,!md5' })).user, 'scram_user');
    });

    test('none allows only a server that asks for nothing; !none demands an exchange', async () => {
      assert.equal((await whoami({ ...tls(), requireAuth: 'none' })).user, cluster.user);
      await assert.rejects(open({ ...tls(), user: 'scram_user', password: SCRAM_PASSWORD, requireAuth: 'none' }), refused(/requireAuth "none" does not allow/));
      await assert.rejects(open({ ...tls(), requireAuth: '!none' }), refused(/without authentication, which requireAuth "!none"/));
    });

    test('a refused method never sees the password: the password function is not called', async () => {
      let called = false;
      await assert.rejects(open({ ...tls(), user: 'md5_user', password: () => ((called = true), MD5_PASSWORD), requireAuth: 'scram-sha-256' }), ConnectionError);
      assert.equal(called, false);
    });
  });
});
