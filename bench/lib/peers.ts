/**
 * Finding the peers that are not npm packages: asyncpg (Debian's
 * python3-asyncpg, with python3-uvloop when present) and pgbench. When one
 * is missing and we may, apt-get installs it; otherwise the reason is
 * returned and shown in the results, never dropped silently.
 */
import { execFile } from 'node:child_process';
import type { ExecFileOptions } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Found, or why not. */
export type Found<T> = { ok: true; value: T; note?: string } | { ok: false; reason: string };

function run(cmd: string, args: string[], options: ExecFileOptions = {}): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { ...options, encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ ok: !err, out: `${String(stdout)}${String(stderr)}`.trim() });
    });
  });
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** apt-get, once per run: update the lists, then install the packages. */
class Apt {
  private updated = false;
  readonly log: string[] = [];

  /** Whether apt-get can be used here (root, apt-get present, allowed). */
  usable(allowed: boolean): boolean {
    return allowed && isRoot() && existsSync('/usr/bin/apt-get');
  }

  async install(packages: string[]): Promise<boolean> {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (!this.updated) {
      process.stdout.write(`  apt-get update ...\n`);
      const u = await run('apt-get', ['update', '-qq'], { env });
      this.updated = true;
      if (!u.ok) this.log.push(`apt-get update failed: ${u.out.split('\n').slice(-3).join(' ')}`);
    }
    process.stdout.write(`  apt-get install ${packages.join(' ')} ...\n`);
    const r = await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { env });
    if (!r.ok) this.log.push(`apt-get install ${packages.join(' ')} failed: ${r.out.split('\n').slice(-3).join(' ')}`);
    return r.ok;
  }
}

/** One apt session for the run. */
export const newApt = (): Apt => new Apt();
export type { Apt };

async function pythonWithAsyncpg(): Promise<{ python: string; version: string } | undefined> {
  // Debian's interpreter first: python3-asyncpg installs into it, not into a pyenv or venv python on PATH.
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = await run(python, ['-c', 'import asyncpg; print(asyncpg.__version__)']);
    if (r.ok) return { python, version: r.out };
  }
  return undefined;
}

/** A python3 that imports asyncpg, installing python3-asyncpg and python3-uvloop when allowed. */
export async function findAsyncpg(apt: Apt, allowInstall: boolean): Promise<Found<string>> {
  let found = await pythonWithAsyncpg();
  if (!found && apt.usable(allowInstall)) {
    await apt.install(['python3-asyncpg']);
    found = await pythonWithAsyncpg();
  }
  if (!found) {
    return {
      ok: false,
      reason: allowInstall && !isRoot()
        ? 'missing: install python3-asyncpg (and python3-uvloop) with apt-get as root'
        : 'missing: python3-asyncpg is not installed' + (allowInstall ? '' : ' (--no-install)'),
    };
  }
  const uv = await run(found.python, ['-c', 'import uvloop']);
  if (!uv.ok && apt.usable(allowInstall)) {
    await apt.install(['python3-uvloop']);
  }
  return { ok: true, value: found.python };
}

function pgbenchCandidates(binDir: string | undefined): string[] {
  const dirs: string[] = [];
  if (binDir) dirs.push(binDir);
  if (process.env['PGBIN']) dirs.push(process.env['PGBIN']);
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) dirs.push(join(root, v, 'bin'));
  }
  for (const p of (process.env['PATH'] ?? '').split(':')) if (p) dirs.push(p);
  return dirs.map((d) => join(d, 'pgbench')).filter((p) => existsSync(p));
}

/**
 * pgbench: next to the server's binaries, in /usr/lib/postgresql/N/bin, or
 * on PATH. Debian ships it in the server package, so a missing one is
 * installed as `postgresql` with no cluster created and no service started.
 */
export async function findPgbench(apt: Apt, allowInstall: boolean, binDir: string | undefined): Promise<Found<string>> {
  let found = pgbenchCandidates(binDir)[0];
  if (!found && apt.usable(allowInstall)) {
    mkdirSync('/etc/postgresql-common', { recursive: true });
    const conf = '/etc/postgresql-common/createcluster.conf';
    if (!existsSync(conf)) writeFileSync(conf, 'create_main_cluster = false\n');
    const policy = '/usr/sbin/policy-rc.d';
    const addPolicy = !existsSync(policy);
    if (addPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    try {
      await apt.install(['postgresql']);
    } finally {
      if (addPolicy) rmSync(policy, { force: true });
    }
    found = pgbenchCandidates(binDir)[0];
  }
  if (!found) {
    return {
      ok: false,
      reason: allowInstall && !isRoot()
        ? 'missing: pgbench not found; install PostgreSQL (apt-get install postgresql) as root or set PGBIN'
        : 'missing: pgbench not found' + (allowInstall ? '' : ' (--no-install)'),
    };
  }
  return { ok: true, value: found };
}
