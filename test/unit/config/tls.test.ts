import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig } from '../../../src/config/resolve.js';
import { tlsOptionsForHost } from '../../../src/config/tls.js';
import { InterfaceError } from '../../../src/errors/client.js';
import { cleanEnv, tempDir, writeFile } from './helpers.js';

const { dir, cleanup } = tempDir();
after(cleanup);
const isPosix = process.platform !== 'win32';

/** A home directory with a ~/.postgresql holding the given files. */
function homeWith(name: string, files: Record<string, [string, number]>): string {
  const home = join(dir, name);
  const ssl = join(home, '.postgresql');
  mkdirSync(ssl, { recursive: true });
  for (const [file, [text, mode]] of Object.entries(files)) writeFile(ssl, file, text, mode);
  return home;
}

describe('TLS settings', () => {
  test('ssl: true is verify-full against the system trusted roots', async () => {
    const c = await resolveConfig(undefined, { ssl: true }, cleanEnv(join(dir, 'nohome')));
    assert.equal(c.sslmode, 'verify-full');
    assert.equal(c.sslVerify, 'full');
    assert.equal(c.ssl?.rejectUnauthorized, true);
    assert.equal(c.ssl?.minVersion, 'TLSv1.2');
    assert.deepEqual(c.ssl?.ALPNProtocols, ['postgresql']);
  });

  test('sslrootcert=system implies verify-full', async () => {
    const c = await resolveConfig('sslrootcert=system', undefined, cleanEnv(join(dir, 'nohome')));
    assert.equal(c.sslmode, 'verify-full');
    assert.equal(c.sslVerify, 'full');
  });

  test('an explicit root certificate is read, and makes require check the chain as libpq does', async () => {
    const ca = writeFile(dir, 'ca.pem', 'CA-PEM', 0o644);
    const c = await resolveConfig(`sslmode=require sslrootcert=${ca}`, undefined, cleanEnv(join(dir, 'nohome')));
    assert.equal(c.sslVerify, 'ca');
    assert.equal(c.ssl?.rejectUnauthorized, true);
    assert.equal(String(c.ssl?.ca), 'CA-PEM');
    assert.equal(c.ssl?.checkServerIdentity?.('any', {} as never), undefined);
  });

  test('the default ~/.postgresql files are used when present', async () => {
    const home = homeWith('fullhome', {
      'root.crt': ['ROOT', 0o644],
      'root.crl': ['CRL', 0o644],
      'postgresql.crt': ['CERT', 0o644],
      'postgresql.key': ['KEY', 0o600],
    });
    const c = await resolveConfig('sslmode=verify-ca', { sslpassword: 'pp' }, cleanEnv(home));
    assert.equal(String(c.ssl?.ca), 'ROOT');
    assert.deepEqual((c.ssl?.crl as Buffer[]).map(String), ['CRL']);
    assert.equal(String(c.ssl?.cert), 'CERT');
    assert.equal(String(c.ssl?.key), 'KEY');
    assert.equal(c.ssl?.passphrase, 'pp');
  });

  test('sslcertmode=disable sends no client certificate', async () => {
    const home = homeWith('certhome', { 'postgresql.crt': ['CERT', 0o644], 'postgresql.key': ['KEY', 0o600] });
    const c = await resolveConfig('sslmode=require sslcertmode=disable', undefined, cleanEnv(home));
    assert.equal(c.ssl?.cert, undefined);
  });

  test('a default certificate without its key is refused', async () => {
    const home = homeWith('nokey', { 'postgresql.crt': ['CERT', 0o644] });
    await assert.rejects(resolveConfig('sslmode=require', undefined, cleanEnv(home)), /private key .* does not exist/);
  });

  test('a private key others can read is refused', { skip: !isPosix }, async () => {
    const cert = writeFile(dir, 'c.pem', 'CERT', 0o644);
    const key = writeFile(dir, 'k.pem', 'KEY', 0o644);
    await assert.rejects(resolveConfig(`sslmode=require sslcert=${cert} sslkey=${key}`, undefined, cleanEnv(dir)), (err: unknown) => {
      assert.ok(err instanceof InterfaceError);
      assert.match(err.message, /group or world access/);
      assert.match(err.message, /chmod 0600/);
      return true;
    });
  });

  test('a root-owned key may be 0640, as libpq allows', { skip: !isPosix || process.getuid?.() !== 0 }, async () => {
    const cert = writeFile(dir, 'c2.pem', 'CERT', 0o644);
    const key = writeFile(dir, 'k2.pem', 'KEY', 0o640);
    const c = await resolveConfig(`sslmode=require sslcert=${cert} sslkey=${key}`, undefined, cleanEnv(dir));
    assert.equal(String(c.ssl?.key), 'KEY');
  });

  test('every file in sslcrldir is read as a revocation list', async () => {
    const crldir = join(dir, 'crls');
    mkdirSync(crldir);
    writeFile(crldir, 'b.pem', 'CRL-B', 0o644);
    writeFile(crldir, 'a.pem', 'CRL-A', 0o644);
    const c = await resolveConfig(`sslmode=require sslcrldir=${crldir}`, undefined, cleanEnv(join(dir, 'nohome')));
    assert.deepEqual((c.ssl?.crl as Buffer[]).map(String), ['CRL-A', 'CRL-B']);
  });

  test('a missing named file is an error naming the option', async () => {
    await assert.rejects(
      resolveConfig(`sslmode=verify-full sslrootcert=${join(dir, 'absent.pem')}`, undefined, cleanEnv(dir)),
      /Cannot read the sslrootcert file/,
    );
  });

  test('the caller TLS object wins and implies verify-full', async () => {
    const c = await resolveConfig(undefined, { ssl: { ca: 'MYCA', servername: 'override' } }, cleanEnv(join(dir, 'nohome')));
    assert.equal(c.sslmode, 'verify-full');
    assert.equal(c.ssl?.ca, 'MYCA');
    assert.equal(tlsOptionsForHost(c, { host: 'db.example', port: 5432, hostaddr: undefined })?.servername, 'override');
    const r = await resolveConfig(undefined, { ssl: { rejectUnauthorized: false } }, cleanEnv(join(dir, 'nohome')));
    assert.equal(r.sslmode, 'require');
    assert.equal(r.sslVerify, 'none');
  });

  test('TLS versions are checked as a range', async () => {
    const c = await resolveConfig('sslmode=require ssl_max_protocol_version=TLSv1.3', undefined, cleanEnv(dir));
    assert.equal(c.ssl?.maxVersion, 'TLSv1.3');
    await assert.rejects(
      resolveConfig('sslmode=require ssl_min_protocol_version=TLSv1.3 ssl_max_protocol_version=TLSv1.2', undefined, cleanEnv(dir)),
      /TLS version range/,
    );
  });
});

