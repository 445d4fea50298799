import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, ConnectionError } from '../../src/index.js';
import { TempCluster } from '../../src/testing/index.js';
import { testDsn } from './harness.js';

function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// sslmode disable / prefer / require against a server with SSL on, and
// against one without it. The full TLS matrix lives with connection security.
describe('SSL negotiation', { skip: haveOpenssl() ? false : 'openssl is not installed: cannot make a test certificate' }, () => {
  let cluster: TempCluster;
  before(async () => {
    cluster = await TempCluster.start();
    const owner = fs.statSync(cluster.dataDir);
    const crt = path.join(cluster.dataDir, 'server.crt');
    const key = path.join(cluster.dataDir, 'server.key');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', crt,
    ], { stdio: 'ignore' });
    for (const f of [crt, key]) {
      fs.chownSync(f, owner.uid, owner.gid);
      fs.chmodSync(f, 0o600);
    }
    await cluster.setConf(['ssl = on', "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'"], { reload: false });
    await cluster.restart();
  });
  after(async () => {
    await cluster?.destroy();
  });

  const base = () => ({ host: '127.0.0.1', port: cluster.port, user: cluster.user, database: 'postgres', passfile: '/nonexistent' });

  test('require uses TLS (without verifying, as libpq)', async () => {
    const c = await connect({ ...base(), sslmode: 'require' });
    try {
      assert.equal(await c.fetchVal('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'), true);
    } finally {
      await c.close();
    }
  });

  test('prefer uses TLS when the server offers it', async () => {
    const c = await connect({ ...base(), sslmode: 'prefer' });
    try {
      assert.equal(await c.fetchVal('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'), true);
    } finally {
      await c.close();
    }
  });

  test('disable stays in plaintext', async () => {
    const c = await connect({ ...base(), sslmode: 'disable' });
    try {
      assert.equal(await c.fetchVal('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'), false);
    } finally {
      await c.close();
    }
  });

  test('verify-full fails against a certificate nobody trusts', async () => {
    await assert.rejects(connect({ ...base(), sslmode: 'verify-full', sslrootcert: 'system' }), (e: unknown) => {
      assert.ok(e instanceof ConnectionError, String(e));
      assert.match(e.message, /SSL handshake .* failed/);
      return true;
    });
  });

  test('verify-full succeeds with the certificate as sslrootcert', async () => {
    const c = await connect({ ...base(), host: 'localhost', sslmode: 'verify-full', sslrootcert: path.join(cluster.dataDir, 'server.crt') });
    try {
      assert.equal(await c.fetchVal('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'), true);
    } finally {
      await c.close();
    }
  });
});

describe('SSL against a server without it', () => {
  test('require fails with a message that says so; prefer falls back to plaintext', async (t) => {
    if (process.env['PGJET_TEST_SOCKET_DIR'] === undefined) {
      t.skip('running against an external server, which may have SSL on');
      return;
    }
    await assert.rejects(connect(testDsn(), { sslmode: 'require' }), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.match(e.message, /does not accept SSL connections/);
      return true;
    });
    const c = await connect(testDsn(), { sslmode: 'prefer' });
    assert.equal(await c.fetchVal('SELECT 1'), 1);
    await c.close();
  });
});
