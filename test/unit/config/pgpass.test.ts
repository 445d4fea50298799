import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findPgpassPassword, lookupPgpass, parsePgpassLine } from '../../../src/config/pgpass.js';
import { resolvePassword } from '../../../src/config/password.js';
import { InterfaceError } from '../../../src/errors/client.js';
import { tempDir, writeFile } from './helpers.js';

const isPosix = process.platform !== 'win32';

describe('parsePgpassLine', () => {
  test('unescapes \\: and \\\\ and marks bare * as a wildcard', () => {
    const f = parsePgpassLine('h\\:x:*:d\\\\b:\\*:pw');
    assert.ok(f);
    assert.deepEqual(
      f.map((x) => [x.text, x.wildcard]),
      [
        ['h:x', false],
        ['*', true],
        ['d\\b', false],
        ['*', false],
        ['pw', false],
      ],
    );
  });

  test('ends the password at the next unescaped colon and skips short lines', () => {
    assert.equal(parsePgpassLine('h:1:d:u:pa\\:ss:extra')?.[4]?.text, 'pa:ss');
    assert.equal(parsePgpassLine('h:1:d:u'), undefined);
  });
});

describe('findPgpassPassword', () => {
  const file = [
    '# comment line: ignored',
    '',
    'db1:5432:app:alice:first',
    'db1:5432:app:alice:second',
    'db1:*:*:bob:bobpw',
    '*:5433:*:*:anyhost5433',
    'colon\\:host:5432:d\\:b:u\\\\ser:p\\:w\\\\d',
    'star:5432:\\*:u:literal-star',
    'localhost:5432:app:carol:carolpw',
    '/custom/sock:5432:app:dave:davepw',
    'crlf:5432:app:erin:erinpw\r',
    'short:line',
  ].join('\n');

  test('returns the first matching line', () => {
    assert.equal(findPgpassPassword(file, 'db1', 5432, 'app', 'alice'), 'first');
  });

  test('matches * wildcards in any field', () => {
    assert.equal(findPgpassPassword(file, 'db1', 6000, 'other', 'bob'), 'bobpw');
    assert.equal(findPgpassPassword(file, 'anything', 5433, 'x', 'y'), 'anyhost5433');
  });

  test('handles escaped colons and backslashes in fields and password', () => {
    assert.equal(findPgpassPassword(file, 'colon:host', 5432, 'd:b', 'u\\ser'), 'p:w\\d');
  });

  test('treats \\* as a literal asterisk', () => {
    assert.equal(findPgpassPassword(file, 'star', 5432, '*', 'u'), 'literal-star');
    assert.equal(findPgpassPassword(file, 'star', 5432, 'other', 'u'), undefined);
  });

  test('localhost matches the default socket directories, other directories only literally', () => {
    assert.equal(findPgpassPassword(file, 'localhost', 5432, 'app', 'carol'), 'carolpw');
    assert.equal(findPgpassPassword(file, '/var/run/postgresql', 5432, 'app', 'carol'), 'carolpw');
    assert.equal(findPgpassPassword(file, '/tmp', 5432, 'app', 'carol'), 'carolpw');
    assert.equal(findPgpassPassword(file, '/custom/sock', 5432, 'app', 'carol'), undefined);
    assert.equal(findPgpassPassword(file, '/custom/sock', 5432, 'app', 'dave'), 'davepw');
  });

  test('copes with CRLF line ends', () => {
    assert.equal(findPgpassPassword(file, 'crlf', 5432, 'app', 'erin'), 'erinpw');
  });

  test('returns undefined when nothing matches', () => {
    assert.equal(findPgpassPassword(file, 'db1', 5432, 'app', 'zed'), undefined);
  });
});

describe('lookupPgpass', () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);

  test('reads a 0600 file', async () => {
    const path = writeFile(dir, 'ok.pgpass', 'h:5432:d:u:pw\n', 0o600);
    const warnings: string[] = [];
    assert.equal(await lookupPgpass(path, 'h', 5432, 'd', 'u', (w) => warnings.push(w)), 'pw');
    assert.deepEqual(warnings, []);
  });

  test('ignores a group- or world-readable file with a warning naming it', { skip: !isPosix }, async () => {
    const path = writeFile(dir, 'open.pgpass', 'h:5432:d:u:pw\n', 0o644);
    const warnings: string[] = [];
    assert.equal(await lookupPgpass(path, 'h', 5432, 'd', 'u', (w) => warnings.push(w)), undefined);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /group or world access/);
    assert.ok(warnings[0]?.includes(path));
    assert.match(warnings[0] ?? '', /0600/);
  });

  test('ignores a group-writable file too, as libpq does', { skip: !isPosix }, async () => {
    const path = writeFile(dir, 'gw.pgpass', 'h:5432:d:u:pw\n', 0o620);
    assert.equal(await lookupPgpass(path, 'h', 5432, 'd', 'u'), undefined);
  });

  test('a missing file is silently no password', async () => {
    const warnings: string[] = [];
    assert.equal(await lookupPgpass(join(dir, 'absent'), 'h', 5432, 'd', 'u', (w) => warnings.push(w)), undefined);
    assert.deepEqual(warnings, []);
  });

  test('a directory is ignored with a warning', async () => {
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    const warnings: string[] = [];
    assert.equal(await lookupPgpass(sub, 'h', 5432, 'd', 'u', (w) => warnings.push(w)), undefined);
    assert.match(warnings[0] ?? '', /not a plain file/);
  });
});

describe('resolvePassword', () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const passfile = writeFile(dir, 'pgpass', 'h1:5432:d:u:one\nh2:5433:d:u:two\n');
  const base = { passfile, database: 'd', user: 'u' };

  test('uses .pgpass per host when no password is configured', async () => {
    assert.equal(await resolvePassword({ ...base, password: undefined }, { host: 'h1', port: 5432 }), 'one');
    assert.equal(await resolvePassword({ ...base, password: undefined }, { host: 'h2', port: 5433 }), 'two');
    assert.equal(await resolvePassword({ ...base, password: undefined }, { host: 'h3', port: 5432 }), undefined);
  });

  test('a configured password wins over .pgpass', async () => {
    assert.equal(await resolvePassword({ ...base, password: 'given' }, { host: 'h1', port: 5432 }), 'given');
  });

  test('calls a password function at each attempt', async () => {
    let calls = 0;
    const password = async (): Promise<string> => `token-${++calls}`;
    assert.equal(await resolvePassword({ ...base, password }, { host: 'h1', port: 5432 }), 'token-1');
    assert.equal(await resolvePassword({ ...base, password }, { host: 'h1', port: 5432 }), 'token-2');
  });

  test('refuses a function result that is not a string, or contains NUL', async () => {
    const bad = (() => 42) as unknown as () => string;
    await assert.rejects(resolvePassword({ ...base, password: bad }, { host: 'h', port: 1 }), InterfaceError);
    await assert.rejects(
      resolvePassword({ ...base, password: () => 'a\0b' }, { host: 'h', port: 1 }),
      /NUL byte/,
    );
  });

  test('wraps a failing password function in an InterfaceError', async () => {
    const failing = (): Promise<string> => Promise.reject(new Error('vault down'));
    await assert.rejects(resolvePassword({ ...base, password: failing }, { host: 'h', port: 1 }), /password function failed: vault down/);
  });
});
