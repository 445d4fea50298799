/** Shared fixtures for the config tests: throwaway directories and a clean environment. */
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pgjet-config-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a file with the given mode and returns its path. */
export function writeFile(dir: string, name: string, text: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

/**
 * An environment isolated from the machine: HOME and PGSYSCONFDIR point at
 * `dir` (so no real ~/.pgpass, ~/.postgresql or service file is read) and
 * PGHOST/PGUSER are fixed so no socket probing or OS lookup is needed.
 */
export function cleanEnv(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { HOME: dir, PGSYSCONFDIR: dir, PGHOST: 'db.example', PGUSER: 'alice', ...extra };
}
