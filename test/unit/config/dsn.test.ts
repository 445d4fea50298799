import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InterfaceError } from '../../../src/errors/client.js';
import { looksLikeUrl, parseDsn, parseKeyValue, parseUrl } from '../../../src/config/dsn.js';
import { keywordsToOptions } from '../../../src/config/keywords.js';

describe('parseUrl', () => {
  test('splits user, password, host, port, database and query', () => {
    assert.deepEqual(parseUrl('postgres://bob:s3cret@db.example:5433/shop?sslmode=require&application_name=web'), {
      user: 'bob',
      password: 's3cret',
      host: 'db.example',
      port: '5433',
      dbname: 'shop',
      sslmode: 'require',
      application_name: 'web',
    });
  });

  test('accepts the postgresql:// scheme too', () => {
    assert.deepEqual(parseUrl('postgresql://h/d'), { host: 'h', dbname: 'd' });
  });

  test('percent-decodes every part', () => {
    const kw = parseUrl('postgres://b%C3%B8b:p%40ss%2Fw%3Ard@h%2Dx/my%20db?options=-c%20search_path%3Dapp&application_name=caf%C3%A9');
    assert.equal(kw['user'], 'bøb');
    assert.equal(kw['password'], 'p@ss/w:rd');
    assert.equal(kw['host'], 'h-x');
    assert.equal(kw['dbname'], 'my db');
    assert.equal(kw['options'], '-c search_path=app');
    assert.equal(kw['application_name'], 'café');
  });

  test('keeps "+" as a plus sign, as libpq does', () => {
    assert.equal(parseUrl('postgres://u:a+b@h/db')['password'], 'a+b');
  });

  test('takes credentials up to the last "@" so an unescaped "@" in a password works', () => {
    assert.deepEqual(parseUrl('postgres://u:p@ss@h/db'), { user: 'u', password: 'p@ss', host: 'h', dbname: 'db' });
  });

  test('parses IPv6 literals, with and without port, and zone ids', () => {
    assert.deepEqual(parseUrl('postgres://[::1]:5434/db'), { host: '::1', port: '5434', dbname: 'db' });
    assert.deepEqual(parseUrl('postgres://[2001:db8::7]/db'), { host: '2001:db8::7', dbname: 'db' });
    assert.equal(parseUrl('postgres://[fe80::1%25eth0]/db')['host'], 'fe80::1%eth0');
  });

  test('parses several hosts with their ports', () => {
    assert.deepEqual(parseUrl('postgres://h1:5432,h2:5433,[::1]:5434/db'), {
      host: 'h1,h2,::1',
      port: '5432,5433,5434',
      dbname: 'db',
    });
  });

  test('leaves an empty port entry where a host has no port', () => {
    assert.deepEqual(parseUrl('postgres://h1,h2:5433/db'), { host: 'h1,h2', port: ',5433', dbname: 'db' });
    const options = keywordsToOptions(parseUrl('postgres://h1,h2:5433/db'), { where: 'in the connection URL' });
    assert.deepEqual(options.port, [5432, 5433]);
    assert.deepEqual(options.host, ['h1', 'h2']);
  });

  test('accepts a percent-encoded Unix socket directory as host', () => {
    assert.deepEqual(parseUrl('postgresql://%2Fvar%2Frun%2Fpostgresql/db'), { host: '/var/run/postgresql', dbname: 'db' });
  });

  test('accepts ?host=/socket/dir with an empty authority', () => {
    assert.deepEqual(parseUrl('postgresql:///db?host=/var/run/postgresql&port=5433'), {
      dbname: 'db',
      host: '/var/run/postgresql',
      port: '5433',
    });
  });

  test('a query parameter overrides the same part of the URL', () => {
    assert.equal(parseUrl('postgres://h1/db?host=h2')['host'], 'h2');
  });

  test('handles a user without host and a bare scheme', () => {
    assert.deepEqual(parseUrl('postgres://me@/db'), { user: 'me', dbname: 'db' });
    assert.deepEqual(parseUrl('postgres://'), {});
    assert.deepEqual(parseUrl('postgres://:5433'), { port: '5433' });
    assert.deepEqual(parseUrl('postgres://u:@h'), { user: 'u', password: '', host: 'h' });
  });

  test('maps ssl=true to sslmode=require, as libpq does for JDBC URLs', () => {
    assert.equal(parseUrl('postgres://h/db?ssl=true')['sslmode'], 'require');
  });

  test('refuses another scheme, naming it', () => {
    assert.throws(() => parseUrl('mysql://h/db'), (err: unknown) => {
      assert.ok(err instanceof InterfaceError);
      assert.match(err.message, /"mysql:\/\/"/);
      assert.match(err.message, /postgresql:\/\//);
      return true;
    });
    assert.throws(() => parseDsn('http://h/db'), InterfaceError);
  });

  test('refuses an unknown query parameter, naming it and suggesting the right one', () => {
    assert.throws(() => parseUrl('postgres://h/db?sslmod=require'), (err: unknown) => {
      assert.ok(err instanceof InterfaceError);
      assert.match(err.message, /"sslmod"/);
      assert.match(err.message, /Did you mean "sslmode"\?/);
      return true;
    });
    assert.throws(() => parseUrl('postgres://h/db?connect_timout=3'), /Did you mean "connect_timeout"/);
    assert.throws(() => parseUrl('postgres://h/db?frobnicate=1'), /Unknown connection parameter "frobnicate"/);
  });

  test('refuses a query parameter without "="', () => {
    assert.throws(() => parseUrl('postgres://h/db?sslmode'), /has no "=value"/);
  });

  test('refuses bad percent-encoding and %00 without echoing a password', () => {
    assert.throws(() => parseUrl('postgres://u:sec%zzret@h/db'), (err: unknown) => {
      assert.ok(err instanceof InterfaceError);
      assert.match(err.message, /password/);
      assert.doesNotMatch(err.message, /sec|ret/);
      return true;
    });
    assert.throws(() => parseUrl('postgres://h/d%00b'), /%00/);
    assert.throws(() => parseUrl('postgres://h/%ff'), /UTF-8/);
  });

  test('a password with an unencoded "/" gives a hint and does not leak the password', () => {
    assert.throws(() => parseUrl('postgres://u:ab/cd@h/db'), (err: unknown) => {
      assert.ok(err instanceof InterfaceError);
      assert.match(err.message, /percent-encode/);
      assert.doesNotMatch(err.message, /ab/);
      return true;
    });
  });

  test('refuses an unclosed IPv6 bracket', () => {
    assert.throws(() => parseUrl('postgres://[::1/db'), /"\["/);
  });

  test('round-trips any user, password and database through percent-encoding', () => {
    const text = fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(text, text, text, (user, password, db) => {
        const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@h/${encodeURIComponent(db)}`;
        const kw = parseUrl(url);
        assert.equal(kw['user'], user);
        assert.equal(kw['password'], password);
        assert.equal(kw['dbname'], db);
      }),
    );
  });
});

describe('parseKeyValue', () => {
  test('reads pairs with blanks around "="', () => {
    assert.deepEqual(parseKeyValue('  host = localhost\tport=5432 dbname =mydb  '), {
      host: 'localhost',
      port: '5432',
      dbname: 'mydb',
    });
  });

  test('reads single-quoted values with escaped quotes and backslashes', () => {
    assert.deepEqual(parseKeyValue("password='it\\'s a \\\\ secret' application_name='my app'"), {
      password: "it's a \\ secret",
      application_name: 'my app',
    });
  });

  test('honours backslash escapes outside quotes', () => {
    assert.equal(parseKeyValue('password=a\\ b\\\\c')['password'], 'a b\\c');
  });

  test('reads an empty quoted value', () => {
    assert.deepEqual(parseKeyValue("password='' user=u"), { password: '', user: 'u' });
  });

  test('the last of a repeated keyword wins', () => {
    assert.equal(parseKeyValue('port=1 port=2')['port'], '2');
  });

  test('an empty string has no keywords', () => {
    assert.deepEqual(parseKeyValue('   '), {});
  });

  test('refuses an unterminated quote without echoing the value', () => {
    assert.throws(() => parseKeyValue("password='hunter2"), (err: unknown) => {
      assert.ok(err instanceof InterfaceError);
      assert.match(err.message, /unterminated quoted value for "password"/);
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    });
  });

  test('refuses a word without "="', () => {
    assert.throws(() => parseKeyValue('host=h mydb'), /missing "=" after "mydb"/);
  });

  test('refuses an unknown keyword with a suggestion', () => {
    assert.throws(() => parseKeyValue('hots=h'), /Unknown connection parameter "hots" in the connection string\. Did you mean "host"\?/);
  });

  test('round-trips any value through quoting', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (value) => {
        const quoted = `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
        assert.equal(parseKeyValue(`user=x password=${quoted} dbname=d`)['password'], value);
      }),
    );
  });
});

