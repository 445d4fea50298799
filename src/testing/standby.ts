/**
 * A streaming-replication standby of a TempCluster, for tests of host
 * lists, target_session_attrs and failover. The standby is a TempCluster
 * of its own (own port, own directory, same cleanup guarantees) whose data
 * directory is replaced by a base backup of the primary: with pg_basebackup
 * when the installation has it, else with the low-level backup API
 * (pg_backup_start / pg_backup_stop and a file copy), which needs nothing
 * but the server (the embedded PostgreSQL ships no pg_basebackup).
 */
import { existsSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { chown, copyFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PgjetError, TimeoutError } from '../errors/client.js';
import { connect } from '../connection/connect.js';
import type { Connection } from '../connection/connection.js';
import type { RunAs } from './exec.js';
import { execProgram, serverEnv } from './exec.js';
import { TempCluster } from './temp-cluster.js';

/** Options for {@link startStandby}. */
export interface StandbyOptions {
  /** How the base backup is taken; default 'auto': pg_basebackup when the primary's bin directory has it. */
  method?: 'auto' | 'pg_basebackup' | 'low-level';
  /** Receives each line of the standby's server log. */
  log?: (line: string) => void;
  /** How long to wait for the standby to accept connections (default 60 s). */
  startTimeoutMs?: number;
}

/** Directories whose contents a base backup leaves out (the server rebuilds them). */
const SKIP_CONTENTS = new Set(['pg_wal', 'pg_replslot', 'pg_stat_tmp', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_subtrans']);
const SKIP_FILES = new Set(['postmaster.pid', 'postmaster.opts', 'backup_label', 'tablespace_map', 'standby.signal', 'recovery.signal']);

/** A postgresql.conf string literal (the file's parser takes backslash escapes too). */
function confString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function superuserConnect(c: TempCluster): Promise<Connection> {
  return connect({ ...c.connectOptions(), sslmode: 'disable', passfile: '/nonexistent', statementMode: 'unnamed', connectTimeout: 10_000 });
}

/**
 * Starts a hot standby streaming from `primary` through a physical
 * replication slot, and resolves once it accepts read-only connections.
 * Destroy it like any TempCluster. Promote it with {@link promoteStandby}.
 */
export async function startStandby(primary: TempCluster, options: StandbyOptions = {}): Promise<TempCluster> {
  const standby = await TempCluster.start({
    binDir: primary.binDir,
    user: primary.user,
    ...(primary.password !== undefined ? { password: primary.password, authMethod: primary.authMethod } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}),
  });
  try {
    await standby.stop();
    const owner = await stat(standby.dataDir);
    const runAs: RunAs | undefined = process.getuid?.() === 0 ? { name: String(owner.uid), uid: owner.uid, gid: owner.gid } : undefined;
    const slot = `pgjet_standby_${standby.port}`;
    const conn = await superuserConnect(primary);
    try {
      await conn.fetchVal('SELECT 1 FROM pg_catalog.pg_create_physical_replication_slot($1, true)', slot);
    } finally {
      await conn.close();
    }
    await rm(standby.dataDir, { recursive: true, force: true });
    const method = options.method ?? (existsSync(join(primary.binDir, 'pg_basebackup')) ? 'pg_basebackup' : 'low-level');
    if (method === 'pg_basebackup') await baseBackup(primary, standby.dataDir, runAs);
    else await lowLevelBackup(primary, standby.dataDir);
    if (runAs) await chownTree(standby.dataDir, runAs.uid, runAs.gid);
    await writeFile(join(standby.dataDir, 'standby.signal'), '');
    if (runAs) await chown(join(standby.dataDir, 'standby.signal'), runAs.uid, runAs.gid);
    const conninfo = `host=127.0.0.1 port=${primary.port} user=${primary.user} application_name=standby_${standby.port}` +
      (primary.password !== undefined ? ` password='${primary.password.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : '');
    // setConf rewrites postgresql.conf from the standby's own base (its port and socket directory), not the primary's copy.
    await standby.setConf([`primary_conninfo = ${confString(conninfo)}`, `primary_slot_name = ${confString(slot)}`, 'hot_standby = on'], { reload: false });
    await standby.start();
    return standby;
  } catch (e) {
    await standby.destroy().catch(() => undefined);
    throw e;
  }
}

async function baseBackup(primary: TempCluster, dataDir: string, runAs: RunAs | undefined): Promise<void> {
  const env = serverEnv();
  if (primary.password !== undefined) env['PGPASSWORD'] = primary.password;
  const r = await execProgram(join(primary.binDir, 'pg_basebackup'), {
    args: ['-h', '127.0.0.1', '-p', String(primary.port), '-U', primary.user, '-D', dataDir, '-X', 'stream', '-c', 'fast', '--no-sync', '-w'],
    runAs,
    env,
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new PgjetError(`pg_basebackup from port ${primary.port} failed (exit ${String(r.code)}): ${(r.stderr || r.stdout).trim()}`);
}

/** A base backup with the server's own functions, copying the files ourselves. */
async function lowLevelBackup(primary: TempCluster, dataDir: string): Promise<void> {
  const conn = await superuserConnect(primary);
  try {
    const v = primary.version.major;
    await conn.execute(v >= 15 ? "SELECT pg_catalog.pg_backup_start('pgjet standby', true)" : "SELECT pg_catalog.pg_start_backup('pgjet standby', true, false)");
    await copyTree(primary.dataDir, dataDir, true);
    const row = await conn.fetchRow<{ labelfile: string; spcmapfile: string | null }>(
      v >= 15 ? 'SELECT labelfile, spcmapfile FROM pg_catalog.pg_backup_stop(true)' : 'SELECT labelfile, spcmapfile FROM pg_catalog.pg_stop_backup(false, true)',
    );
    if (row === null) throw new PgjetError('pg_backup_stop returned no row');
    await writeFile(join(dataDir, 'backup_label'), row.labelfile);
    if (row.spcmapfile) await writeFile(join(dataDir, 'tablespace_map'), row.spcmapfile);
  } finally {
    await conn.close();
  }
}

/** Copy a running cluster's files; a file that vanishes meanwhile is skipped (WAL replay restores consistency). */
async function copyTree(from: string, to: string, top: boolean): Promise<void> {
  await mkdir(to, { recursive: true, mode: 0o700 });
  let entries: Dirent[];
  try {
    entries = await readdir(from, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const entry of entries) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) {
      if (top && SKIP_CONTENTS.has(entry.name)) await mkdir(dst, { mode: 0o700 });
      else await copyTree(src, dst, false);
    } else if (entry.isFile() && !(top && SKIP_FILES.has(entry.name)) && !entry.name.startsWith('pgsql_tmp')) {
      try {
        await copyFile(src, dst);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await chown(dir, uid, gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(p, uid, gid);
    else await chown(p, uid, gid);
  }
}

/**
 * Promotes a standby to primary (pg_promote) and resolves once it accepts
 * writes.
 */
export async function promoteStandby(standby: TempCluster, timeoutMs = 60_000): Promise<void> {
  const conn = await superuserConnect(standby);
  try {
    const ok = await conn.fetchVal<boolean>('SELECT pg_catalog.pg_promote(true, $1)', Math.max(1, Math.ceil(timeoutMs / 1000)));
    if (ok !== true) throw new TimeoutError(`the standby on port ${standby.port} did not finish promotion within ${timeoutMs} ms`);
  } finally {
    await conn.close();
  }
}

/**
 * Resolves once the standby has replayed everything the primary had
 * written when this was called (so a row committed on the primary is
 * visible on the standby).
 */
export async function waitForReplay(primary: TempCluster, standby: TempCluster, timeoutMs = 30_000): Promise<void> {
  const p = await superuserConnect(primary);
  let target: string | null;
  try {
    target = await p.fetchVal<string>('SELECT pg_catalog.pg_current_wal_insert_lsn()::text');
  } finally {
    await p.close();
  }
  const s = await superuserConnect(standby);
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const caughtUp = await s.fetchVal<boolean>('SELECT pg_catalog.pg_last_wal_replay_lsn() >= $1::text::pg_lsn', target);
      if (caughtUp === true) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await s.close();
  }
  throw new TimeoutError(`the standby on port ${standby.port} did not replay up to ${String(target)} within ${timeoutMs} ms`);
}
