/**
 * The text of a test cluster's postgresql.conf additions and pg_hba.conf, and
 * the stored form of the superuser's password. Pure functions: the cluster
 * writes what these return.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** Client authentication method for the default pg_hba.conf lines. */
export type AuthMethod = 'trust' | 'md5' | 'scram-sha-256';

/** Quotes a value for postgresql.conf (single quotes doubled). */
export function confQuote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Settings every test cluster gets: local-only, fast, and logging to stderr. */
export function baseConfLines(opts: { port: number; socketDir: string; authMethod: AuthMethod }): string[] {
  return [
    `listen_addresses = '127.0.0.1'`,
    `port = ${opts.port}`,
    `unix_socket_directories = ${confQuote(opts.socketDir)}`,
    // Durability buys nothing in a throwaway cluster; these make it several times faster.
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    'max_connections = 100',
    // stderr is the log file the harness opened, so logTail() and start errors can show it.
    'logging_collector = off',
    `log_destination = 'stderr'`,
    `log_line_prefix = '%m [%p] '`,
    `password_encryption = ${opts.authMethod === 'md5' ? "'md5'" : "'scram-sha-256'"}`,
  ];
}

/**
 * postgresql.conf: initdb's file, then the harness's block, then the caller's
 * lines. The last occurrence of a setting wins, so the caller can override
 * anything.
 */
export function renderPostgresqlConf(original: string, base: readonly string[], extra: readonly string[]): string {
  const marker = '\n# ---- pgjet TempCluster settings (later lines win) ----\n';
  const head = original.includes(marker) ? original.slice(0, original.indexOf(marker)) : original.replace(/\n*$/, '\n');
  return head + marker + [...base, ...extra].join('\n') + '\n';
}

/**
 * pg_hba.conf: the caller's lines first (the first matching line wins), then
 * local and loopback lines for every database and for replication.
 */
export function renderHbaConf(custom: readonly string[], method: AuthMethod): string {
  const defaults = [
    `local   all          all                 ${method}`,
    `host    all          all   127.0.0.1/32  ${method}`,
    `host    all          all   ::1/128       ${method}`,
    `local   replication  all                 ${method}`,
    `host    replication  all   127.0.0.1/32  ${method}`,
    `host    replication  all   ::1/128       ${method}`,
  ];
  return ['# pgjet TempCluster: custom lines first, defaults after', ...custom, ...defaults].join('\n') + '\n';
}

/** The `md5...` form PostgreSQL stores for an MD5 password. */
export function md5PasswordHash(user: string, password: string): string {
  return 'md5' + createHash('md5').update(password + user, 'utf8').digest('hex');
}

/** A SCRAM-SHA-256 verifier in PostgreSQL's stored format (RFC 5802, RFC 7677). */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * What to put in initdb's --pwfile. PostgreSQL stores an already hashed
 * password as given, which lets the stored form match the auth method on
 * every server version, whatever its default password_encryption. A
 * non-ASCII password goes as plain text for SCRAM, because the server's
 * SASLprep normalisation must apply to it.
 */
export function pwfileContent(user: string, password: string, method: AuthMethod, major: number): string {
  if (method === 'md5') return md5PasswordHash(user, password);
  const ascii = /^[\x20-\x7e]*$/.test(password);
  if (!ascii && major >= 14) return password;
  return scramVerifier(ascii ? password : password.normalize('NFKC'));
}
