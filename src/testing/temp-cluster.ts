/**
 * A throwaway PostgreSQL cluster for tests: initdb in a fresh temporary
 * directory, a free loopback port, settings tuned for speed, and cleanup
 * that happens even when the test process is killed.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { appendFile, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InterfaceError, PgjetError, TimeoutError } from '../errors/client.js';
import { CleanupGuard } from './cleanup-guard.js';
import type { AuthMethod } from './cluster-config.js';
import { baseConfLines, pwfileContent, renderHbaConf, renderPostgresqlConf } from './cluster-config.js';
import type { ExecResult, RunAs } from './exec.js';
import { execProgram, serverEnv } from './exec.js';
import type { PostgresVersion } from './find-binaries.js';
import { findPostgresBinaries } from './find-binaries.js';
import { freePort, tcpAccepts } from './ports.js';
import { isRoot, unprivilegedUser, unreachableDir } from './run-as.js';
import { fileSize, LogFollower, readFrom, tailLines } from './server-log.js';

export type { AuthMethod } from './cluster-config.js';

/** Options for {@link TempCluster.start}. */
export interface TempClusterOptions {
  /** Directory with initdb, pg_ctl and postgres; default: {@link findPostgresBinaries}. */
  binDir?: string;
  /** Lines appended to postgresql.conf after the harness's own; the last setting wins. */
  postgresqlConf?: string[];
  /** pg_hba.conf lines placed before the default lines, so they take precedence. */
  pgHbaConf?: string[];
  /** Superuser name (default 'postgres'). */
  user?: string;
  /** Superuser password; stored in the form `authMethod` needs. */
  password?: string;
  /** Method of the default pg_hba.conf lines: 'scram-sha-256' when a password is given, else 'trust'. */
  authMethod?: AuthMethod;
  /** TCP port; default: a free one picked at start. */
  port?: number;
  /** initdb --locale (default 'C', so sorting does not depend on the machine). */
  locale?: string;
  /** Extra initdb arguments, e.g. ['--data-checksums']. */
  initdbArgs?: string[];
  /** Receives each line of initdb's output and of the server log. */
  log?: (line: string) => void;
  /** How long to wait for the server to accept connections (default 60 s). */
  startTimeoutMs?: number;
}

/** How to shut the server down (PostgreSQL's names; see pg_ctl stop -m). */
export type StopMode = 'smart' | 'fast' | 'immediate';

/** Options for {@link TempCluster.stop} and {@link TempCluster.restart}. */
export interface StopOptions {
  /** Default 'fast': roll back open transactions and disconnect clients. */
  mode?: StopMode;
  /** Give up after this long (default 60 s; 'immediate' escalates to SIGKILL instead). */
  timeoutMs?: number;
}

/** Options for {@link TempCluster.setConf} and {@link TempCluster.addHbaLines}. */
export interface ReloadOptions {
  /** Reload the running server afterwards (default true). */
  reload?: boolean;
}

/** Where and as whom to connect to a TempCluster. */
export interface ClusterConnectOptions {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

const STOP_SIGNAL: Record<StopMode, NodeJS.Signals> = { smart: 'SIGTERM', fast: 'SIGINT', immediate: 'SIGQUIT' };
const BIND_FAILURE = /could not bind|Address already in use|could not create any TCP\/IP sockets/i;
const STALE_CRASH = /pre-existing shared memory block|lock file ".*" already exists/i;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function validate(options: TempClusterOptions): void {
  const user = options.user ?? 'postgres';
  if (user === '' || user.includes('\0') || user.length > 63) {
    throw new InterfaceError(`TempCluster: user ${JSON.stringify(user)} is not a valid role name (1 to 63 characters, no NUL)`);
  }
  if (options.password !== undefined && /[\r\n\0]/.test(options.password)) {
    throw new InterfaceError('TempCluster: the password must not contain a line break or NUL (initdb reads it from one line)');
  }
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port > 0 && options.port < 65536)) {
    throw new InterfaceError(`TempCluster: port ${options.port} is not a TCP port (1 to 65535); omit it to pick a free one`);
  }
  if (options.authMethod !== undefined && options.authMethod !== 'trust' && options.password === undefined) {
    throw new InterfaceError(`TempCluster: authMethod '${options.authMethod}' needs a password; pass { password }`);
  }
}

