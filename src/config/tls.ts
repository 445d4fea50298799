/**
 * Turns libpq's ssl* settings into Node TLS options: reads the certificate
 * files once, decides what the server certificate is checked against, and
 * adds the per-host parts (SNI, host name check) when a host is chosen.
 *
 * Files, as libpq: sslrootcert (default ~/.postgresql/root.crt if present),
 * sslcert and sslkey (default ~/.postgresql/postgresql.crt and .key if the
 * certificate is present), sslcrl (default ~/.postgresql/root.crl if present)
 * and sslcrldir. `sslrootcert=system` means the system's trusted roots and demands
 * verify-full. As in libpq, verify-ca and verify-full without any root
 * certificate are refused rather than quietly trusting some default store;
 * the one exception is a caller's own `ssl` object without `ca`, which means
 * Node's trusted roots the way it does for any Node TLS client (verify-full
 * only: verify-ca against a public store would accept anybody's certificate).
 * Unlike libpq, an sslrootcert file that was named but cannot be read is an
 * error in every mode: silently not verifying would hide the mistake.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { checkServerIdentity } from 'node:tls';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import { InterfaceError } from '../errors/client.js';
import type { HostTarget, ResolvedConfig, SslMode, TlsProtocolVersion } from './options.js';
import { isSocketDirectory } from './options.js';
import { userSslDirectory } from './paths.js';

/** The ssl* settings after merging, before any file is read. */
export interface TlsSettings {
  readonly sslmode: SslMode;
  readonly sslrootcert?: string | undefined;
  readonly sslcert?: string | undefined;
  readonly sslkey?: string | undefined;
  readonly sslpassword?: string | undefined;
  readonly sslcrl?: string | undefined;
  readonly sslcrldir?: string | undefined;
  readonly sslcertmode?: 'disable' | 'allow' | undefined;
  readonly sslMinProtocolVersion?: TlsProtocolVersion | undefined;
  readonly sslMaxProtocolVersion?: TlsProtocolVersion | undefined;
  /** The caller's own TLS options; they win over derived ones. */
  readonly tls?: ConnectionOptions | undefined;
}

/** Base TLS options and the verification level they implement. */
export interface TlsResult {
  readonly ssl: ConnectionOptions | undefined;
  readonly verify: 'none' | 'ca' | 'full';
}

const VERSION_ORDER: readonly TlsProtocolVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Reads a file named by an option; failure is an InterfaceError naming the option. */
async function readNamed(path: string, option: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new InterfaceError(`Cannot read the ${option} file "${path}": ${(err as Error).message}. Check the ${option} setting.`, {
      cause: err,
    });
  }
}

/** Reads a default file if it exists. */
async function readDefault(path: string, option: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw new InterfaceError(`Cannot read the default ${option} file "${path}": ${(err as Error).message}.`, { cause: err });
  }
}

/**
 * A private key anyone else can read is refused, as libpq does: 0600 or less
 * for the owner, or 0640 or less when root owns it.
 */
async function readPrivateKey(path: string): Promise<Buffer> {
  const key = await readNamed(path, 'sslkey');
  if (process.platform !== 'win32') {
    const info = await stat(path);
    const forbidden = info.uid === 0 ? 0o037 : 0o077;
    if ((info.mode & forbidden) !== 0) {
      throw new InterfaceError(
        `Private key file "${path}" has group or world access; it must be u=rw (0600) or less if owned by you, ` +
          `or u=rw,g=r (0640) or less if owned by root. Fix it with chmod 0600 "${path}".`,
      );
    }
  }
  return key;
}

async function readCrlDirectory(dir: string): Promise<Buffer[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new InterfaceError(`Cannot read the sslcrldir directory "${dir}": ${(err as Error).message}.`, { cause: err });
  }
  const out: Buffer[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    if ((await stat(path)).isFile()) out.push(await readNamed(path, 'sslcrldir'));
  }
  return out;
}

/** Where operating systems keep their bundle of trusted roots, most common first. */
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Alpine, Arch
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/ssl/cert.pem', // macOS, BSD, Alpine
];

/**
 * The operating system's trusted roots, as libpq's sslrootcert=system reads
 * them through OpenSSL: SSL_CERT_FILE when set, else the system bundle.
 * Undefined (Node's own bundled roots) where no bundle file exists, as on
 * Windows.
 */
async function systemRoots(env: NodeJS.ProcessEnv): Promise<Buffer | undefined> {
  const fromEnv = env['SSL_CERT_FILE'];
  if (fromEnv !== undefined && fromEnv !== '') return readNamed(fromEnv, 'SSL_CERT_FILE');
  if (process.platform === 'win32') return undefined;
  for (const path of SYSTEM_BUNDLES) {
    const bundle = await readDefault(path, 'system root certificate');
    if (bundle !== undefined) return bundle;
  }
  return undefined;
}

