/**
 * Merges every source of connection settings into one ResolvedConfig, in
 * libpq's order of precedence: the options object, then the DSN, then the
 * service file section, then PG* environment variables, then defaults.
 * Everything that can be checked before connecting is checked here, so a
 * mistake fails at once with the option's name instead of as a confusing
 * server error later.
 *
 * Passwords from .pgpass depend on the host being tried, so they are looked
 * up per attempt by resolvePassword (password.ts), not here.
 */
import { validateTypeOptions } from '../types/options.js';
import { userInfo } from 'node:os';
import { InterfaceError } from '../errors/client.js';
import { looksLikeUrl, parseDsn } from './dsn.js';
import { ENV_SOURCE, readEnv } from './env.js';
import { resolveHosts } from './hosts.js';
import { keywordsToOptions } from './keywords.js';
import type {
  AuthMethod,
  ChannelBinding,
  ConnectOptions,
  ProtocolVersionName,
  RequireAuth,
  ResolvedConfig,
  SslMode,
} from './options.js';
import { DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_STATEMENT_CACHE_SIZE } from './options.js';
import { defaultPassfile } from './paths.js';
import { loadService } from './service.js';
import { buildTls } from './tls.js';
import { validateOptions } from './validate.js';
import type { ConnectionOptions } from 'node:tls';

/** Startup parameter names that have their own options or must not be set by hand. */
const RESERVED_SETTINGS = new Map<string, string>([
  ['user', 'use the user option'],
  ['database', 'use the database option'],
  ['replication', 'pgjet does not speak the replication protocol'],
]);

/**
 * Resolves connection settings from an optional DSN (URL or key=value
 * string), an optional options object and the environment (default
 * process.env). Throws an InterfaceError naming the offending option for
 * anything invalid.
 */