/** Internal construction parameters; users call {@link TempCluster.start}. */
interface ClusterSetup {
  rootDir: string;
  binDir: string;
  version: PostgresVersion;
  runAs: RunAs | undefined;
  options: TempClusterOptions;
  port: number;
}

/**
 * A PostgreSQL server in a temporary directory, listening on 127.0.0.1 and a
 * Unix socket of its own. Create one with {@link TempCluster.start}; always
 * {@link destroy} it (or `await using`). If the process dies first, an exit
 * handler and a watchdog process stop the server and delete the directory.
 */
export class TempCluster implements AsyncDisposable {
  /** The server listens on this loopback address only. */
  readonly host = '127.0.0.1';
  /** The database initdb creates. */
  readonly database = 'postgres';
  /** Superuser name. */
  readonly user: string;
  /** Superuser password, when one was set. */
  readonly password: string | undefined;
  /** Directory holding the Unix socket (the cluster's temporary directory). */
  readonly socketDir: string;
  /** PGDATA. */
  readonly dataDir: string;
  /** Where initdb and postgres came from. */
  readonly binDir: string;
  /** Server version. */
  readonly version: PostgresVersion;
  /** The server log (its stderr). */
  readonly logFile: string;
  /** Method of the default pg_hba.conf lines. */
  readonly authMethod: AuthMethod;

  private currentPort: number;
  private readonly rootDir: string;
  private readonly runAs: RunAs | undefined;
  private readonly options: TempClusterOptions;
  private readonly guard: CleanupGuard;
  private follower: LogFollower | undefined;
  private child: ChildProcess | undefined;
  private childExit: Promise<void> | undefined;
  private originalConf = '';
  private readonly extraConf: string[];
  private hbaLines: string[];
  private destroyed = false;
  private teardownDone: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(setup: ClusterSetup) {
    this.rootDir = setup.rootDir;
    this.socketDir = setup.rootDir;
    this.dataDir = join(setup.rootDir, 'data');
    this.logFile = join(setup.rootDir, 'server.log');
    this.binDir = setup.binDir;
    this.version = setup.version;
    this.runAs = setup.runAs;
    this.options = setup.options;
    this.currentPort = setup.port;
    this.user = setup.options.user ?? 'postgres';
    this.password = setup.options.password;
    this.authMethod = setup.options.authMethod ?? (this.password === undefined ? 'trust' : 'scram-sha-256');
    this.extraConf = [...(setup.options.postgresqlConf ?? [])];
    this.hbaLines = [...(setup.options.pgHbaConf ?? [])];
    this.guard = new CleanupGuard(this.rootDir, this.dataDir);
  }

  /** Creates a cluster with initdb and starts it; resolves once it accepts connections. */
  static async start(options: TempClusterOptions = {}): Promise<TempCluster> {
    validate(options);
    const bins = await findPostgresBinaries({ pgbin: options.binDir });
    const runAs = isRoot() ? await unprivilegedUser() : undefined;
    if (runAs) {
      const blocked = await unreachableDir(bins.binDir, runAs);
      if (blocked !== undefined) {
        throw new InterfaceError(
          `PostgreSQL must run as the unprivileged user '${runAs.name}' here (we are root), but it cannot reach ${bins.binDir}: ` +
            `${blocked} is not searchable by that user. Run \`chmod o+x ${blocked}\`, or install the binaries elsewhere and set PGBIN.`,
        );
      }
    }
    const rootDir = await mkdtemp(join(tmpdir(), 'pgjet-'));
    const cluster = new TempCluster({
      rootDir,
      binDir: bins.binDir,
      version: bins.version,
      runAs,
      options,
      port: options.port ?? (await freePort()),
    });
    try {
      await cluster.init();
      await cluster.launch();
    } catch (e) {
      await cluster.destroy().catch(() => undefined);
      throw e;
    }
    return cluster;
  }

  /** TCP port (fixed for the cluster's life, across restarts). */
  get port(): number {
    return this.currentPort;
  }

  /** True while the server process runs. */
  get running(): boolean {
    return this.child !== undefined;
  }

