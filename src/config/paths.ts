/**
 * Where libpq looks for its per-user files, given an environment. Taking the
 * environment as a parameter keeps these lookups testable.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** True on Windows, where libpq keeps its files under %APPDATA%\postgresql. */
function isWindows(): boolean {
  return process.platform === 'win32';
}

/** The user's home directory: $HOME if set, else the OS account's. */
export function homeDirectory(env: NodeJS.ProcessEnv): string {
  const home = env['HOME'];
  if (home !== undefined && home !== '') return home;
  return homedir();
}

/** libpq's per-user directory for TLS files: ~/.postgresql (Windows: %APPDATA%\postgresql). */
export function userSslDirectory(env: NodeJS.ProcessEnv): string {
  if (isWindows()) return join(env['APPDATA'] ?? homeDirectory(env), 'postgresql');
  return join(homeDirectory(env), '.postgresql');
}

/** Default password file: ~/.pgpass (Windows: %APPDATA%\postgresql\pgpass.conf). */
export function defaultPassfile(env: NodeJS.ProcessEnv): string {
  if (isWindows()) return join(env['APPDATA'] ?? homeDirectory(env), 'postgresql', 'pgpass.conf');
  return join(homeDirectory(env), '.pgpass');
}

/** Default per-user service file: ~/.pg_service.conf (Windows: %APPDATA%\postgresql\.pg_service.conf). */
export function defaultUserServicefile(env: NodeJS.ProcessEnv): string {
  if (isWindows()) return join(env['APPDATA'] ?? homeDirectory(env), 'postgresql', '.pg_service.conf');
  return join(homeDirectory(env), '.pg_service.conf');
}

/**
 * Directory of the system-wide pg_service.conf when PGSYSCONFDIR is not set:
 * the one Debian and Ubuntu packages use.
 */
export const DEFAULT_SYSCONFDIR = '/etc/postgresql-common';

/**
 * Directories where PostgreSQL servers put their Unix sockets, in the order
 * they are tried: distribution packages first, then the upstream default.
 */
export const DEFAULT_SOCKET_DIRECTORIES: readonly string[] = ['/var/run/postgresql', '/tmp'];

/** Socket directories that .pgpass treats as `localhost`, as libpq does for its built-in default. */
export const LOCALHOST_SOCKET_DIRECTORIES: readonly string[] = ['/var/run/postgresql', '/run/postgresql', '/tmp'];
