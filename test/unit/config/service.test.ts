import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadService, parseServiceSection, serviceFiles } from '../../../src/config/service.js';
import { resolveConfig } from '../../../src/config/resolve.js';
import { InterfaceError } from '../../../src/errors/client.js';
import { cleanEnv, tempDir, writeFile } from './helpers.js';

const SAMPLE = [
  '# shared settings',
  '[prod]',
  'host=db1.example',
  '  port = 5433  ',
  'dbname=app',
  '',
  '[dev]',
  'host=localhost',
  '# comment inside',
  'sslmode=disable',
].join('\n');

describe('parseServiceSection', () => {
  test('reads one section, trimming blanks and skipping comments', () => {
    assert.deepEqual(parseServiceSection(SAMPLE, 'prod', 'f'), { host: 'db1.example', port: '5433', dbname: 'app' });
    assert.deepEqual(parseServiceSection(SAMPLE, 'dev', 'f'), { host: 'localhost', sslmode: 'disable' });
  });

  test('returns undefined for an absent section', () => {
    assert.equal(parseServiceSection(SAMPLE, 'staging', 'f'), undefined);
  });

  test('reports an unknown keyword with file, line and suggestion', () => {
    const text = '[s]\nhost=h\nsslmod=require\n';
    assert.throws(() => parseServiceSection(text, 's', '/etc/x.conf'), (err: unknown) => {
      assert.ok(err instanceof InterfaceError);
      assert.match(err.message, /"sslmod" in service file "\/etc\/x\.conf", line 3/);
      assert.match(err.message, /Did you mean "sslmode"/);
      return true;
    });
  });

  test('reports a line without "=" and a nested service', () => {
    assert.throws(() => parseServiceSection('[s]\nhost\n', 's', 'f'), /Syntax error in service file "f", line 2/);
    assert.throws(() => parseServiceSection('[s]\nservice=t\n', 's', 'f'), /nested service/);
  });

  test('does not check sections other than the one asked for', () => {
    assert.deepEqual(parseServiceSection('[broken]\nnonsense\n[ok]\nuser=u\n', 'ok', 'f'), { user: 'u' });
  });
});

describe('loadService', () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const sysdir = join(dir, 'sys');
  mkdirSync(sysdir);
  writeFile(sysdir, 'pg_service.conf', '[prod]\nhost=system-host\n[systemonly]\nhost=sys2\n', 0o644);
  const userFile = writeFile(dir, 'user_service.conf', SAMPLE, 0o644);

  test('prefers the user file when it defines the service', async () => {
    const entry = await loadService('prod', { servicefile: userFile, sysconfdir: sysdir });
    assert.equal(entry.keywords['host'], 'db1.example');
    assert.equal(entry.file, userFile);
  });

  test('falls back to the system file', async () => {
    const entry = await loadService('systemonly', { servicefile: userFile, sysconfdir: sysdir });
    assert.deepEqual(entry.keywords, { host: 'sys2' });
    assert.equal(entry.file, join(sysdir, 'pg_service.conf'));
  });

  test('looks in ~/.pg_service.conf when no servicefile is given', async () => {
    writeFile(dir, '.pg_service.conf', '[home]\nuser=homeuser\n', 0o644);
    const entry = await loadService('home', { sysconfdir: sysdir, env: { HOME: dir } });
    assert.deepEqual(entry.keywords, { user: 'homeuser' });
    assert.deepEqual(serviceFiles({ sysconfdir: sysdir, env: { HOME: dir } }), [
      join(dir, '.pg_service.conf'),
      join(sysdir, 'pg_service.conf'),
    ]);
  });

  test('uses the Debian system directory by default', () => {
    assert.equal(serviceFiles({ servicefile: '/x' })[1], '/etc/postgresql-common/pg_service.conf');
  });

  test('an unknown service is an error listing the files searched', async () => {
    await assert.rejects(loadService('nope', { servicefile: userFile, sysconfdir: sysdir }), (err: unknown) => {
      assert.ok(err instanceof InterfaceError);
      assert.match(err.message, /service "nope" not found/);
      assert.ok(err.message.includes(userFile));
      return true;
    });
  });

  test('resolveConfig uses PGSERVICE and PGSERVICEFILE', async () => {
    const config = await resolveConfig(undefined, undefined, {
      ...cleanEnv(dir),
      PGSERVICE: 'prod',
      PGSERVICEFILE: userFile,
    });
    assert.deepEqual(config.hosts, [{ host: 'db1.example', port: 5433, hostaddr: undefined }]);
    assert.equal(config.database, 'app');
  });

  test('resolveConfig takes the service from the DSN and the file from options', async () => {
    const config = await resolveConfig('service=dev', { servicefile: userFile }, cleanEnv(dir, { PGSSLMODE: 'require' }));
    assert.equal(config.sslmode, 'disable');
    assert.equal(config.hosts[0]?.host, 'localhost');
  });

  test('a bad value in a service file names the service and file', async () => {
    const bad = writeFile(dir, 'bad.conf', '[b]\nsslmode=sometimes\n', 0o644);
    await assert.rejects(
      resolveConfig(undefined, { service: 'b', servicefile: bad }, cleanEnv(dir)),
      /Invalid sslmode in service "b" \(.*bad\.conf\): "sometimes"/,
    );
  });
});
