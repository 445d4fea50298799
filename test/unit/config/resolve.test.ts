import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { resolveConfig, parseRequireAuth } from '../../../src/config/resolve.js';
import { defaultHost } from '../../../src/config/hosts.js';
import { socketPath } from '../../../src/config/options.js';
import type { ConnectOptions } from '../../../src/config/options.js';
import { InterfaceError } from '../../../src/errors/client.js';
import { cleanEnv, tempDir, writeFile } from './helpers.js';

const { dir, cleanup } = tempDir();
after(cleanup);

/** Expects resolveConfig to fail with an InterfaceError whose message matches every pattern. */
async function rejectsWith(promise: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof InterfaceError, `expected InterfaceError, got ${String(err)}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

describe('defaults', () => {
  test('fill in everything not given', async () => {
    const c = await resolveConfig(undefined, undefined, { HOME: dir, PGSYSCONFDIR: dir, PGHOST: 'h' });
    let osUser: string;
    try {
      osUser = userInfo().username;
    } catch {
      osUser = process.env['USER'] ?? '';
    }
    assert.deepEqual(c.hosts, [{ host: 'h', port: 5432, hostaddr: undefined }]);
    assert.equal(c.user, osUser);
    assert.equal(c.database, osUser);
    assert.equal(c.password, undefined);
    assert.equal(c.passfile, join(dir, '.pgpass'));
    assert.equal(c.sslmode, 'prefer');
    assert.equal(c.sslVerify, 'none');
    assert.equal(c.ssl?.rejectUnauthorized, false);
    assert.equal(c.sslnegotiation, 'postgres');
    assert.equal(c.sslsni, true);
    assert.equal(c.channelBinding, 'prefer');
    assert.equal(c.requireAuth, undefined);
    assert.equal(c.connectTimeout, 60_000);
    assert.equal(c.commandTimeout, undefined);
    assert.equal(c.applicationName, undefined);
    assert.deepEqual(c.serverSettings, { client_encoding: 'UTF8' });
    assert.equal(c.keepAlive, true);
    assert.equal(c.keepAliveInitialDelay, 0);
    assert.equal(c.statementCacheSize, 100);
    assert.equal(c.targetSessionAttrs, 'any');
    assert.equal(c.loadBalanceHosts, 'disable');
    assert.equal(c.rowMode, 'object');
    assert.equal(c.maxMessageSize, 1 << 30);
  });

  test('the default host is a socket directory only where a server socket exists', { skip: process.platform === 'win32' }, async () => {
    let port = 0;
    for (let p = 40000 + Math.floor(Math.random() * 20000); ; p++) {
      if (!existsSync(`/tmp/.s.PGSQL.${p}`) && !existsSync(`/var/run/postgresql/.s.PGSQL.${p}`)) {
        port = p;
        break;
      }
    }
    assert.equal(await defaultHost(port), 'localhost');
    const fake = `/tmp/.s.PGSQL.${port}`;
    writeFileSync(fake, '');
    try {
      assert.equal(await defaultHost(port), '/tmp');
      const c = await resolveConfig(undefined, { port }, { HOME: dir, PGUSER: 'u' });
      assert.deepEqual(c.hosts, [{ host: '/tmp', port, hostaddr: undefined }]);
    } finally {
      rmSync(fake, { force: true });
    }
  });

  test('socketPath builds the socket file name', () => {
    assert.equal(socketPath({ host: '/var/run/postgresql', port: 5433 }), '/var/run/postgresql/.s.PGSQL.5433');
    assert.equal(socketPath({ host: '/tmp/', port: 5432 }), '/tmp/.s.PGSQL.5432');
    assert.equal(socketPath({ host: 'db', port: 5432 }), undefined);
  });
});

describe('precedence: options > DSN > service > environment > defaults', () => {
  const servicefile = writeFile(dir, 'svc.conf', '[s]\nuser=svcuser\ndbname=svcdb\nport=3333\napplication_name=svcapp\nconnect_timeout=3\n');

  test('each field comes from the strongest source that has it', async () => {
    const env = cleanEnv(dir, {
      PGUSER: 'envuser',
      PGDATABASE: 'envdb',
      PGPORT: '4444',
      PGAPPNAME: 'envapp',
      PGCONNECT_TIMEOUT: '4',
      PGTARGETSESSIONATTRS: 'standby',
      PGSERVICE: 's',
      PGSERVICEFILE: servicefile,
    });
    const c = await resolveConfig('postgres://dsnuser@dsnhost/dsndb?connect_timeout=2', { user: 'optuser' }, env);
    assert.equal(c.user, 'optuser'); // options
    assert.equal(c.database, 'dsndb'); // DSN beats service and env
    assert.equal(c.hosts[0]?.host, 'dsnhost'); // DSN beats env PGHOST
    assert.equal(c.hosts[0]?.port, 3333); // service beats env
    assert.equal(c.applicationName, 'svcapp'); // service beats env
    assert.equal(c.connectTimeout, 2000); // DSN
    assert.equal(c.targetSessionAttrs, 'standby'); // only env has it
  });

  test('the options object beats the DSN for every field it sets', async () => {
    const c = await resolveConfig(
      'host=a port=1 dbname=b user=c password=d application_name=e sslmode=disable',
      { host: 'x', port: 2, database: 'y', user: 'z', password: 'w', applicationName: 'v', sslmode: 'require' },
      cleanEnv(dir),
    );
    assert.deepEqual(c.hosts, [{ host: 'x', port: 2, hostaddr: undefined }]);
    assert.equal(c.database, 'y');
    assert.equal(c.user, 'z');
    assert.equal(c.password, 'w');
    assert.equal(c.applicationName, 'v');
    assert.equal(c.sslmode, 'require');
  });

  test('database defaults to the user from whichever source gave it', async () => {
    const c = await resolveConfig('postgres://bob@h', undefined, cleanEnv(dir, { PGUSER: '' }));
    assert.equal(c.database, 'bob');
  });

  test('fallback_application_name applies only when no application_name is set', async () => {
    const a = await resolveConfig('fallback_application_name=fb', undefined, cleanEnv(dir));
    assert.equal(a.applicationName, 'fb');
    const b = await resolveConfig('fallback_application_name=fb', undefined, cleanEnv(dir, { PGAPPNAME: 'env' }));
    assert.equal(b.applicationName, 'env');
  });
});

describe('hosts', () => {
  test('one port for all hosts, or one per host', async () => {
    const one = await resolveConfig(undefined, { host: ['a', 'b'], port: 6000 }, cleanEnv(dir));
    assert.deepEqual(one.hosts.map((h) => `${h.host}:${h.port}`), ['a:6000', 'b:6000']);
    const each = await resolveConfig(undefined, { host: 'a,b', port: [1, 2] }, cleanEnv(dir));
    assert.deepEqual(each.hosts.map((h) => `${h.host}:${h.port}`), ['a:1', 'b:2']);
  });

  test('a mismatched port list is refused', async () => {
    await rejectsWith(resolveConfig('host=a,b,c port=1,2', undefined, cleanEnv(dir)), /3 hosts/, /2 port numbers/);
  });

  test('hostaddr goes with its host and stands in when host is missing', async () => {
    const c = await resolveConfig('host=db.example hostaddr=10.0.0.5', undefined, cleanEnv(dir));
    assert.deepEqual(c.hosts, [{ host: 'db.example', port: 5432, hostaddr: '10.0.0.5' }]);
    const d = await resolveConfig('hostaddr=10.0.0.6', undefined, cleanEnv(dir, { PGHOST: '' }));
    assert.deepEqual(d.hosts, [{ host: '10.0.0.6', port: 5432, hostaddr: '10.0.0.6' }]);
    await rejectsWith(resolveConfig('host=a hostaddr=not-an-ip', undefined, cleanEnv(dir)), /hostaddr "not-an-ip"/);
    await rejectsWith(resolveConfig('host=a,b hostaddr=10.0.0.1', undefined, cleanEnv(dir)), /1 hostaddr values to 2 hosts/);
  });

  test('keeps IPv6 and socket-directory hosts from a URL', async () => {
    const c = await resolveConfig('postgres://[::1]:5434,%2Ftmp/db', undefined, cleanEnv(dir));
    assert.deepEqual(c.hosts, [
      { host: '::1', port: 5434, hostaddr: undefined },
      { host: '/tmp', port: 5432, hostaddr: undefined },
    ]);
  });
});

describe('validation', () => {
  test('unknown option keys are refused with the likely intended name', async () => {
    await rejectsWith(
      resolveConfig(undefined, { conectTimeout: 5 } as unknown as ConnectOptions, cleanEnv(dir)),
      /Unknown option "conectTimeout"/,
      /Did you mean "connectTimeout"\?/,
    );
    await rejectsWith(resolveConfig(undefined, { dbname: 'x' } as unknown as ConnectOptions, cleanEnv(dir)), /Did you mean "database"/);
    await rejectsWith(resolveConfig(undefined, { sslMode: 'require' } as unknown as ConnectOptions, cleanEnv(dir)), /Did you mean "sslmode"/);
    await rejectsWith(resolveConfig(undefined, { zzz: 1 } as unknown as ConnectOptions, cleanEnv(dir)), /Unknown option "zzz"\.$/);
  });

  test('a bad port names the option', async () => {
    for (const port of [0, 65536, 1.5, '5432', [], [1, 0]]) {
      await rejectsWith(resolveConfig(undefined, { port } as unknown as ConnectOptions, cleanEnv(dir)), /Invalid option port/);
    }
    await rejectsWith(resolveConfig('postgres://h:0/db', undefined, cleanEnv(dir)), /port in the connection URL: 0/);
  });

  test('a bad sslmode names the option and the choices', async () => {
    await rejectsWith(
      resolveConfig(undefined, { sslmode: 'on' } as unknown as ConnectOptions, cleanEnv(dir)),
      /Invalid option sslmode/,
      /verify-full/,
    );
    await rejectsWith(resolveConfig('sslmode=strict', undefined, cleanEnv(dir)), /Invalid sslmode in the connection string/);
  });

  test('negative or oversized timeouts are refused', async () => {
    await rejectsWith(resolveConfig(undefined, { connectTimeout: -1 }, cleanEnv(dir)), /Invalid option connectTimeout/, /-1/);
    await rejectsWith(resolveConfig(undefined, { commandTimeout: -5 }, cleanEnv(dir)), /Invalid option commandTimeout/);
    await rejectsWith(resolveConfig(undefined, { commandTimeout: 2 ** 31 }, cleanEnv(dir)), /commandTimeout/, /at most/);
    await rejectsWith(resolveConfig(undefined, { keepAliveInitialDelay: Number.NaN }, cleanEnv(dir)), /keepAliveInitialDelay/);
    await rejectsWith(resolveConfig('connect_timeout=-3', undefined, cleanEnv(dir)), /connect_timeout/);
  });

  test('other value checks name their option', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ user: 42 }, /Invalid option user: expected a string, got 42/],
      [{ password: 5 }, /Invalid option password/],
      [{ statementCacheSize: -1 }, /Invalid option statementCacheSize/],
      [{ maxMessageSize: 10 }, /Invalid option maxMessageSize/],
      [{ keepAlive: 'yes' }, /Invalid option keepAlive/],
      [{ rowMode: 'tuple' }, /Invalid option rowMode/],
      [{ targetSessionAttrs: 'master' }, /Invalid option targetSessionAttrs/],
      [{ serverSettings: { work_mem: 64 } }, /serverSettings\.work_mem/],
      [{ serverSettings: 'x' }, /Invalid option serverSettings/],
      [{ host: [] }, /Invalid option host/],
      [{ ssl: 'yes' }, /Invalid option ssl/],
    ];
    for (const [options, pattern] of cases) {
      await rejectsWith(resolveConfig(undefined, options as ConnectOptions, cleanEnv(dir)), pattern);
    }
  });

  test('options given as undefined count as not given', async () => {
    const c = await resolveConfig(undefined, { user: undefined, port: undefined }, cleanEnv(dir));
    assert.equal(c.user, 'alice');
  });

  test('a NUL byte in any startup value is refused before connecting', async () => {
    const cases: Array<[ConnectOptions, RegExp]> = [
      [{ user: 'a\0b' }, /Invalid user: it contains a NUL byte/],
      [{ database: 'd\0' }, /Invalid database: it contains a NUL byte/],
      [{ applicationName: 'x\0' }, /server setting application_name/],
      [{ options: '-c a=\0' }, /server setting options/],
      [{ serverSettings: { search_path: 'a\0' } }, /server setting search_path/],
      [{ serverSettings: { 'bad\0name': 'v' } }, /server setting name "bad\?name"/],
      [{ password: 'p\0' }, /Invalid password/],
      [{ host: 'h\0' }, /Invalid host/],
    ];
    for (const [options, pattern] of cases) {
      await rejectsWith(resolveConfig(undefined, options, cleanEnv(dir)), pattern);
    }
    await rejectsWith(resolveConfig(undefined, undefined, cleanEnv(dir, { PGUSER: 'u\0' })), /Invalid user/);
  });

  test('serverSettings are sent, and names with their own options are refused', async () => {
    const c = await resolveConfig(undefined, { serverSettings: { search_path: 'app', Application_Name: 'via-settings' } }, cleanEnv(dir));
    assert.deepEqual(c.serverSettings, { search_path: 'app', application_name: 'via-settings', client_encoding: 'UTF8' });
    assert.equal(c.applicationName, 'via-settings');
    await rejectsWith(resolveConfig(undefined, { serverSettings: { user: 'x' } }, cleanEnv(dir)), /serverSettings\.user: use the user option/);
    await rejectsWith(resolveConfig(undefined, { serverSettings: { database: 'x' } }, cleanEnv(dir)), /use the database option/);
    await rejectsWith(resolveConfig(undefined, { serverSettings: { _pq_x: 'y', '_pq_.ext': '1' } }, cleanEnv(dir)), /_pq_/);
    await rejectsWith(resolveConfig(undefined, { serverSettings: { client_encoding: 'SQL_ASCII' } }, cleanEnv(dir)), /client_encoding "SQL_ASCII"/);
    await rejectsWith(
      resolveConfig(undefined, { applicationName: 'a', serverSettings: { application_name: 'b' } }, cleanEnv(dir)),
      /applicationName and serverSettings\.application_name disagree/,
    );
  });

  test('ssl shorthand and sslmode must agree', async () => {
    await rejectsWith(resolveConfig(undefined, { ssl: true, sslmode: 'disable' }, cleanEnv(dir)), /ssl .* and sslmode \(disable\) disagree/);
    const c = await resolveConfig(undefined, { ssl: false }, cleanEnv(dir));
    assert.equal(c.sslmode, 'disable');
    const d = await resolveConfig(undefined, { ssl: 'require' }, cleanEnv(dir));
    assert.equal(d.sslmode, 'require');
  });

  test('incompatible TLS combinations are refused', async () => {
    await rejectsWith(resolveConfig('sslnegotiation=direct', undefined, cleanEnv(dir)), /sslnegotiation=direct/);
    await rejectsWith(resolveConfig('sslrootcert=system sslmode=require', undefined, cleanEnv(dir)), /sslrootcert=system/, /verify-full/);
    await rejectsWith(resolveConfig(undefined, { sslmode: 'disable', channelBinding: 'require' }, cleanEnv(dir)), /channelBinding "require" needs TLS/);
    await rejectsWith(
      resolveConfig(undefined, { sslmode: 'verify-full', ssl: { rejectUnauthorized: false } }, cleanEnv(dir)),
      /rejectUnauthorized is false but sslmode is verify-full/,
    );
  });

  test('a DSN that is not a string is refused', async () => {
    await rejectsWith(resolveConfig(42 as unknown as string, undefined, cleanEnv(dir)), /Invalid DSN/);
  });
});

describe('requireAuth', () => {
  test('parses positive and negated lists', () => {
    assert.deepEqual(parseRequireAuth('scram-sha-256'), { negated: false, methods: ['scram-sha-256'] });
    assert.deepEqual(parseRequireAuth('!password, !md5'), { negated: true, methods: ['password', 'md5'] });
    assert.equal(parseRequireAuth(undefined), undefined);
  });

  test('refuses mixing, unknown methods and repeats', () => {
    assert.throws(() => parseRequireAuth('md5,!password'), /cannot be mixed/);
    assert.throws(() => parseRequireAuth('kerberos'), /Invalid requireAuth method "kerberos"/);
    assert.throws(() => parseRequireAuth('md5,md5'), /more than once/);
  });
});

describe('timeouts and TLS from keywords', () => {
  test('connect_timeout in a URL is seconds; connectTimeout in options is milliseconds', async () => {
    const a = await resolveConfig('postgres://h/db?connect_timeout=10', undefined, cleanEnv(dir));
    assert.equal(a.connectTimeout, 10_000);
    const b = await resolveConfig(undefined, { connectTimeout: 1500 }, cleanEnv(dir));
    assert.equal(b.connectTimeout, 1500);
    const none = await resolveConfig(undefined, { connectTimeout: 0, commandTimeout: 0 }, cleanEnv(dir));
    assert.equal(none.connectTimeout, 0);
    assert.equal(none.commandTimeout, undefined);
  });

  test('keyword-only settings reach the resolved config', async () => {
    const c = await resolveConfig(
      'host=h keepalives=0 keepalives_idle=30 target_session_attrs=read-write load_balance_hosts=random require_auth=scram-sha-256 channel_binding=require sslmode=require',
      undefined,
      cleanEnv(dir),
    );
    assert.equal(c.keepAlive, false);
    assert.equal(c.keepAliveInitialDelay, 30_000);
    assert.equal(c.targetSessionAttrs, 'read-write');
    assert.equal(c.loadBalanceHosts, 'random');
    assert.deepEqual(c.requireAuth, { negated: false, methods: ['scram-sha-256'] });
    assert.equal(c.channelBinding, 'require');
  });

  test('require without any certificate file does not verify', async () => {
    const home = join(dir, 'emptyhome');
    mkdirSync(home, { recursive: true });
    const c = await resolveConfig('sslmode=require', undefined, cleanEnv(home));
    assert.equal(c.sslVerify, 'none');
    assert.equal(c.ssl?.ca, undefined);
    assert.equal(c.ssl?.cert, undefined);
  });
});