  /** Pid of the postmaster while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** `postgres://user[:password]@127.0.0.1:port/postgres` */
  get dsn(): string {
    const auth = encodeURIComponent(this.user) + (this.password === undefined ? '' : `:${encodeURIComponent(this.password)}`);
    return `postgres://${auth}@${this.host}:${this.currentPort}/${this.database}`;
  }

  /** Connection parameters for this cluster as its superuser. */
  connectOptions(): ClusterConnectOptions {
    const o: ClusterConnectOptions = { host: this.host, port: this.currentPort, user: this.user, database: this.database };
    if (this.password !== undefined) o.password = this.password;
    return o;
  }

  /** Starts the server again after {@link stop} or {@link kill}; does nothing if it runs. */
  start(): Promise<void> {
    return this.serialize(async () => {
      this.assertUsable('start');
      if (!this.child) await this.launch();
    });
  }

  /** Stops the server (default mode 'fast'); the data stays for a later {@link start}. */
  stop(options: StopOptions = {}): Promise<void> {
    return this.serialize(() => {
      this.assertUsable('stop');
      return this.shutdown(options);
    });
  }

  /** Stops and starts the server on the same port with the same data. */
  restart(options: StopOptions = {}): Promise<void> {
    return this.serialize(async () => {
      this.assertUsable('restart');
      await this.shutdown(options);
      await this.launch();
    });
  }

  /** Kills the postmaster with SIGKILL, as a crash would; {@link start} recovers it. */
  kill(): Promise<void> {
    return this.serialize(async () => {
      this.assertUsable('kill');
      const child = this.child;
      if (!child) return;
      child.kill('SIGKILL');
      await this.waitExit(10_000);
    });
  }

  /**
   * Makes the server re-read postgresql.conf and pg_hba.conf (SIGHUP), and
   * waits briefly for the log to confirm it. Settings that need a restart
   * (port, max_connections, shared_buffers ...) need {@link restart}.
   */
  reload(): Promise<void> {
    return this.serialize(() => {
      this.assertUsable('reload');
      return this.signalReload();
    });
  }

  /** Appends postgresql.conf lines (they override earlier ones) and reloads. */
  setConf(lines: string[], options: ReloadOptions = {}): Promise<void> {
    return this.serialize(async () => {
      this.assertUsable('setConf');
      this.extraConf.push(...lines);
      await this.writeConf();
      if (options.reload !== false) await this.signalReload();
    });
  }

  /** Puts pg_hba.conf lines above all earlier ones (the first match wins) and reloads. */
  addHbaLines(lines: string[], options: ReloadOptions = {}): Promise<void> {
    return this.serialize(async () => {
      this.assertUsable('addHbaLines');
      this.hbaLines = [...lines, ...this.hbaLines];
      await this.writeHba();
      if (options.reload !== false) await this.signalReload();
    });
  }