export async function resolveConfig(
  dsn: string | undefined,
  options: ConnectOptions | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedConfig> {
  const explicit = validateOptions(options);
  const tlsObject = applySslShorthand(explicit);
  const settings = foldSettings(explicit);

  let fromDsn: ConnectOptions = {};
  if (dsn !== undefined) {
    if (typeof dsn !== 'string') throw new InterfaceError(`Invalid DSN: expected a string, got a ${typeof dsn}.`);
    const where = looksLikeUrl(dsn) ? 'in the connection URL' : 'in the connection string';
    fromDsn = keywordsToOptions(parseDsn(dsn), { where });
  }

  const envConfig = readEnv(env);
  const fromEnv = keywordsToOptions(envConfig.keywords, ENV_SOURCE);

  let fromService: ConnectOptions = {};
  const service = explicit.service ?? fromDsn.service ?? fromEnv.service;
  if (service !== undefined) {
    const entry = await loadService(service, {
      servicefile: explicit.servicefile ?? fromDsn.servicefile ?? fromEnv.servicefile,
      sysconfdir: envConfig.sysconfdir,
      env,
    });
    fromService = keywordsToOptions(entry.keywords, { where: `in service "${service}" (${entry.file})` });
  }

  const layers = [explicit, fromDsn, fromService, fromEnv];
  const pick = <K extends keyof ConnectOptions>(key: K): ConnectOptions[K] => {
    for (const layer of layers) if (layer[key] !== undefined) return layer[key];
    return undefined;
  };

  const hosts = await resolveHosts(pick('host'), pick('hostaddr'), pick('port'));
  const user = nonEmpty(pick('user')) ?? osUserName(env);
  const database = nonEmpty(pick('database')) ?? user;
  const password = pick('password');
  // ssl: true means verify-full against the system's trusted roots (as
  // asyncpg's ssl=True), unless a root certificate is named somewhere.
  const sslrootcert = pick('sslrootcert') ?? (explicit.ssl === true ? 'system' : undefined);
  const sslmode: SslMode = pick('sslmode') ?? (sslrootcert === 'system' ? 'verify-full' : 'prefer');
  const sslnegotiation = pick('sslnegotiation') ?? 'postgres';
  if (sslnegotiation === 'direct' && (sslmode === 'disable' || sslmode === 'allow' || sslmode === 'prefer')) {
    throw new InterfaceError(
      `sslmode "${sslmode}" may not be used with sslnegotiation=direct: use require, verify-ca or verify-full.`,
    );
  }
  const channelBinding = pick('channelBinding') ?? 'prefer';
  if (channelBinding === 'require' && sslmode === 'disable') {
    throw new InterfaceError('channelBinding "require" needs TLS, but sslmode is "disable". Enable TLS or relax channelBinding.');
  }
  const requireAuth = parseRequireAuth(pick('requireAuth'));
  checkBindingAgainstRequireAuth(channelBinding, requireAuth);
  const { minProtocolMinor, maxProtocolMinor } = protocolRange(pick('minProtocolVersion'), pick('maxProtocolVersion'));
  const tls = await buildTls(
    {
      sslmode,
      sslrootcert,
      sslcert: pick('sslcert'),
      sslkey: pick('sslkey'),
      sslpassword: pick('sslpassword'),
      sslcrl: pick('sslcrl'),
      sslcrldir: pick('sslcrldir'),
      sslcertmode: pick('sslcertmode'),
      sslMinProtocolVersion: pick('sslMinProtocolVersion'),
      sslMaxProtocolVersion: pick('sslMaxProtocolVersion'),
      tls: tlsObject,
    },
    env,
  );

  checkClientEncoding(pick('clientEncoding'));
  const applicationName = pick('applicationName') ?? pick('fallbackApplicationName');
  const serverSettings = buildServerSettings(settings, envConfig.settings, pick('options'), applicationName);

  checkNoNul('user', user);
  checkNoNul('database', database);
  if (typeof password === 'string') checkNoNul('password', password);
  for (const [key, value] of Object.entries(serverSettings)) {
    checkNoNul(`server setting name "${printable(key)}"`, key);
    checkNoNul(`server setting ${key}`, value);
  }

  const commandTimeout = pick('commandTimeout');
  return {
    hosts,
    user,
    password: password === '' ? undefined : password,
    database,
    passfile: pick('passfile') ?? defaultPassfile(env),
    sslmode,
    sslVerify: tls.verify,
    ssl: tls.ssl,
    sslnegotiation,
    sslsni: pick('sslsni') ?? true,
    channelBinding,
    requireAuth,
    allowUnencryptedPassword: pick('allowUnencryptedPassword') ?? false,
    minProtocolMinor,
    maxProtocolMinor,
    connectTimeout: pick('connectTimeout') ?? DEFAULT_CONNECT_TIMEOUT,
    commandTimeout: commandTimeout === 0 ? undefined : commandTimeout,
    applicationName,
    serverSettings,
    keepAlive: pick('keepAlive') ?? true,
    keepAliveInitialDelay: pick('keepAliveInitialDelay') ?? 0,
    statementCacheSize: pick('statementCacheSize') ?? DEFAULT_STATEMENT_CACHE_SIZE,
    maxCachedStatementLifetime: pick('maxCachedStatementLifetime') ?? 300_000,
    maxCacheableStatementSize: pick('maxCacheableStatementSize') ?? 15 * 1024,
    statementMode: pick('statementCacheSize') === 0 ? 'unnamed' : (pick('statementMode') ?? 'auto'),
    targetSessionAttrs: pick('targetSessionAttrs') ?? 'any',
    loadBalanceHosts: pick('loadBalanceHosts') ?? 'disable',
    rowMode: pick('rowMode') ?? 'object',
    types: validateTypeOptions(pick('types')),
    maxMessageSize: pick('maxMessageSize') ?? DEFAULT_MAX_MESSAGE_SIZE,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

/**
 * Turns the `ssl` shorthand into sslmode on the options object and returns
 * the caller's TLS options object, if one was given.
 */
function applySslShorthand(o: ConnectOptions): ConnectionOptions | undefined {
  const ssl = o.ssl;
  if (ssl === undefined) return undefined;
  if (typeof ssl === 'object') {
    o.sslmode ??= ssl.rejectUnauthorized === false ? 'require' : 'verify-full';
    return ssl;
  }
  const mode: SslMode = ssl === true ? 'verify-full' : ssl === false ? 'disable' : ssl;
  if (o.sslmode !== undefined && o.sslmode !== mode) {
    throw new InterfaceError(
      `Options ssl (${JSON.stringify(ssl)}, meaning sslmode ${mode}) and sslmode (${o.sslmode}) disagree; give only one.`,
    );
  }
  o.sslmode = mode;
  return undefined;
}

/**
 * Copies serverSettings, moving application_name and options (any case) to
 * the options of the same meaning so they keep the options object's
 * precedence, and refusing names that have options of their own.
 */
function foldSettings(o: ConnectOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(o.serverSettings ?? {})) {
    const lower = key.toLowerCase();
    if (key === '') throw new InterfaceError('Invalid option serverSettings: a setting name is empty.');
    const reserved = RESERVED_SETTINGS.get(lower);
    if (reserved !== undefined) {
      throw new InterfaceError(`Invalid option serverSettings.${key}: ${reserved}.`);
    }
    if (lower.startsWith('_pq_.')) {
      throw new InterfaceError(`Invalid option serverSettings.${key}: _pq_ names are protocol extensions, not settings.`);
    }
    if (lower === 'application_name' || lower === 'options') {
      const field = lower === 'options' ? 'options' : 'applicationName';
      if (o[field] !== undefined && o[field] !== value) {
        throw new InterfaceError(`Options ${field} and serverSettings.${key} disagree; give only one.`);
      }
      o[field] = value;
      continue;
    }
    if (lower === 'client_encoding') {
      checkClientEncoding(value);
      continue;
    }
    out[key] = value;
  }
  return out;
}

/** Refuses any client encoding but UTF8: every string is decoded as UTF-8. */
function checkClientEncoding(value: string | undefined): void {
  if (value === undefined) return;
  const norm = value.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (norm === 'utf8' || norm === 'unicode') return;
  throw new InterfaceError(
    `client_encoding "${printable(value)}" is not supported: pgjet always uses UTF8. ` +
      'Remove it (clientEncoding, client_encoding, serverSettings or PGCLIENTENCODING); the server converts to and from the database encoding.',
  );
}

function buildServerSettings(
  settings: Record<string, string>,
  fromEnv: Record<string, string>,
  options: string | undefined,
  applicationName: string | undefined,
): Record<string, string> {
  const out: Record<string, string> = { ...settings };
  const given = new Set(Object.keys(settings).map((k) => k.toLowerCase()));
  for (const [key, value] of Object.entries(fromEnv)) {
    if (!given.has(key.toLowerCase())) out[key] = value;
  }
  if (options !== undefined && options !== '') out['options'] = options;
  if (applicationName !== undefined) out['application_name'] = applicationName;
  out['client_encoding'] = 'UTF8';
  return out;
}

/** A NUL byte would end the value early in the startup message and change what the server reads. */
function checkNoNul(what: string, value: string): void {
  if (value.includes('\0')) {
    throw new InterfaceError(`Invalid ${what}: it contains a NUL byte (\\0), which cannot be sent in the startup message.`);
  }
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

function osUserName(env: NodeJS.ProcessEnv): string {
  try {
    const name = userInfo().username;
    if (name !== '') return name;
  } catch {
    // No passwd entry (common in containers): fall back to the environment.
  }
  const fallback = env['USER'] ?? env['USERNAME'] ?? env['LOGNAME'];
  if (fallback !== undefined && fallback !== '') return fallback;
  throw new InterfaceError('Could not determine the user name to log in as: set the user option or PGUSER.');
}

const AUTH_METHODS: readonly AuthMethod[] = ['password', 'md5', 'gss', 'sspi', 'scram-sha-256', 'oauth', 'none'];

/** Parses require_auth: a comma list of methods, all or none prefixed with "!". */
export function parseRequireAuth(value: string | undefined): RequireAuth | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const entries = value.split(',').map((s) => s.trim());
  const negated = entries[0]?.startsWith('!') ?? false;
  const methods: AuthMethod[] = [];
  for (const entry of entries) {
    if (entry.startsWith('!') !== negated) {
      throw new InterfaceError(`Invalid requireAuth "${value}": negative (!) and positive methods cannot be mixed.`);
    }
    const name = negated ? entry.slice(1) : entry;
    if (!(AUTH_METHODS as readonly string[]).includes(name)) {
      throw new InterfaceError(`Invalid requireAuth method "${name}". Use: ${AUTH_METHODS.join(', ')} (each may start with "!").`);
    }
    if (methods.includes(name as AuthMethod)) {
      throw new InterfaceError(`Invalid requireAuth "${value}": method "${name}" is given more than once.`);
    }
    methods.push(name as AuthMethod);
  }
  return { negated, methods };
}

/** The minor version a protocol version name stands for: 3.0 -> 0, 3.2 and latest -> 2. */
function protocolMinor(name: ProtocolVersionName): number {
  return name === '3.0' ? 0 : 2;
}

/**
 * The protocol versions to accept and to request, as libpq 18: the request
 * defaults to 3.0 (some poolers mishandle a newer one) unless the minimum is
 * above it, in which case the newest is requested.
 */
export function protocolRange(
  min: ProtocolVersionName | undefined,
  max: ProtocolVersionName | undefined,
): { minProtocolMinor: number; maxProtocolMinor: number } {
  const minProtocolMinor = protocolMinor(min ?? '3.0');
  const maxProtocolMinor = max === undefined ? Math.max(minProtocolMinor, 0) : protocolMinor(max);
  if (maxProtocolMinor < minProtocolMinor) {
    throw new InterfaceError(
      `minProtocolVersion ${min ?? '3.0'} is above maxProtocolVersion ${max ?? '3.0'}: ` +
        'raise maxProtocolVersion or lower minProtocolVersion (libpq: min_protocol_version / max_protocol_version).',
    );
  }
  return { minProtocolMinor, maxProtocolMinor };
}

/** channel_binding=require can only be met by SCRAM: a require_auth that rules SCRAM out can never connect. */
function checkBindingAgainstRequireAuth(binding: ChannelBinding, requireAuth: RequireAuth | undefined): void {
  if (binding !== 'require' || requireAuth === undefined) return;
  const scram = requireAuth.methods.includes('scram-sha-256');
  if (requireAuth.negated ? scram : !scram) {
    throw new InterfaceError(
      `channelBinding "require" needs SCRAM authentication, but requireAuth "${formatRequireAuth(requireAuth)}" does not allow scram-sha-256. ` +
        'Allow scram-sha-256 in requireAuth or relax channelBinding.',
    );
  }
}

function formatRequireAuth(r: RequireAuth): string {
  return r.methods.map((m) => (r.negated ? `!${m}` : m)).join(',');
}
