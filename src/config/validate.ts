/**
 * Checks of a caller's ConnectOptions object at run time: JavaScript callers
 * (and casts) can pass anything, so every key and value is checked and a
 * mistake is reported with the option's name and what to write instead.
 */
import { InterfaceError } from '../errors/client.js';
import { VALID_VALUES } from './keywords.js';
import type { ConnectOptions } from './options.js';
import { validateTypeOptions } from '../types/options.js';
import { closestName, didYouMean } from './suggest.js';

/** Every ConnectOptions key; the Record type makes the compiler insist the list is complete. */
const OPTION_KEYS: Readonly<Record<keyof ConnectOptions, true>> = {
  host: true,
  hostaddr: true,
  port: true,
  user: true,
  password: true,
  database: true,
  passfile: true,
  ssl: true,
  sslmode: true,
  sslrootcert: true,
  sslcert: true,
  sslkey: true,
  sslpassword: true,
  sslcrl: true,
  sslcrldir: true,
  sslsni: true,
  sslcertmode: true,
  sslnegotiation: true,
  sslMinProtocolVersion: true,
  sslMaxProtocolVersion: true,
  channelBinding: true,
  requireAuth: true,
  allowUnencryptedPassword: true,
  minProtocolVersion: true,
  maxProtocolVersion: true,
  connectTimeout: true,
  commandTimeout: true,
  serverSettings: true,
  applicationName: true,
  fallbackApplicationName: true,
  options: true,
  clientEncoding: true,
  keepAlive: true,
  keepAliveInitialDelay: true,
  statementCacheSize: true,
  maxCachedStatementLifetime: true,
  maxCacheableStatementSize: true,
  statementMode: true,
  targetSessionAttrs: true,
  loadBalanceHosts: true,
  service: true,
  servicefile: true,
  rowMode: true,
  maxMessageSize: true,
  types: true,
};

/** The names ConnectOptions accepts. */
export const CONNECT_OPTION_NAMES: readonly string[] = Object.keys(OPTION_KEYS);

/** Names people bring from libpq, asyncpg and node-postgres, and the option they mean. */
const ALIASES: Readonly<Record<string, keyof ConnectOptions>> = {
  dbname: 'database',
  db: 'database',
  username: 'user',
  connect_timeout: 'connectTimeout',
  timeout: 'connectTimeout',
  connectionTimeoutMillis: 'connectTimeout',
  command_timeout: 'commandTimeout',
  application_name: 'applicationName',
  fallback_application_name: 'fallbackApplicationName',
  target_session_attrs: 'targetSessionAttrs',
  channel_binding: 'channelBinding',
  require_auth: 'requireAuth',
  min_protocol_version: 'minProtocolVersion',
  max_protocol_version: 'maxProtocolVersion',
  keepalives: 'keepAlive',
  keepalives_idle: 'keepAliveInitialDelay',
  keepAliveInitialDelayMillis: 'keepAliveInitialDelay',
  client_encoding: 'clientEncoding',
  load_balance_hosts: 'loadBalanceHosts',
  ssl_min_protocol_version: 'sslMinProtocolVersion',
  ssl_max_protocol_version: 'sslMaxProtocolVersion',
  statement_cache_size: 'statementCacheSize',
  server_settings: 'serverSettings',
  max_message_size: 'maxMessageSize',
};

/** Largest delay a Node timer honours (a bigger one fires at once). */
export const MAX_TIMER_MS = 0x7fffffff;

function fail(name: string, expected: string, value: unknown): never {
  throw new InterfaceError(`Invalid option ${name}: expected ${expected}, got ${describe(value)}.`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function checkString(name: string, value: unknown): void {
  if (typeof value !== 'string') fail(name, 'a string', value);
}

function checkStringOrList(name: string, value: unknown): void {
  if (typeof value === 'string') return;
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return;
  fail(name, 'a string or a non-empty array of strings', value);
}

function isPort(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

function checkPort(value: unknown): void {
  if (isPort(value)) return;
  if (Array.isArray(value) && value.length > 0 && value.every(isPort)) return;
  fail('port', 'an integer 1-65535 or a non-empty array of them', value);
}

function checkDuration(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(name, 'a number of milliseconds, 0 or more', value);
  }
  if (value > MAX_TIMER_MS) fail(name, `at most ${MAX_TIMER_MS} milliseconds`, value);
}

function checkInteger(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(name, `an integer from ${min} to ${max}`, value);
  }
}

function checkBoolean(name: string, value: unknown): void {
  if (typeof value !== 'boolean') fail(name, 'true or false', value);
}

function checkEnum(name: string, value: unknown, allowed: readonly string[]): void {
  if (typeof value !== 'string' || !allowed.includes(value)) fail(name, `one of ${allowed.join(', ')}`, value);
}

function checkSettings(value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('serverSettings', 'an object of string values', value);
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new InterfaceError(
        `Invalid option serverSettings.${key}: expected a string, got ${describe(v)}. Pass the value as PostgreSQL would read it, e.g. String(v).`,
      );
    }
  }
}