describe('tlsOptionsForHost', () => {
  test('adds SNI and a host name check for verify-full', async () => {
    const c = await resolveConfig(undefined, { ssl: true }, cleanEnv(join(dir, 'nohome')));
    const opts = tlsOptionsForHost(c, { host: 'db.example', port: 5432, hostaddr: '10.0.0.1' });
    assert.equal(opts?.servername, 'db.example');
    assert.equal(typeof opts?.checkServerIdentity, 'function');
    const wrong = opts?.checkServerIdentity?.('db.example', { subject: { CN: 'other.example' }, subjectaltname: 'DNS:other.example' } as never);
    assert.ok(wrong instanceof Error);
    const right = opts?.checkServerIdentity?.('db.example', { subject: { CN: 'db.example' }, subjectaltname: 'DNS:db.example' } as never);
    assert.equal(right, undefined);
  });

  test('sends no SNI for an IP address or when sslsni is off', async () => {
    const c = await resolveConfig(undefined, { ssl: true }, cleanEnv(join(dir, 'nohome')));
    assert.equal(tlsOptionsForHost(c, { host: '10.1.2.3', port: 5432, hostaddr: undefined })?.servername, undefined);
    const off = await resolveConfig('sslsni=0', { ssl: true }, cleanEnv(join(dir, 'nohome')));
    assert.equal(tlsOptionsForHost(off, { host: 'db.example', port: 5432, hostaddr: undefined })?.servername, undefined);
  });

  test('no TLS over a Unix socket or with sslmode disable', async () => {
    const c = await resolveConfig(undefined, { ssl: true }, cleanEnv(join(dir, 'nohome')));
    assert.equal(tlsOptionsForHost(c, { host: '/var/run/postgresql', port: 5432, hostaddr: undefined }), undefined);
    const d = await resolveConfig(undefined, { sslmode: 'disable' }, cleanEnv(dir));
    assert.equal(tlsOptionsForHost(d, { host: 'db', port: 5432, hostaddr: undefined }), undefined);
  });
});
