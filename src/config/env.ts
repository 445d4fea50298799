/**
 * libpq's PG* environment variables. Each connection keyword's variable
 * (PGHOST, PGPORT, PGSSLMODE, PGCONNECT_TIMEOUT in seconds, ...) supplies
 * that keyword; PGTZ and PGGEQO become startup parameters as in libpq.
 *
 * PGDATESTYLE is read and deliberately has no effect: pgjet parses dates and
 * times assuming the server's ISO output, so another DateStyle would break
 * decoding of text-format values.
 *
 * An empty variable counts as unset.
 */
import { LIBPQ_KEYWORDS } from './keywords.js';
import type { KeywordSource } from './keywords.js';

/** What the environment contributes to a connection. */
export interface EnvConfig {
  /** libpq keywords taken from their PG* variables. */
  readonly keywords: Record<string, string>;
  /** Startup parameters from PGTZ (as TimeZone) and PGGEQO (as geqo). */
  readonly settings: Record<string, string>;
  /** PGSYSCONFDIR: where the system-wide pg_service.conf lives. */
  readonly sysconfdir: string | undefined;
}

/** Variables that become startup parameters rather than keywords. */
const SETTING_VARIABLES: ReadonlyArray<readonly [string, string]> = [
  ['PGTZ', 'TimeZone'],
  ['PGGEQO', 'geqo'],
];

const ENV_NAME_BY_KEYWORD: ReadonlyMap<string, string> = new Map(
  [...LIBPQ_KEYWORDS].flatMap(([keyword, env]) => (env === undefined ? [] : [[keyword, env] as const])),
);

/** The environment variable that supplies a keyword, if there is one. */
export function envVariableFor(keyword: string): string | undefined {
  return ENV_NAME_BY_KEYWORD.get(keyword);
}

/** A KeywordSource that names environment variables in error messages. */
export const ENV_SOURCE: KeywordSource = {
  where: 'in the environment',
  name: (keyword) => envVariableFor(keyword) ?? keyword,
};

/** Reads the PG* variables of `env` (default: process.env). */
export function readEnv(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  const keywords: Record<string, string> = {};
  for (const [keyword, variable] of ENV_NAME_BY_KEYWORD) {
    const value = env[variable];
    if (value !== undefined && value !== '') keywords[keyword] = value;
  }
  const settings: Record<string, string> = {};
  for (const [variable, setting] of SETTING_VARIABLES) {
    const value = env[variable];
    // libpq skips the word "default", leaving the server's own setting.
    if (value !== undefined && value !== '' && value.toLowerCase() !== 'default') settings[setting] = value;
  }
  const sysconfdir = env['PGSYSCONFDIR'];
  return { keywords, settings, sysconfdir: sysconfdir === '' ? undefined : sysconfdir };
}
