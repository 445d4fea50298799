/**
 * The password file (~/.pgpass): lines of
 * `hostname:port:database:username:password`. A field that is exactly `*`
 * matches anything; `\:` and `\\` stand for a literal colon and backslash.
 * Lines starting with `#` are comments. The first matching line wins.
 *
 * As in libpq, `localhost` also matches a connection over the default Unix
 * socket directory, and on POSIX a file that the group or others can access
 * is ignored with a warning, because it may have leaked.
 */
import { readFile, stat } from 'node:fs/promises';
import { LOCALHOST_SOCKET_DIRECTORIES } from './paths.js';

/** Receives a warning about configuration that was skipped; pgjet never prints. */
export type WarningHandler = (message: string) => void;

/** One parsed field: its literal text, and whether it was the bare `*` wildcard. */
interface Field {
  readonly text: string;
  readonly wildcard: boolean;
}

/**
 * Splits a line into its unescaped fields. The fifth field (the password)
 * ends at the next unescaped colon, as libpq reads it. Returns undefined for
 * a line with fewer than five fields.
 */
export function parsePgpassLine(line: string): Field[] | undefined {
  const fields: Field[] = [];
  let text = '';
  let raw = '';
  for (let i = 0; i <= line.length; i++) {
    const ch = line[i];
    if (ch === undefined || ch === ':') {
      fields.push({ text, wildcard: raw === '*' });
      if (fields.length === 5) break;
      if (ch === undefined) break;
      text = '';
      raw = '';
      continue;
    }
    if (ch === '\\' && i + 1 < line.length) {
      text += line[i + 1];
      raw += ch + (line[i + 1] ?? '');
      i++;
    } else {
      text += ch;
      raw += ch;
    }
  }
  return fields.length === 5 ? fields : undefined;
}

function matches(field: Field | undefined, values: readonly string[]): boolean {
  if (field === undefined) return false;
  return field.wildcard || values.includes(field.text);
}

/**
 * Finds the password for a connection in pgpass-format text, or undefined.
 * `host` is what the connection targets: a name, an address, or a socket directory.
 */
export function findPgpassPassword(
  text: string,
  host: string,
  port: number,
  database: string,
  user: string,
): string | undefined {
  const hosts =
    host === '' || LOCALHOST_SOCKET_DIRECTORIES.includes(stripSlash(host)) ? [host, 'localhost'] : [host];
  const ports = [String(port)];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = parsePgpassLine(line);
    if (f === undefined) continue;
    if (
      matches(f[0], hosts) &&
      matches(f[1], ports) &&
      matches(f[2], [database]) &&
      matches(f[3], [user])
    ) {
      return f[4]?.text;
    }
  }
  return undefined;
}

function stripSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * Looks up a password in a .pgpass file. Returns undefined when the file is
 * missing or unreadable, has no matching line, or is not safe to use (not a
 * plain file; on POSIX, any access for group or others: the caller gets a
 * warning saying how to fix it).
 */
export async function lookupPgpass(
  file: string,
  host: string,
  port: number,
  database: string,
  user: string,
  onWarning?: WarningHandler,
): Promise<string | undefined> {
  let info;
  try {
    info = await stat(file);
  } catch {
    return undefined;
  }
  if (!info.isFile()) {
    onWarning?.(`Password file "${file}" is not a plain file; it was ignored.`);
    return undefined;
  }
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    onWarning?.(
      `Password file "${file}" has group or world access; it was ignored. ` +
        `Permissions should be u=rw (0600) or less: chmod 0600 "${file}".`,
    );
    return undefined;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  return findPgpassPassword(text, host, port, database, user);
}
