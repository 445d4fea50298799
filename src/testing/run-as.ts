/**
 * initdb and postgres refuse to run as root. When the tests run as root (as
 * CI containers often do), the cluster runs as an unprivileged OS user
 * instead, and everything it touches must be reachable by that user.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InterfaceError } from '../errors/client.js';
import type { RunAs } from './exec.js';
import { execProgram } from './exec.js';

/** True when this process runs as root (never on Windows). */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Parses one /etc/passwd entry by name. */
export function parsePasswd(text: string, name: string): RunAs | undefined {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 4) {
      const uid = Number(f[2]);
      const gid = Number(f[3]);
      if (Number.isInteger(uid) && Number.isInteger(gid)) return { name, uid, gid };
    }
  }
  return undefined;
}

async function lookupUser(name: string): Promise<RunAs | undefined> {
  try {
    const found = parsePasswd(await readFile('/etc/passwd', 'utf8'), name);
    if (found) return found;
  } catch {
    // no /etc/passwd: ask id(1), which also sees NSS users
  }
  try {
    const u = await execProgram('id', { args: ['-u', name], timeoutMs: 10_000 });
    const g = await execProgram('id', { args: ['-g', name], timeoutMs: 10_000 });
    if (u.code === 0 && g.code === 0) return { name, uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
  } catch {
    // id(1) missing: treat as unknown user
  }
  return undefined;
}

async function tryRun(file: string, args: string[]): Promise<string> {
  try {
    const r = await execProgram(file, { args, timeoutMs: 30_000 });
    return r.code === 0 ? '' : `${file} exited with ${r.code}: ${r.stderr.trim()}`;
  } catch (e) {
    return `${file}: ${(e as Error).message}`;
  }
}

/**
 * The OS user a cluster runs as when we are root: `postgres` if it exists,
 * else `pgjet`, created as a system user with no home and no login shell.
 */
export async function unprivilegedUser(): Promise<RunAs> {
  for (const name of ['postgres', 'pgjet']) {
    const u = await lookupUser(name);
    if (u && u.uid !== 0) return u;
  }
  const failures: string[] = [];
  const attempts: [string, string[]][] = [
    ['useradd', ['--system', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', 'pgjet']],
    ['/usr/sbin/useradd', ['--system', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', 'pgjet']],
    ['adduser', ['-S', '-D', '-H', 'pgjet']],
  ];
  for (const [file, args] of attempts) {
    const failure = await tryRun(file, args);
    // A concurrent start may have created the user first; look before failing.
    const u = await lookupUser('pgjet');
    if (u && u.uid !== 0) return u;
    if (failure) failures.push(failure);
  }
  throw new InterfaceError(
    'PostgreSQL refuses to run as root, and no unprivileged user could be found or created ' +
      `(${failures.join('; ')}). Create one with \`useradd --system postgres\`, or run the tests as a non-root user.`,
  );
}

/**
 * The first directory on the way to `path` that `who` cannot traverse, or
 * undefined when `path` is reachable. `who` undefined means "any other user"
 * (only the world bits count). Supplementary groups are ignored because the
 * child process is started without them.
 */
export async function unreachableDir(path: string, who?: { uid: number; gid: number }): Promise<string | undefined> {
  let p: string;
  try {
    p = await realpath(path);
  } catch {
    return path;
  }
  for (;;) {
    const st = await stat(p);
    if (st.isDirectory()) {
      let bit = 0o001;
      if (who && st.uid === who.uid) bit = 0o100;
      else if (who && st.gid === who.gid) bit = 0o010;
      if ((st.mode & bit) === 0) return p;
    }
    const parent = dirname(p);
    if (parent === p) return undefined;
    p = parent;
  }
}