  /**
   * A setting's value as the configuration files give it (`postgres -C`);
   * after {@link setConf} without a restart this may differ from what the
   * running server uses for settings that need a restart.
   */
  async readSetting(name: string): Promise<string> {
    this.assertUsable('readSetting');
    if (!/^[A-Za-z_][\w.]*$/.test(name)) throw new InterfaceError(`readSetting: ${JSON.stringify(name)} is not a setting name`);
    const r = await execProgram(join(this.binDir, 'postgres'), {
      args: ['-D', this.dataDir, '-C', name],
      runAs: this.runAs,
      cwd: this.rootDir,
      env: serverEnv(),
      timeoutMs: 30_000,
    });
    if (r.code !== 0) throw new PgjetError(`postgres -C ${name} failed: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout.trim();
  }

  /** The last `n` lines of the server log. */
  logTail(n = 50): string {
    return tailLines(this.logFile, n);
  }

  /** Stops the server at once and deletes the cluster's directory. Safe to call twice. */
  destroy(): Promise<void> {
    this.destroyed = true;
    // Jump the queue: a destroy must not wait behind a start that may hang.
    this.teardownDone ??= this.teardown();
    return this.teardownDone;
  }

  /** Same as {@link destroy}, for `await using cluster = await TempCluster.start()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.destroy();
  }

  private async teardown(): Promise<void> {
    if (this.child) {
      this.child.kill('SIGQUIT');
      if (!(await this.waitExit(5_000))) {
        this.child?.kill('SIGKILL');
        await this.waitExit(5_000);
      }
    }
    this.follower?.stop();
    this.follower = undefined;
    await rm(this.rootDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    this.guard.release();
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertUsable(what: string): void {
    if (this.destroyed) throw new InterfaceError(`TempCluster.${what}(): the cluster was destroyed; start a new one`);
  }

  private async own(path: string): Promise<void> {
    if (this.runAs) await chown(path, this.runAs.uid, this.runAs.gid);
  }

  private emit(text: string, prefix: string): void {
    const log = this.options.log;
    if (!log) return;
    for (const line of text.split('\n')) {
      if (line !== '') log(prefix + line);
    }
  }

  private async init(): Promise<void> {
    if (this.runAs) {
      await this.own(this.rootDir);
      const blocked = await unreachableDir(this.rootDir, this.runAs);
      if (blocked !== undefined) {
        throw new InterfaceError(
          `The temporary directory ${this.rootDir} is not reachable by '${this.runAs.name}', who runs PostgreSQL because we are root ` +
            `(${blocked} is not searchable). Set TMPDIR to a directory every user can reach, such as /tmp.`,
        );
      }
    }
    await writeFile(this.logFile, '', { mode: 0o644 });
    await this.own(this.logFile);

    const args = ['-D', this.dataDir, '-U', this.user, '-E', 'UTF8', `--locale=${this.options.locale ?? 'C'}`, '--auth=trust', '--no-sync'];
    const pwfile = join(this.rootDir, 'pwfile');
    if (this.password !== undefined) {
      await writeFile(pwfile, pwfileContent(this.user, this.password, this.authMethod, this.version.major) + '\n', { mode: 0o600 });
      await this.own(pwfile);
      args.push(`--pwfile=${pwfile}`);
    }
    args.push(...(this.options.initdbArgs ?? []));

    let r: ExecResult;
    try {
      r = await execProgram(join(this.binDir, 'initdb'), {
        args,
        runAs: this.runAs,
        cwd: this.rootDir,
        env: serverEnv(),
        onSpawn: (pid) => this.guard.setPid(pid),
      });
    } catch (e) {
      throw new PgjetError(`could not run initdb from ${this.binDir}: ${(e as Error).message}`, { cause: e });
    } finally {
      this.guard.setPid(undefined);
      await rm(pwfile, { force: true });
    }
    const output = (r.stdout + r.stderr).trim();
    await appendFile(this.logFile, output === '' ? '' : `initdb: ${output.split('\n').join('\ninitdb: ')}\n`);
    this.emit(output, 'initdb: ');
    if (r.code !== 0) {
      throw new PgjetError(
        `initdb failed (${r.code === null ? `signal ${r.signal}` : `exit ${r.code}`}) for PostgreSQL ${this.version.major} in ${this.binDir}:\n` +
          output.split('\n').slice(-30).join('\n'),
      );
    }
    if (this.options.log) this.follower = new LogFollower(this.logFile, this.options.log);
    this.originalConf = await readFile(join(this.dataDir, 'postgresql.conf'), 'utf8');
    await this.writeConf();
    await this.writeHba();
  }

  private async writeConf(): Promise<void> {
    const base = baseConfLines({ port: this.currentPort, socketDir: this.socketDir, authMethod: this.authMethod });
    await writeFile(join(this.dataDir, 'postgresql.conf'), renderPostgresqlConf(this.originalConf, base, this.extraConf));
  }

  private async writeHba(): Promise<void> {
    await writeFile(join(this.dataDir, 'pg_hba.conf'), renderHbaConf(this.hbaLines, this.authMethod));
  }

  /** Starts the postmaster and waits until it accepts TCP connections. */
  private async launch(): Promise<void> {
    const timeoutMs = this.options.startTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const logStart = fileSize(this.logFile);
      const child = await this.spawnPostmaster();
      const outcome = await this.waitReady(child, deadline);
      if (outcome === 'ready') return;
      const log = readFrom(this.logFile, logStart);
      if (outcome === 'timeout') {
        child.kill('SIGKILL');
        await this.waitExit(5_000);
        throw new TimeoutError(
          `PostgreSQL ${this.version.major} did not accept connections on port ${this.currentPort} within ${timeoutMs} ms ` +
            `(data directory ${this.dataDir}). Raise startTimeoutMs if the machine is slow. Server log:\n${this.logTail(30)}`,
        );
      }
      if (BIND_FAILURE.test(log) && this.options.port === undefined && attempt < 5) {
        // Another process took the port between our probe and the bind: pick another.
        this.currentPort = await freePort();
        await this.writeConf();
        continue;
      }
      if (STALE_CRASH.test(log) && Date.now() < deadline) {
        // Backends of a killed postmaster are still exiting and hold its shared memory.
        await sleep(200);
        continue;
      }
      throw new PgjetError(
        `PostgreSQL ${this.version.major} (${this.binDir}) exited during start on port ${this.currentPort} ` +
          `(data directory ${this.dataDir}). Server log:\n${this.logTail(30)}`,
      );
    }
  }

  private async spawnPostmaster(): Promise<ChildProcess> {
    const fd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(join(this.binDir, 'postgres'), ['-D', this.dataDir], {
        // Own session: a Ctrl-C meant for the test runner must not reach the server first.
        detached: true,
        stdio: ['ignore', fd, fd],
        cwd: this.rootDir,
        env: serverEnv(),
        ...(this.runAs ? { uid: this.runAs.uid, gid: this.runAs.gid } : {}),
      });
    } finally {
      closeSync(fd);
    }
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new PgjetError(`could not start ${join(this.binDir, 'postgres')}: ${e.message}`, { cause: e })));
    });
    // The test process may exit without destroy(); the exit handler then stops the server.
    child.unref();
    this.child = child;
    this.childExit = new Promise((resolve) => {
      child.once('exit', () => {
        if (this.child === child) {
          this.child = undefined;
          this.guard.setPid(undefined);
        }
        resolve();
      });
    });
    this.guard.setPid(child.pid);
    return child;
  }

  private async waitReady(child: ChildProcess, deadline: number): Promise<'ready' | 'exited' | 'timeout'> {
    const pidFile = join(this.dataDir, 'postmaster.pid');
    while (Date.now() < deadline) {
      if (this.child !== child) return 'exited';
      let lines: string[] = [];
      try {
        lines = (await readFile(pidFile, 'utf8')).split('\n');
      } catch {
        // not written yet
      }
      const ours = lines[0]?.trim() === String(child.pid);
      const status = lines[7]?.trim();
      // Line 8 of postmaster.pid is the postmaster's own status (PostgreSQL 10+).
      if (ours && (status === 'ready' || status === 'standby') && (await tcpAccepts(this.currentPort))) {
        return this.child === child ? 'ready' : 'exited';
      }
      await sleep(50);
    }
    return this.child === child ? 'timeout' : 'exited';
  }

  /** Resolves true once the current postmaster has exited, false on timeout. */
  private async waitExit(timeoutMs: number): Promise<boolean> {
    const exit = this.childExit;
    if (!this.child || !exit) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([exit.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async shutdown(options: StopOptions): Promise<void> {
    const child = this.child;
    if (!child) return;
    const mode = options.mode ?? 'fast';
    if (!(mode in STOP_SIGNAL)) throw new InterfaceError(`stop: mode must be 'smart', 'fast' or 'immediate', not ${String(mode)}`);
    const timeoutMs = options.timeoutMs ?? (mode === 'immediate' ? 10_000 : 60_000);
    child.kill(STOP_SIGNAL[mode]);
    if (await this.waitExit(timeoutMs)) return;
    if (mode === 'immediate') {
      child.kill('SIGKILL');
      if (await this.waitExit(5_000)) return;
    }
    throw new TimeoutError(
      `PostgreSQL did not stop within ${timeoutMs} ms (mode '${mode}'` +
        (mode === 'smart' ? ', which waits for every client to disconnect' : '') +
        `). Try stop({ mode: 'immediate' }). Server log:\n${this.logTail(20)}`,
    );
  }

  private async signalReload(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const from = fileSize(this.logFile);
    child.kill('SIGHUP');
    // Best effort: the postmaster logs this before it passes the signal on.
    for (let i = 0; i < 40; i++) {
      if (readFrom(this.logFile, from).includes('received SIGHUP')) return;
      await sleep(50);
    }
  }
}