/** Builds the base TLS options for a configuration, reading certificate files. */
export async function buildTls(s: TlsSettings, env: NodeJS.ProcessEnv): Promise<TlsResult> {
  if (s.sslmode === 'disable') return { ssl: undefined, verify: 'none' };
  const dir = userSslDirectory(env);
  const opts: ConnectionOptions = {};

  let haveRoot = s.tls?.ca !== undefined;
  if (s.sslrootcert === 'system') {
    if (s.sslmode !== 'verify-full') {
      throw new InterfaceError(`sslmode "${s.sslmode}" may not be used with sslrootcert=system; use sslmode=verify-full.`);
    }
    const roots = await systemRoots(env);
    if (roots !== undefined) opts.ca = roots;
  } else {
    const ca =
      s.sslrootcert !== undefined
        ? await readNamed(s.sslrootcert, 'sslrootcert')
        : await readDefault(join(dir, 'root.crt'), 'sslrootcert');
    if (ca !== undefined) {
      opts.ca = ca;
      haveRoot = true;
    }
  }

  const verifyMode = s.sslmode === 'verify-full' || s.sslmode === 'verify-ca';
  if (verifyMode && !haveRoot && s.sslrootcert !== 'system') {
    if (s.tls === undefined || s.sslmode === 'verify-ca') {
      const where = s.sslrootcert ?? join(dir, 'root.crt');
      throw new InterfaceError(
        `sslmode ${s.sslmode} needs a root certificate to check the server against, but the root certificate file "${where}" does not exist. ` +
          (s.sslmode === 'verify-ca'
            ? 'Set sslrootcert to the CA that signed the server certificate, or use verify-full with sslrootcert=system.'
            : 'Set sslrootcert to the CA that signed the server certificate, use sslrootcert=system for the trusted roots, or choose a weaker sslmode.'),
      );
    }
  }
  if (verifyMode && s.tls?.rejectUnauthorized === false) {
    throw new InterfaceError(
      `ssl.rejectUnauthorized is false but sslmode is ${s.sslmode}, which verifies the server. ` +
        'Choose one: drop rejectUnauthorized: false, or use sslmode require.',
    );
  }
  // An explicit rejectUnauthorized: false beats libpq's implicit upgrade to
  // verify-ca when a root certificate file happens to exist.
  const verify: TlsResult['verify'] =
    s.sslmode === 'verify-full'
      ? 'full'
      : s.sslmode === 'verify-ca' || (haveRoot && s.tls?.rejectUnauthorized !== false)
        ? 'ca'
        : 'none';

  const crls: Buffer[] = [];
  const crl =
    s.sslcrl !== undefined ? await readNamed(s.sslcrl, 'sslcrl') : await readDefault(join(dir, 'root.crl'), 'sslcrl');
  if (crl !== undefined) crls.push(crl);
  if (s.sslcrldir !== undefined) crls.push(...(await readCrlDirectory(s.sslcrldir)));
  if (crls.length > 0) opts.crl = crls;

  if (s.sslcertmode !== 'disable') {
    const cert =
      s.sslcert !== undefined
        ? await readNamed(s.sslcert, 'sslcert')
        : await readDefault(join(dir, 'postgresql.crt'), 'sslcert');
    if (cert !== undefined) {
      const keyPath = s.sslkey ?? join(dir, 'postgresql.key');
      if (s.sslkey === undefined) {
        try {
          await stat(keyPath);
        } catch {
          throw new InterfaceError(
            `A client certificate is configured but its private key "${keyPath}" does not exist. Set sslkey to the key file.`,
          );
        }
      }
      opts.cert = cert;
      opts.key = await readPrivateKey(keyPath);
      if (s.sslpassword !== undefined) opts.passphrase = s.sslpassword;
    }
  }

  const min = s.sslMinProtocolVersion ?? 'TLSv1.2';
  opts.minVersion = min;
  if (s.sslMaxProtocolVersion !== undefined) {
    if (VERSION_ORDER.indexOf(s.sslMaxProtocolVersion) < VERSION_ORDER.indexOf(min)) {
      throw new InterfaceError(
        `Invalid TLS version range: sslMaxProtocolVersion ${s.sslMaxProtocolVersion} is below sslMinProtocolVersion ${min}.`,
      );
    }
    opts.maxVersion = s.sslMaxProtocolVersion;
  }

  // PostgreSQL 17+ servers check ALPN on direct TLS; older servers ignore it.
  opts.ALPNProtocols = ['postgresql'];
  opts.rejectUnauthorized = verify !== 'none';
  if (verify === 'ca') opts.checkServerIdentity = () => undefined;

  return { ssl: { ...opts, ...s.tls }, verify };
}

/**
 * TLS options for one host: SNI (unless disabled, and never for an IP
 * address) and, for verify-full, a check of the certificate against the host
 * name the user gave (not hostaddr). Undefined when no TLS applies: TLS is
 * off, or the host is a Unix socket, which libpq never encrypts.
 */
export function tlsOptionsForHost(config: ResolvedConfig, target: HostTarget): ConnectionOptions | undefined {
  if (config.ssl === undefined || isSocketDirectory(target.host)) return undefined;
  const opts: ConnectionOptions = { ...config.ssl };
  const host = target.host;
  if (config.sslsni && opts.servername === undefined && isIP(host) === 0) {
    opts.servername = host.endsWith('.') ? host.slice(0, -1) : host;
  }
  if (config.sslVerify === 'full' && opts.checkServerIdentity === undefined) {
    opts.checkServerIdentity = (_name: string, cert: PeerCertificate) => checkServerIdentity(host, cert);
  }
  return opts;
}