describe('parseDsn', () => {
  test('chooses the form by the scheme prefix', () => {
    assert.equal(looksLikeUrl('postgres://h'), true);
    assert.equal(looksLikeUrl('  postgresql://h'), true);
    assert.equal(looksLikeUrl('host=h'), false);
    assert.deepEqual(parseDsn('host=h port=1'), { host: 'h', port: '1' });
    assert.deepEqual(parseDsn(' postgres://h:1 '), { host: 'h', port: '1' });
  });
});

describe('keywordsToOptions', () => {
  const src = { where: 'in the connection string' };

  test('converts connect_timeout and keepalives_idle from seconds to milliseconds', () => {
    const o = keywordsToOptions({ connect_timeout: '10', keepalives_idle: '30', keepalives: '0' }, src);
    assert.equal(o.connectTimeout, 10_000);
    assert.equal(o.keepAliveInitialDelay, 30_000);
    assert.equal(o.keepAlive, false);
  });

  test('maps names to options', () => {
    const o = keywordsToOptions(
      {
        dbname: 'd',
        user: 'u',
        application_name: 'a',
        target_session_attrs: 'read-write',
        sslmode: 'verify-ca',
        sslsni: '0',
        channel_binding: 'require',
        load_balance_hosts: 'random',
        hostaddr: '10.0.0.1,10.0.0.2',
      },
      src,
    );
    assert.equal(o.database, 'd');
    assert.equal(o.user, 'u');
    assert.equal(o.applicationName, 'a');
    assert.equal(o.targetSessionAttrs, 'read-write');
    assert.equal(o.sslmode, 'verify-ca');
    assert.equal(o.sslsni, false);
    assert.equal(o.channelBinding, 'require');
    assert.equal(o.loadBalanceHosts, 'random');
    assert.deepEqual(o.hostaddr, ['10.0.0.1', '10.0.0.2']);
  });

  test('treats an empty value as not given', () => {
    assert.deepEqual(keywordsToOptions({ user: '', sslmode: '' }, src), {});
  });

  test('refuses bad values, naming keyword and source', () => {
    assert.throws(() => keywordsToOptions({ sslmode: 'requre' }, src), /Invalid sslmode in the connection string: "requre"\. Use one of: disable, allow/);
    assert.throws(() => keywordsToOptions({ connect_timeout: '-1' }, src), /connect_timeout in the connection string \(seconds\).*negative/);
    assert.throws(() => keywordsToOptions({ connect_timeout: '1.5' }, src), /connect_timeout.*not an integer/);
    assert.throws(() => keywordsToOptions({ port: '99999' }, src), /port in the connection string: 99999 is outside/);
    assert.throws(() => keywordsToOptions({ port: 'abc' }, src), /port in the connection string/);
    assert.throws(() => keywordsToOptions({ target_session_attrs: 'master' }, src), /target_session_attrs/);
  });

  test('refuses what pgjet cannot honour rather than ignoring it', () => {
    assert.throws(() => keywordsToOptions({ gssencmode: 'require' }, src), /gssencmode.*not supported/);
    assert.throws(() => keywordsToOptions({ requirepeer: 'postgres' }, src), /requirepeer.*not supported/);
    assert.throws(() => keywordsToOptions({ replication: 'database' }, src), /replication.*not supported/);
    assert.throws(() => keywordsToOptions({ sslcertmode: 'require' }, src), /sslcertmode.*not supported/);
  });

  test('maps min_protocol_version and max_protocol_version, refusing unknown versions', () => {
    const o = keywordsToOptions({ min_protocol_version: '3.2', max_protocol_version: 'latest' }, src);
    assert.equal(o.minProtocolVersion, '3.2');
    assert.equal(o.maxProtocolVersion, 'latest');
    assert.throws(() => keywordsToOptions({ max_protocol_version: '3.1' }, src), /Invalid max_protocol_version.*3\.0, 3\.2, latest/);
  });

  test('accepts optional keywords that have no effect', () => {
    const o = keywordsToOptions(
      { gssencmode: 'prefer', krbsrvname: 'postgres', keepalives_count: '3', sslcompression: '0', replication: 'false' },
      src,
    );
    assert.deepEqual(o, {});
  });

  test('names the environment variable when the source is the environment', () => {
    const env = { where: 'in the environment', name: (k: string) => (k === 'sslmode' ? 'PGSSLMODE' : k) };
    assert.throws(() => keywordsToOptions({ sslmode: 'x' }, env), /Invalid PGSSLMODE in the environment/);
  });
});