/** Throws an InterfaceError for an option name ConnectOptions does not have, with the likely intended name. */
function unknownOption(name: string): never {
  const suggestion = ALIASES[name] ?? closestName(name, CONNECT_OPTION_NAMES);
  throw new InterfaceError(`Unknown option "${name}".${didYouMean(suggestion)}`);
}

/**
 * Checks every key and value of a ConnectOptions object. Keys whose value is
 * undefined count as not given (but must still be known names).
 */
export function validateOptions(options: unknown): ConnectOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new InterfaceError(`Invalid options: expected an object, got ${describe(options)}.`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (!Object.hasOwn(OPTION_KEYS, name)) unknownOption(name);
    if (value === undefined) continue;
    checkValue(name as keyof ConnectOptions, value);
    out[name] = value;
  }
  return out as ConnectOptions;
}

function checkValue(name: keyof ConnectOptions, value: unknown): void {
  switch (name) {
    case 'host':
    case 'hostaddr':
      checkStringOrList(name, value);
      return;
    case 'port':
      checkPort(value);
      return;
    case 'password':
      if (typeof value !== 'string' && typeof value !== 'function') fail(name, 'a string or a function', value);
      return;
    case 'ssl':
      if (typeof value === 'boolean') return;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return;
      checkEnum(name, value, VALID_VALUES.sslmode);
      return;
    case 'sslmode':
      checkEnum(name, value, VALID_VALUES.sslmode);
      return;
    case 'sslcertmode':
      checkEnum(name, value, VALID_VALUES.sslcertmode);
      return;
    case 'sslnegotiation':
      checkEnum(name, value, VALID_VALUES.sslnegotiation);
      return;
    case 'sslMinProtocolVersion':
    case 'sslMaxProtocolVersion':
      checkEnum(name, value, VALID_VALUES.tlsVersion);
      return;
    case 'channelBinding':
      checkEnum(name, value, VALID_VALUES.channelBinding);
      return;
    case 'minProtocolVersion':
    case 'maxProtocolVersion':
      checkEnum(name, value, VALID_VALUES.protocolVersion);
      return;
    case 'allowUnencryptedPassword':
      checkBoolean(name, value);
      return;
    case 'targetSessionAttrs':
      checkEnum(name, value, VALID_VALUES.targetSessionAttrs);
      return;
    case 'loadBalanceHosts':
      checkEnum(name, value, VALID_VALUES.loadBalanceHosts);
      return;
    case 'rowMode':
      checkEnum(name, value, VALID_VALUES.rowMode);
      return;
    case 'sslsni':
    case 'keepAlive':
      checkBoolean(name, value);
      return;
    case 'connectTimeout':
    case 'commandTimeout':
    case 'keepAliveInitialDelay':
      checkDuration(name, value);
      return;
    case 'statementCacheSize':
      checkInteger(name, value, 0, 1_000_000);
      return;
    case 'maxCachedStatementLifetime':
      checkDuration(name, value);
      return;
    case 'maxCacheableStatementSize':
      checkInteger(name, value, 0, 0x7fffffff);
      return;
    case 'statementMode':
      checkEnum(name, value, ['auto', 'named', 'unnamed']);
      return;
    case 'maxMessageSize':
      checkInteger(name, value, 1024, 0x7fffffff);
      return;
    case 'serverSettings':
      checkSettings(value);
      return;
    case 'types':
      validateTypeOptions(value);
      return;
    case 'user':
    case 'database':
    case 'passfile':
    case 'sslrootcert':
    case 'sslcert':
    case 'sslkey':
    case 'sslpassword':
    case 'sslcrl':
    case 'sslcrldir':
    case 'requireAuth':
    case 'applicationName':
    case 'fallbackApplicationName':
    case 'options':
    case 'clientEncoding':
    case 'service':
    case 'servicefile':
      checkString(name, value);
      return;
  }
}
