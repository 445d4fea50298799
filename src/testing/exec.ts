/**
 * Running a PostgreSQL program to completion and collecting its output. The
 * harness needs this for `postgres --version`, `pg_config`, `initdb` and
 * `postgres -C`; each may have to run as another OS user when we are root.
 */
import { spawn } from 'node:child_process';

/** The identity a child process runs as (only used when we are root). */
export interface RunAs {
  /** OS user name, for messages. */
  name: string;
  uid: number;
  gid: number;
}

/** Outcome of one program run. */
export interface ExecResult {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options for {@link execProgram}. */
export interface ExecOptions {
  args?: readonly string[];
  runAs?: RunAs | undefined;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the program after this many milliseconds (default 120 s). */
  timeoutMs?: number;
  /** Called with the child's pid once it runs (so a watchdog can track it). */
  onSpawn?: (pid: number) => void;
}

/**
 * Runs `file` and resolves with its exit status and output. Rejects only when
 * the program could not be started at all (ENOENT, EACCES): a non-zero exit is
 * a result the caller inspects, because the caller knows what to say about it.
 */
export function execProgram(file: string, options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, options.args ?? [], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/**
 * The environment for server programs: ours without PG* variables, so that a
 * developer's PGDATA, PGPORT or PGOPTIONS cannot leak into a test cluster.
 */
export function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('PG')) env[k] = v;
  }
  return env;
}
