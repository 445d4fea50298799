/**
 * The password for one connection attempt. It is fetched per host because
 * .pgpass entries are per host and port, and a password function may hand
 * out a fresh short-lived token each time.
 */
import { InterfaceError } from '../errors/client.js';
import type { HostTarget, ResolvedConfig } from './options.js';
import { lookupPgpass } from './pgpass.js';
import type { WarningHandler } from './pgpass.js';

/**
 * The password to use for `target`: the configured string, the result of
 * the configured function, or else the matching .pgpass entry (undefined if
 * none). Warnings about an unsafe password file go to `onWarning`.
 */
export async function resolvePassword(
  config: Pick<ResolvedConfig, 'password' | 'passfile' | 'database' | 'user'>,
  target: Pick<HostTarget, 'host' | 'port'>,
  onWarning?: WarningHandler,
): Promise<string | undefined> {
  const configured = config.password;
  let password: unknown;
  if (typeof configured === 'function') {
    try {
      password = await configured();
    } catch (err) {
      throw new InterfaceError(`The password function failed: ${(err as Error).message ?? String(err)}`, { cause: err });
    }
    if (typeof password !== 'string') {
      throw new InterfaceError(`The password function must return a string (or a promise of one), got ${typeof password}.`);
    }
  } else if (typeof configured === 'string' && configured !== '') {
    password = configured;
  } else {
    password = await lookupPgpass(config.passfile, target.host, target.port, config.database, config.user, onWarning);
  }
  if (typeof password === 'string' && password.includes('\0')) {
    throw new InterfaceError('Invalid password: it contains a NUL byte (\\0), which cannot be sent to the server.');
  }
  return password as string | undefined;
}
