import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, InvalidPasswordError } from '../../src/index.js';
import { TempCluster } from '../../src/testing/index.js';

// A cluster of its own: each method gets a role and a pg_hba line.
describe('authentication', () => {
  let cluster: TempCluster;
  before(async () => {
    cluster = await TempCluster.start({
      pgHbaConf: [
        'host all md5_user 127.0.0.1/32 md5',
        'host all scram_user 127.0.0.1/32 scram-sha-256',
        'host all pw_user 127.0.0.1/32 password',
      ],
    });
    const admin = await connect(cluster.dsn);
    try {
      await admin.execute("SET password_encryption = 'md5'");
      await admin.execute("CREATE ROLE md5_user LOGIN PASSWORD 'md5 secret'");
      await admin.execute("SET password_encryption = 'scram-sha-256'");
      await admin.execute("CREATE ROLE scram_user LOGIN PASSWORD 'scram sécret ✓'");
      await admin.execute("CREATE ROLE pw_user LOGIN PASSWORD 'plain'");
    } finally {
      await admin.close();
    }
  });
  after(async () => {
    await cluster?.destroy();
  });

  const opts = (user: string, password?: string | (() => Promise<string>)) => ({
    host: '127.0.0.1',
    port: cluster.port,
    user,
    database: 'postgres',
    sslmode: 'disable' as const,
    ...(password !== undefined ? { password } : {}),
    passfile: '/nonexistent/pgpass',
    // MD5 and cleartext are refused over plaintext by default; this network is loopback.
    allowUnencryptedPassword: true,
  });

  test('trust', async () => {
    const c = await connect(opts(cluster.user));
    assert.equal(await c.fetchVal('SELECT current_user'), cluster.user);
    await c.close();
  });

  test('MD5', async () => {
    const c = await connect(opts('md5_user', 'md5 secret'));
    assert.equal(await c.fetchVal('SELECT current_user'), 'md5_user');
    await c.close();
  });

  test('SCRAM-SHA-256 with a non-ASCII password, and a password function', async () => {
    const c = await connect(opts('scram_user', 'scram sécret ✓'));
    assert.equal(await c.fetchVal('SELECT current_user'), 'scram_user');
    await c.close();
    const c2 = await connect(opts('scram_user', async () => 'scram sécret ✓'));
    assert.equal(await c2.fetchVal('SELECT 1'), 1);
    await c2.close();
  });

  test('cleartext password', async () => {
    const c = await connect(opts('pw_user', 'plain'));
    assert.equal(await c.fetchVal('SELECT current_user'), 'pw_user');
    await c.close();
  });

  test('a wrong password is InvalidPasswordError naming the user and method', async () => {
    for (const [user, method] of [
      ['scram_user', 'scram-sha-256'],
      ['md5_user', 'md5'],
    ] as const) {
      await assert.rejects(connect(opts(user, 'wrong')), (e: unknown) => {
        assert.ok(e instanceof InvalidPasswordError, String(e));
        assert.equal(e.sqlstate, '28P01');
        assert.match(e.message, new RegExp(`password authentication failed for user "${user}"`));
        assert.match(e.message, new RegExp(method));
        assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${cluster.port}`));
        return true;
      });
    }
  });

  test('a missing password says where to put one', async () => {
    await assert.rejects(connect(opts('scram_user')), /asked for a password .* none was given/);
  });
});
