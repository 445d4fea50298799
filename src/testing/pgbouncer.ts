/**
 * PgBouncer in front of a test server, for the tests that must pass behind a
 * transaction-pooling proxy (where a named prepared statement made in one
 * transaction is gone in the next). Uses the `pgbouncer` binary of the
 * machine (Debian: `apt-get install pgbouncer`).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InterfaceError, PgjetError, TimeoutError } from '../errors/client.js';
import { freePort, tcpAccepts } from './ports.js';
import { isRoot, unprivilegedUser } from './run-as.js';

/** Options for {@link PgBouncer.start}. */
export interface PgBouncerOptions {
  /** The server PgBouncer forwards to. */
  targetHost: string;
  targetPort: number;
  /** The role clients log in as (trust authentication end to end). Default 'postgres'. */
  user?: string;
  /** PgBouncer's pool_mode. Default 'transaction', the hard case for prepared statements. */
  poolMode?: 'session' | 'transaction' | 'statement';
  /** Server connections per database/user pair. Default 3: fewer than clients, so they are shared. */
  poolSize?: number;
  /** Path of the pgbouncer binary; default: PGBOUNCER, then the usual install paths and PATH. */
  binary?: string;
}

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer', '/usr/local/sbin/pgbouncer'];

/** Where pgbouncer is installed, or undefined. */
export function findPgBouncer(): string | undefined {
  const fromEnv = process.env['PGBOUNCER'];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  for (const c of CANDIDATES) if (existsSync(c)) return c;
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir && existsSync(path.join(dir, 'pgbouncer'))) return path.join(dir, 'pgbouncer');
  }
  return undefined;
}

/** A running PgBouncer. */
export class PgBouncer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    /** 127.0.0.1 */
    readonly host: string,
    readonly port: number,
    readonly user: string,
    private readonly onExit: () => void,
  ) {}

  /** Start PgBouncer on a free port of 127.0.0.1 and wait until it accepts connections. */
  static async start(options: PgBouncerOptions): Promise<PgBouncer> {
    const binary = options.binary ?? findPgBouncer();
    if (binary === undefined) {
      throw new InterfaceError(
        'pgbouncer is not installed: install it (Debian/Ubuntu: apt-get install pgbouncer) or set PGBOUNCER to its path',
      );
    }
    const user = options.user ?? 'postgres';
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pgjet-pgbouncer-'));
    const port = await freePort();
    const ini = [
      '[databases]',
      `* = host=${options.targetHost} port=${options.targetPort}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      `pool_mode = ${options.poolMode ?? 'transaction'}`,
      `default_pool_size = ${options.poolSize ?? 3}`,
      'max_client_conn = 500',
      // Startup parameters PgBouncer does not track itself.
      'ignore_startup_parameters = extra_float_digits,options,search_path',
      `logfile = ${path.join(dir, 'pgbouncer.log')}`,
      `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
      `admin_users = ${user}`,
      '',
    ].join('\n');
    await writeFile(path.join(dir, 'pgbouncer.ini'), ini);
    await writeFile(path.join(dir, 'userlist.txt'), `"${user}" ""\n`);
    let runAs: { uid: number; gid: number } | undefined;
    if (isRoot()) {
      // PgBouncer refuses to run as root.
      const u = await unprivilegedUser();
      runAs = { uid: u.uid, gid: u.gid };
      for (const f of ['', 'pgbouncer.ini', 'userlist.txt']) await chown(path.join(dir, f), u.uid, u.gid);
    }
    const child = spawn(binary, [path.join(dir, 'pgbouncer.ini')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(runAs ?? {}),
    });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    const onExit = () => {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    };
    process.once('exit', onExit);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) {
        process.removeListener('exit', onExit);
        const log = await readFile(path.join(dir, 'pgbouncer.log'), 'utf8').catch(() => '');
        await rm(dir, { recursive: true, force: true });
        throw new PgjetError(`pgbouncer exited at start (code ${child.exitCode}):\n${stderr}\n${log.split('\n').slice(-20).join('\n')}`);
      }
      if (await tcpAccepts(port)) break;
      if (Date.now() > deadline) {
        onExit();
        process.removeListener('exit', onExit);
        throw new TimeoutError(`pgbouncer did not accept connections on port ${port} within 15 s:\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return new PgBouncer(child, dir, '127.0.0.1', port, user, onExit);
  }

  /** A URL to connect through PgBouncer to `database`. */
  dsn(database = 'postgres'): string {
    return `postgres://${encodeURIComponent(this.user)}@${this.host}:${this.port}/${encodeURIComponent(database)}?sslmode=disable`;
  }

  /** The end of PgBouncer's log, for failure messages. */
  async logTail(lines = 40): Promise<string> {
    const log = await readFile(path.join(this.dir, 'pgbouncer.log'), 'utf8').catch(() => '');
    return log.split('\n').slice(-lines).join('\n');
  }

  /** Stop PgBouncer and remove its directory. */
  async stop(): Promise<void> {
    process.removeListener('exit', this.onExit);
    if (this.child.exitCode === null) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.child.kill('SIGINT');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
