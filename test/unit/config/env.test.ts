import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { envVariableFor, readEnv } from '../../../src/config/env.js';
import { resolveConfig } from '../../../src/config/resolve.js';
import { InterfaceError } from '../../../src/errors/client.js';
import { cleanEnv, tempDir } from './helpers.js';

describe('readEnv', () => {
  test('maps PG* variables to libpq keywords', () => {
    const e = readEnv({
      PGHOST: 'h',
      PGHOSTADDR: '10.1.1.1',
      PGPORT: '5433',
      PGDATABASE: 'd',
      PGUSER: 'u',
      PGPASSWORD: 'p',
      PGPASSFILE: '/pw',
      PGSERVICE: 's',
      PGSERVICEFILE: '/sf',
      PGOPTIONS: '-c geqo=off',
      PGAPPNAME: 'app',
      PGSSLMODE: 'require',
      PGSSLROOTCERT: '/ca',
      PGSSLCERT: '/c',
      PGSSLKEY: '/k',
      PGSSLCRL: '/crl',
      PGSSLNEGOTIATION: 'direct',
      PGCHANNELBINDING: 'require',
      PGREQUIREAUTH: 'scram-sha-256',
      PGCONNECT_TIMEOUT: '7',
      PGTARGETSESSIONATTRS: 'primary',
      PGKRBSRVNAME: 'postgres',
      PGCLIENTENCODING: 'UTF8',
    });
    assert.deepEqual(e.keywords, {
      host: 'h',
      hostaddr: '10.1.1.1',
      port: '5433',
      dbname: 'd',
      user: 'u',
      password: 'p',
      passfile: '/pw',
      service: 's',
      servicefile: '/sf',
      options: '-c geqo=off',
      application_name: 'app',
      sslmode: 'require',
      sslrootcert: '/ca',
      sslcert: '/c',
      sslkey: '/k',
      sslcrl: '/crl',
      sslnegotiation: 'direct',
      channel_binding: 'require',
      require_auth: 'scram-sha-256',
      connect_timeout: '7',
      target_session_attrs: 'primary',
      krbsrvname: 'postgres',
      client_encoding: 'UTF8',
    });
  });

  test('turns PGTZ and PGGEQO into startup settings, skipping "default"', () => {
    assert.deepEqual(readEnv({ PGTZ: 'Europe/Paris', PGGEQO: 'off' }).settings, { TimeZone: 'Europe/Paris', geqo: 'off' });
    assert.deepEqual(readEnv({ PGTZ: 'default' }).settings, {});
  });

  test('PGDATESTYLE has no effect', () => {
    const e = readEnv({ PGDATESTYLE: 'SQL, DMY' });
    assert.deepEqual(e.keywords, {});
    assert.deepEqual(e.settings, {});
  });

  test('empty variables count as unset; PGSYSCONFDIR is reported', () => {
    const e = readEnv({ PGHOST: '', PGUSER: 'u', PGSYSCONFDIR: '/etc/pg' });
    assert.deepEqual(e.keywords, { user: 'u' });
    assert.equal(e.sysconfdir, '/etc/pg');
  });

  test('knows the variable behind each keyword', () => {
    assert.equal(envVariableFor('connect_timeout'), 'PGCONNECT_TIMEOUT');
    assert.equal(envVariableFor('application_name'), 'PGAPPNAME');
    assert.equal(envVariableFor('fallback_application_name'), undefined);
  });
});

describe('resolveConfig from the environment', () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);

  test('takes every setting the environment gives', async () => {
    const c = await resolveConfig(
      undefined,
      undefined,
      cleanEnv(dir, {
        PGHOST: 'h1,h2',
        PGPORT: '5433,5434',
        PGUSER: 'envuser',
        PGDATABASE: 'envdb',
        PGPASSWORD: 'envpw',
        PGAPPNAME: 'envapp',
        PGOPTIONS: '-c search_path=s',
        PGCONNECT_TIMEOUT: '5',
        PGTARGETSESSIONATTRS: 'read-only',
        PGSSLMODE: 'disable',
        PGTZ: 'UTC',
        PGDATESTYLE: 'German',
        PGPASSFILE: '/somewhere/pgpass',
      }),
    );
    assert.deepEqual(c.hosts, [
      { host: 'h1', port: 5433, hostaddr: undefined },
      { host: 'h2', port: 5434, hostaddr: undefined },
    ]);
    assert.equal(c.user, 'envuser');
    assert.equal(c.database, 'envdb');
    assert.equal(c.password, 'envpw');
    assert.equal(c.applicationName, 'envapp');
    assert.equal(c.connectTimeout, 5000);
    assert.equal(c.targetSessionAttrs, 'read-only');
    assert.equal(c.sslmode, 'disable');
    assert.equal(c.ssl, undefined);
    assert.equal(c.passfile, '/somewhere/pgpass');
    assert.deepEqual(c.serverSettings, {
      TimeZone: 'UTC',
      options: '-c search_path=s',
      application_name: 'envapp',
      client_encoding: 'UTF8',
    });
  });

  test('names the variable in an error', async () => {
    await assert.rejects(resolveConfig(undefined, undefined, cleanEnv(dir, { PGSSLMODE: 'bogus' })), (err: unknown) => {
      assert.ok(err instanceof InterfaceError);
      assert.match(err.message, /PGSSLMODE in the environment/);
      return true;
    });
    await assert.rejects(resolveConfig(undefined, undefined, cleanEnv(dir, { PGPORT: 'x' })), /PGPORT/);
  });

  test('refuses a client encoding other than UTF8', async () => {
    await assert.rejects(resolveConfig(undefined, undefined, cleanEnv(dir, { PGCLIENTENCODING: 'LATIN1' })), /client_encoding "LATIN1" is not supported/);
    const ok = await resolveConfig(undefined, undefined, cleanEnv(dir, { PGCLIENTENCODING: 'utf-8' }));
    assert.equal(ok.serverSettings['client_encoding'], 'UTF8');
  });

  test('a serverSettings TimeZone wins over PGTZ', async () => {
    const c = await resolveConfig(undefined, { serverSettings: { timezone: 'Asia/Tokyo' } }, cleanEnv(dir, { PGTZ: 'UTC' }));
    assert.equal(c.serverSettings['timezone'], 'Asia/Tokyo');
    assert.equal(c.serverSettings['TimeZone'], undefined);
  });
});
