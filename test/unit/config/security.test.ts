import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { join } from 'node:path';
import { protocolRange, resolveConfig } from '../../../src/config/resolve.js';
import { InterfaceError } from '../../../src/errors/client.js';
import { cleanEnv, tempDir, writeFile } from './helpers.js';

const { dir, cleanup } = tempDir();
after(cleanup);
const env = () => cleanEnv(join(dir, 'nohome'));

describe('protocol versions', () => {
  test('3.0 is requested by default, as libpq 18', async () => {
    const c = await resolveConfig(undefined, {}, env());
    assert.equal(c.minProtocolMinor, 0);
    assert.equal(c.maxProtocolMinor, 0);
  });

  test('a minimum above 3.0 raises the request to the newest version', () => {
    assert.deepEqual(protocolRange('3.2', undefined), { minProtocolMinor: 2, maxProtocolMinor: 2 });
    assert.deepEqual(protocolRange(undefined, 'latest'), { minProtocolMinor: 0, maxProtocolMinor: 2 });
    assert.deepEqual(protocolRange('3.0', '3.2'), { minProtocolMinor: 0, maxProtocolMinor: 2 });
  });

  test('min above max is refused with both names', () => {
    assert.throws(() => protocolRange('3.2', '3.0'), (e: unknown) => e instanceof InterfaceError && /minProtocolVersion 3\.2 is above maxProtocolVersion 3\.0/.test(e.message));
  });

  test('URL keywords and option values are checked', async () => {
    const c = await resolveConfig('postgres://h/d?max_protocol_version=3.2', undefined, env());
    assert.equal(c.maxProtocolMinor, 2);
    await assert.rejects(resolveConfig(undefined, { maxProtocolVersion: '3.1' as never }, env()), /Invalid option maxProtocolVersion: expected one of 3\.0, 3\.2, latest/);
    await assert.rejects(resolveConfig(undefined, { max_protocol_version: '3.2' } as never, env()), /Did you mean "maxProtocolVersion"/);
  });
});

describe('password and authentication settings', () => {
  test('allowUnencryptedPassword is off by default and must be a boolean', async () => {
    assert.equal((await resolveConfig(undefined, {}, env())).allowUnencryptedPassword, false);
    assert.equal((await resolveConfig(undefined, { allowUnencryptedPassword: true }, env())).allowUnencryptedPassword, true);
    await assert.rejects(resolveConfig(undefined, { allowUnencryptedPassword: 'yes' as never }, env()), /allowUnencryptedPassword: expected true or false/);
  });

  test('channel_binding=require with a require_auth that rules out SCRAM can never connect: refused early', async () => {
    await assert.rejects(
      resolveConfig('channel_binding=require require_auth=md5', undefined, env()),
      /channelBinding "require" needs SCRAM authentication, but requireAuth "md5"/,
    );
    await assert.rejects(resolveConfig('channel_binding=require require_auth=!scram-sha-256', undefined, env()), /does not allow scram-sha-256/);
    const ok = await resolveConfig('channel_binding=require require_auth=scram-sha-256', undefined, env());
    assert.deepEqual(ok.requireAuth, { negated: false, methods: ['scram-sha-256'] });
  });

  test('channel_binding=require with sslmode=disable is refused', async () => {
    await assert.rejects(resolveConfig('channel_binding=require sslmode=disable', undefined, env()), /needs TLS/);
  });
});

describe('sslmode against the root certificate, as libpq', () => {
  test('verify-ca and verify-full without any root certificate are refused, naming the file', async () => {
    for (const mode of ['verify-ca', 'verify-full']) {
      await assert.rejects(resolveConfig(`sslmode=${mode}`, undefined, env()), (e: unknown) => {
        assert.ok(e instanceof InterfaceError);
        assert.match(e.message, new RegExp(`sslmode ${mode} needs a root certificate`));
        assert.match(e.message, /root\.crt" does not exist/);
        return true;
      });
    }
  });

  test('require, prefer and allow without a root certificate encrypt without verifying', async () => {
    for (const mode of ['allow', 'prefer', 'require']) {
      const c = await resolveConfig(`sslmode=${mode}`, undefined, env());
      assert.equal(c.sslVerify, 'none');
      assert.equal(c.ssl?.rejectUnauthorized, false);
    }
  });

  test('sslrootcert=system allows only verify-full', async () => {
    for (const mode of ['require', 'verify-ca', 'prefer']) {
      await assert.rejects(resolveConfig(`sslmode=${mode} sslrootcert=system`, undefined, env()), /may not be used with sslrootcert=system/);
    }
  });

  test('ssl: true means verify-full with the system roots; an ssl object without ca may verify-full but not verify-ca', async () => {
    const t = await resolveConfig(undefined, { ssl: true }, env());
    assert.equal(t.sslVerify, 'full');
    const bundle = writeFile(dir, 'system-bundle.pem', 'SYSTEM ROOTS', 0o644);
    const sys = await resolveConfig(undefined, { ssl: true }, { ...env(), SSL_CERT_FILE: bundle });
    assert.equal(String(sys.ssl?.ca), 'SYSTEM ROOTS', 'sslrootcert=system reads the OS store, SSL_CERT_FILE first, as OpenSSL');
    const ca = writeFile(dir, 'url-ca.pem', 'CA', 0o644);
    const named = await resolveConfig(`postgres://h/d?sslrootcert=${ca}`, { ssl: true }, env());
    assert.equal(String(named.ssl?.ca), 'CA', 'a root certificate named in the URL still counts');
    const o = await resolveConfig(undefined, { ssl: { servername: 'db' } }, env());
    assert.equal(o.sslVerify, 'full');
    await assert.rejects(resolveConfig(undefined, { ssl: {}, sslmode: 'verify-ca' }, env()), /verify-ca needs a root certificate/);
  });

  test('a root certificate makes every TLS mode check the chain', async () => {
    const ca = writeFile(dir, 'ca.pem', 'CA', 0o644);
    for (const mode of ['allow', 'prefer', 'require', 'verify-ca']) {
      const c = await resolveConfig(`sslmode=${mode} sslrootcert=${ca}`, undefined, env());
      assert.equal(c.sslVerify, 'ca', mode);
      assert.equal(c.ssl?.rejectUnauthorized, true);
    }
  });

  test('sslnegotiation=direct needs require or stronger', async () => {
    for (const mode of ['disable', 'allow', 'prefer']) {
      await assert.rejects(resolveConfig(`sslmode=${mode} sslnegotiation=direct`, undefined, env()), /may not be used with sslnegotiation=direct/);
    }
    const c = await resolveConfig('sslmode=require sslnegotiation=direct', undefined, env());
    assert.equal(c.sslnegotiation, 'direct');
  });
});
