/**
 * Test certificates made with the openssl command: a CA, a server
 * certificate it signs (DNS SAN `localhost` only, signed with SHA-384 so
 * channel binding must pick the hash from the signature algorithm), a client
 * certificate for the `cert` method (also as an encrypted key), and a second,
 * unrelated CA. Also the TempCluster setup that turns TLS on with them.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { connectWithConfig, resolveConfig } from '../../src/index.js';
import type { Connection, ConnectOptions } from '../../src/index.js';
import type { TempCluster } from '../../src/testing/index.js';

/** Paths of the generated files. */
export interface TestCerts {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Signed by `ca` for the role named when the certificates were made. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** clientKey encrypted with `clientKeyPassword`. */
  readonly clientKeyEncrypted: string;
  readonly clientKeyPassword: string;
  /** A CA that signed nothing used here. */
  readonly otherCa: string;
  /** A CRL from `ca` that revokes nothing. */
  readonly crlEmpty: string;
  /** A CRL from `ca` that revokes the server certificate. */
  readonly crlRevokingServer: string;
  /** A directory holding only crlRevokingServer. */
  readonly crlDir: string;
  /** A home directory with no ~/.postgresql, so no default file is picked up. */
  readonly emptyHome: string;
  readonly cleanup: () => void;
}

/** Whether the openssl command can be run. */
export function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Why the TLS tests cannot run here, or undefined when they can. In CI a
 * missing openssl is a failure, not a skip: a silently skipped security
 * suite would look green.
 */
export function opensslSkipReason(): string | undefined {
  if (haveOpenssl()) return undefined;
  if (process.env['CI']) {
    throw new Error('openssl is not installed, so the TLS security tests cannot make their certificates; install openssl (apt-get install openssl)');
  }
  return 'openssl is not installed: the TLS tests need it to make test certificates';
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr?.toString() ?? err.message}`);
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', ...EC, '-days', '3', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
}

function makeSigned(dir: string, name: string, cn: string, ext: string, digest: string): void {
  writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
  openssl(['req', '-new', ...EC, '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3',
    `-${digest}`, '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
  chmodSync(join(dir, `${name}.key`), 0o600);
}

/** Makes the certificates in a new temporary directory. */
export function makeCerts(clientUser: string): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'pgjet-certs-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  makeSigned(dir, 'server', 'localhost', 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth', 'sha384');
  makeSigned(dir, 'client', clientUser, 'extendedKeyUsage=clientAuth', 'sha256');
  const clientKeyPassword = 'key pässword';
  openssl(['pkey', '-in', 'client.key', '-aes256', '-passout', `pass:${clientKeyPassword}`, '-out', 'client-enc.key'], dir);
  chmodSync(join(dir, 'client-enc.key'), 0o600);
  // A minimal CA database for `openssl ca`, which makes the revocation lists.
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'crlnumber'), '01\n');
  writeFileSync(join(dir, 'ca.cnf'), '[ca]\ndefault_ca = test\n[test]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 3\n');
  const ca = ['-config', 'ca.cnf', '-keyfile', 'ca.key', '-cert', 'ca.crt'];
  openssl(['ca', ...ca, '-gencrl', '-out', 'crl-empty.pem'], dir);
  openssl(['ca', ...ca, '-revoke', 'server.crt'], dir);
  openssl(['ca', ...ca, '-gencrl', '-out', 'crl-revoked.pem'], dir);
  const crlDir = join(dir, 'crls');
  mkdirSync(crlDir);
  copyFileSync(join(dir, 'crl-revoked.pem'), join(crlDir, 'revoked.pem'));
  const emptyHome = join(dir, 'home');
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
    clientKeyEncrypted: join(dir, 'client-enc.key'),
    clientKeyPassword,
    otherCa: join(dir, 'other-ca.crt'),
    crlEmpty: join(dir, 'crl-empty.pem'),
    crlRevokingServer: join(dir, 'crl-revoked.pem'),
    crlDir,
    emptyHome,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Copies the server certificate, key and CA into the cluster's data
 * directory (owned by whoever runs the server) and turns TLS on. Restarts
 * the cluster.
 */
export async function enableTls(cluster: TempCluster, certs: TestCerts, extraConf: string[] = []): Promise<void> {
  const owner = statSync(cluster.dataDir);
  for (const [from, to] of [[certs.serverCert, 'server.crt'], [certs.serverKey, 'server.key'], [certs.ca, 'root.crt']] as const) {
    const path = join(cluster.dataDir, to);
    copyFileSync(from, path);
    chownSync(path, owner.uid, owner.gid);
    chmodSync(path, 0o600);
  }
  await cluster.setConf(
    ['ssl = on', "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'", "ssl_ca_file = 'root.crt'", ...extraConf],
    { reload: false },
  );
  await cluster.restart();
}

/** Skips the test (or the whole file, from `before`) when the server is older than `major`. */
export function requireVersion(t: TestContext, cluster: TempCluster, major: number, what: string): boolean {
  if (cluster.version.major >= major) return true;
  t.skip(`${what} needs PostgreSQL ${major}+, this server is ${cluster.version.major}`);
  return false;
}

/**
 * Connect to `cluster` as its superuser through `localhost` (so certificates
 * are checked against a host name) at 127.0.0.1, in a clean environment: no
 * ~/.postgresql, no service file, no .pgpass, no PG* variables. `o` wins.
 */
export async function openClean(cluster: TempCluster, certs: TestCerts, o: ConnectOptions = {}): Promise<Connection> {
  const env = { HOME: certs.emptyHome, PGSYSCONFDIR: certs.emptyHome };
  const config = await resolveConfig(
    undefined,
    {
      host: 'localhost',
      hostaddr: '127.0.0.1',
      port: cluster.port,
      user: cluster.user,
      database: 'postgres',
      passfile: '/nonexistent',
      connectTimeout: 10_000,
      ...o,
    },
    env,
  );
  return connectWithConfig(config);
}
