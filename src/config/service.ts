/**
 * The connection service file (pg_service.conf): named sections of libpq
 * keywords, so that `service=prod` stands for a whole set of settings.
 *
 *   # comment
 *   [prod]
 *   host=db1.example.com
 *   dbname=app
 *
 * Search order, as libpq: the file named by servicefile / PGSERVICEFILE, or
 * else ~/.pg_service.conf; then PGSYSCONFDIR/pg_service.conf (without
 * PGSYSCONFDIR: /etc/postgresql-common/pg_service.conf, where Debian and
 * Ubuntu keep it). The first file holding the section supplies all of it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InterfaceError } from '../errors/client.js';
import { isKeyword, LIBPQ_KEYWORDS } from './keywords.js';
import { closestName, didYouMean } from './suggest.js';
import { DEFAULT_SYSCONFDIR, defaultUserServicefile } from './paths.js';

/** A service found in a file. */
export interface ServiceEntry {
  /** The section's keywords. */
  readonly keywords: Record<string, string>;
  /** The file it came from, for error messages. */
  readonly file: string;
}

/** Where to look for services. */
export interface ServiceSearch {
  /** servicefile option or PGSERVICEFILE; replaces ~/.pg_service.conf. */
  readonly servicefile?: string | undefined;
  /** PGSYSCONFDIR. */
  readonly sysconfdir?: string | undefined;
  /** Environment for the home directory (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Reads section `[name]` from service-file text. Returns undefined if the
 * section is absent; throws an InterfaceError (with file and line) for a
 * malformed line or unknown keyword inside it.
 */
export function parseServiceSection(text: string, name: string, file: string): Record<string, string> | undefined {
  let inSection = false;
  let found = false;
  const keywords: Record<string, string> = {};
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      if (inSection) break;
      const close = line.indexOf(']');
      inSection = close !== -1 && line.slice(1, close) === name;
      found ||= inSection;
      continue;
    }
    if (!inSection) continue;
    const where = `in service file "${file}", line ${n + 1}`;
    const eq = line.indexOf('=');
    if (eq === -1) throw new InterfaceError(`Syntax error ${where}: expected keyword=value.`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'service' || key === 'servicefile') {
      throw new InterfaceError(`"${key}" is not allowed ${where}: nested service specifications are not supported.`);
    }
    if (!isKeyword(key)) {
      throw new InterfaceError(
        `Unknown connection parameter "${key}" ${where}.${didYouMean(closestName(key, LIBPQ_KEYWORDS.keys()))}`,
      );
    }
    keywords[key] = value;
  }
  return found ? keywords : undefined;
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new InterfaceError(`Cannot read service file "${file}": ${(err as Error).message}`, { cause: err });
  }
}

/** The files searched for a service, in order. */
export function serviceFiles(search: ServiceSearch): string[] {
  const env = search.env ?? process.env;
  return [
    search.servicefile ?? defaultUserServicefile(env),
    join(search.sysconfdir ?? DEFAULT_SYSCONFDIR, 'pg_service.conf'),
  ];
}

/** Finds a service by name; an InterfaceError listing the files searched if it is nowhere. */
export async function loadService(name: string, search: ServiceSearch): Promise<ServiceEntry> {
  const files = serviceFiles(search);
  for (const file of files) {
    const text = await readIfPresent(file);
    if (text === undefined) continue;
    const keywords = parseServiceSection(text, name, file);
    if (keywords !== undefined) return { keywords, file };
  }
  throw new InterfaceError(
    `Definition of service "${name}" not found (searched ${files.map((f) => `"${f}"`).join(' and ')}). ` +
      'Check the service name, or set PGSERVICEFILE to the file that defines it.',
  );
}
