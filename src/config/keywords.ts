/**
 * libpq's connection keywords: the names a URL query, a key=value string, a
 * service file and the PG* environment all speak, and the one mapping from
 * those string values to typed ConnectOptions fields.
 *
 * Keywords pgjet cannot honour are handled in one of two ways. Those that
 * only tune or enable something optional (keepalives_interval, krbsrvname,
 * sslcompression, ...) are checked for form and then have no effect. Those
 * that demand something pgjet does not do (gssencmode=require, requirepeer,
 * replication, sslcertmode=require) are
 * refused, because ignoring them would weaken what the user asked for.
 */
import { InterfaceError } from '../errors/client.js';
import type {
  ChannelBinding,
  ConnectOptions,
  ProtocolVersionName,
  SslMode,
  SslNegotiation,
  TargetSessionAttrs,
  TlsProtocolVersion,
} from './options.js';
import { DEFAULT_PORT } from './options.js';
import { closestName, didYouMean } from './suggest.js';

/** Every keyword libpq accepts, with the environment variable that supplies it (if any). */
export const LIBPQ_KEYWORDS: ReadonlyMap<string, string | undefined> = new Map<string, string | undefined>([
  ['host', 'PGHOST'],
  ['hostaddr', 'PGHOSTADDR'],
  ['port', 'PGPORT'],
  ['dbname', 'PGDATABASE'],
  ['user', 'PGUSER'],
  ['password', 'PGPASSWORD'],
  ['passfile', 'PGPASSFILE'],
  ['service', 'PGSERVICE'],
  ['servicefile', 'PGSERVICEFILE'],
  ['require_auth', 'PGREQUIREAUTH'],
  ['channel_binding', 'PGCHANNELBINDING'],
  ['connect_timeout', 'PGCONNECT_TIMEOUT'],
  ['client_encoding', 'PGCLIENTENCODING'],
  ['options', 'PGOPTIONS'],
  ['application_name', 'PGAPPNAME'],
  ['fallback_application_name', undefined],
  ['keepalives', undefined],
  ['keepalives_idle', undefined],
  ['keepalives_interval', undefined],
  ['keepalives_count', undefined],
  ['tcp_user_timeout', undefined],
  ['sslmode', 'PGSSLMODE'],
  ['sslnegotiation', 'PGSSLNEGOTIATION'],
  ['sslcompression', 'PGSSLCOMPRESSION'],
  ['sslcert', 'PGSSLCERT'],
  ['sslkey', 'PGSSLKEY'],
  ['sslkeylogfile', undefined],
  ['sslcertmode', 'PGSSLCERTMODE'],
  ['sslpassword', undefined],
  ['sslrootcert', 'PGSSLROOTCERT'],
  ['sslcrl', 'PGSSLCRL'],
  ['sslcrldir', 'PGSSLCRLDIR'],
  ['sslsni', 'PGSSLSNI'],
  ['requirepeer', 'PGREQUIREPEER'],
  ['ssl_min_protocol_version', 'PGSSLMINPROTOCOLVERSION'],
  ['ssl_max_protocol_version', 'PGSSLMAXPROTOCOLVERSION'],
  ['min_protocol_version', 'PGMINPROTOCOLVERSION'],
  ['max_protocol_version', 'PGMAXPROTOCOLVERSION'],
  ['gssencmode', 'PGGSSENCMODE'],
  ['krbsrvname', 'PGKRBSRVNAME'],
  ['gsslib', 'PGGSSLIB'],
  ['gssdelegation', 'PGGSSDELEGATION'],
  ['replication', undefined],
  ['target_session_attrs', 'PGTARGETSESSIONATTRS'],
  ['load_balance_hosts', 'PGLOADBALANCEHOSTS'],
  ['oauth_issuer', undefined],
  ['oauth_client_id', undefined],
  ['oauth_client_secret', undefined],
  ['oauth_scope', undefined],
  ['scram_client_key', undefined],
  ['scram_server_key', undefined],
]);

/**
 * Where keywords came from, for error messages: `where` reads like
 * `in the connection URL`; `name` turns a keyword into what the user wrote
 * (the keyword itself, or its environment variable).
 */
export interface KeywordSource {
  readonly where: string;
  readonly name?: (keyword: string) => string;
}

/** True for a keyword libpq knows. */
export function isKeyword(name: string): boolean {
  return LIBPQ_KEYWORDS.has(name);
}

/** Throws an InterfaceError for an unknown keyword, suggesting the closest known one. */
export function assertKeyword(name: string, where: string): void {
  if (isKeyword(name)) return;
  throw new InterfaceError(
    `Unknown connection parameter "${name}" ${where}.${didYouMean(closestName(name, LIBPQ_KEYWORDS.keys()))}` +
      ' Parameters use libpq\'s names (host, port, dbname, user, sslmode, connect_timeout, ...).',
  );
}

const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
const TARGET_SESSION_ATTRS: readonly TargetSessionAttrs[] = [
  'any',
  'read-write',
  'read-only',
  'primary',
  'standby',
  'prefer-standby',
];
const CHANNEL_BINDINGS: readonly ChannelBinding[] = ['disable', 'prefer', 'require'];
const SSL_NEGOTIATIONS: readonly SslNegotiation[] = ['postgres', 'direct'];
const TLS_VERSIONS: readonly TlsProtocolVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const PROTOCOL_VERSIONS: readonly ProtocolVersionName[] = ['3.0', '3.2', 'latest'];

/** Lists of valid values by kind, shared with the options-object checks. */
export const VALID_VALUES = {
  sslmode: SSL_MODES,
  targetSessionAttrs: TARGET_SESSION_ATTRS,
  channelBinding: CHANNEL_BINDINGS,
  sslnegotiation: SSL_NEGOTIATIONS,
  tlsVersion: TLS_VERSIONS,
  protocolVersion: PROTOCOL_VERSIONS,
  loadBalanceHosts: ['disable', 'random'] as const,
  sslcertmode: ['disable', 'allow'] as const,
  rowMode: ['object', 'array'] as const,
};

/** The value if it is one of `allowed`, else an InterfaceError naming the source and the choices. */
export function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new InterfaceError(`Invalid ${what}: "${value}". Use one of: ${allowed.join(', ')}.`);
}

/** Parses an integer the way libpq does (optional sign, surrounding blanks). */
function parseInteger(value: string, what: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(value)) {
    throw new InterfaceError(`Invalid ${what}: "${value}" is not an integer.`);
  }
  return Number.parseInt(value, 10);
}

function nonNegative(value: string, what: string): number {
  const n = parseInteger(value, what);
  if (n < 0) throw new InterfaceError(`Invalid ${what}: "${value}" must not be negative.`);
  return n;
}

/** Longest delay a Node timer honours, in whole seconds (2^31-1 ms). */
const MAX_TIMER_SECONDS = Math.floor(0x7fffffff / 1000);

function seconds(value: string, what: string): number {
  const n = nonNegative(value, `${what} (seconds)`);
  if (n > MAX_TIMER_SECONDS) {
    throw new InterfaceError(`Invalid ${what}: ${n} seconds is more than the largest supported, ${MAX_TIMER_SECONDS}.`);
  }
  return n * 1000;
}

/** Parses one port; an empty entry means the default port, as in libpq. */
export function parsePort(value: string, what: string): number {
  const text = value.trim();
  if (text === '') return DEFAULT_PORT;
  if (!/^\d+$/.test(text)) throw new InterfaceError(`Invalid ${what}: "${value}" is not a port number (1-65535).`);
  const n = Number.parseInt(text, 10);
  if (n < 1 || n > 65535) throw new InterfaceError(`Invalid ${what}: ${n} is outside the port range 1-65535.`);
  return n;
}

const FALSE_WORDS = ['0', 'off', 'false', 'no', 'f', 'n'];
const TRUE_WORDS = ['1', 'on', 'true', 'yes', 't', 'y'];

function parseBoolean(value: string, what: string): boolean {
  const v = value.trim().toLowerCase();
  if (FALSE_WORDS.includes(v)) return false;
  if (TRUE_WORDS.includes(v)) return true;
  throw new InterfaceError(`Invalid ${what}: "${value}". Use 1 or 0.`);
}

/** A libpq-style comma list, each entry trimmed; empty entries are kept (they mean "default"). */
export function splitList(value: string): string[] {
  return value.split(',').map((s) => s.trim());
}

/**
 * Maps libpq keywords to ConnectOptions fields, checking each value.
 * Durations given in seconds (connect_timeout, keepalives_idle) become
 * milliseconds. An empty value counts as not given.
 */
export function keywordsToOptions(keywords: Readonly<Record<string, string>>, source: KeywordSource): ConnectOptions {
  const out: ConnectOptions = {};
  for (const [key, value] of Object.entries(keywords)) {
    assertKeyword(key, source.where);
    const what = `${source.name ? source.name(key) : key} ${source.where}`;
    if (value === '') continue;
    switch (key) {
      case 'host':
        out.host = splitList(value);
        break;
      case 'hostaddr':
        out.hostaddr = splitList(value);
        break;
      case 'port':
        out.port = splitList(value).map((p) => parsePort(p, what));
        break;
      case 'dbname':
        out.database = value;
        break;
      case 'user':
        out.user = value;
        break;
      case 'password':
        out.password = value;
        break;
      case 'passfile':
        out.passfile = value;
        break;
      case 'service':
        out.service = value;
        break;
      case 'servicefile':
        out.servicefile = value;
        break;
      case 'require_auth':
        out.requireAuth = value;
        break;
      case 'channel_binding':
        out.channelBinding = oneOf(value, CHANNEL_BINDINGS, what);
        break;
      case 'connect_timeout':
        // libpq counts whole seconds here; pgjet works in milliseconds.
        out.connectTimeout = seconds(value, what);
        break;
      case 'client_encoding':
        out.clientEncoding = value;
        break;
      case 'options':
        out.options = value;
        break;
      case 'application_name':
        out.applicationName = value;
        break;
      case 'fallback_application_name':
        out.fallbackApplicationName = value;
        break;
      case 'keepalives':
        out.keepAlive = parseInteger(value, what) !== 0;
        break;
      case 'keepalives_idle':
        out.keepAliveInitialDelay = seconds(value, what);
        break;
      case 'keepalives_interval':
      case 'keepalives_count':
      case 'tcp_user_timeout':
        // Node sets only the idle time of keepalive; these are checked, then have no effect.
        nonNegative(value, what);
        break;
      case 'sslmode':
        out.sslmode = oneOf(value, SSL_MODES, what);
        break;
      case 'sslnegotiation':
        out.sslnegotiation = oneOf(value, SSL_NEGOTIATIONS, what);
        break;
      case 'sslcompression':
        // TLS compression is off in every modern TLS stack; accepted for compatibility.
        parseBoolean(value, what);
        break;
      case 'sslcert':
        out.sslcert = value;
        break;
      case 'sslkey':
        out.sslkey = value;
        break;
      case 'sslcertmode': {
        const mode = oneOf(value, ['disable', 'allow', 'require'] as const, what);
        if (mode === 'require') {
          throw new InterfaceError(
            `${what} = require is not supported: Node cannot tell whether the server asked for a client certificate. Use "allow" or "disable".`,
          );
        }
        out.sslcertmode = mode;
        break;
      }
      case 'sslpassword':
        out.sslpassword = value;
        break;
      case 'sslrootcert':
        out.sslrootcert = value;
        break;
      case 'sslcrl':
        out.sslcrl = value;
        break;
      case 'sslcrldir':
        out.sslcrldir = value;
        break;
      case 'sslsni':
        out.sslsni = parseBoolean(value, what);
        break;
      case 'requirepeer':
        throw new InterfaceError(
          `${what} is not supported: Node cannot read the peer credentials of a Unix socket, and ignoring the check would be unsafe. Remove requirepeer.`,
        );
      case 'ssl_min_protocol_version':
        out.sslMinProtocolVersion = oneOf(value, TLS_VERSIONS, what);
        break;
      case 'ssl_max_protocol_version':
        out.sslMaxProtocolVersion = oneOf(value, TLS_VERSIONS, what);
        break;
      case 'min_protocol_version':
        out.minProtocolVersion = oneOf(value, PROTOCOL_VERSIONS, what);
        break;
      case 'max_protocol_version':
        out.maxProtocolVersion = oneOf(value, PROTOCOL_VERSIONS, what);
        break;
      case 'gssencmode':
        if (oneOf(value, ['disable', 'prefer', 'require'] as const, what) === 'require') {
          throw new InterfaceError(`${what} = require is not supported: pgjet has no GSSAPI encryption. Use sslmode for encryption.`);
        }
        break;
      case 'gssdelegation':
        parseBoolean(value, what);
        break;
      case 'replication':
        if (parseReplication(value, what)) {
          throw new InterfaceError(`${what} = ${value} is not supported: pgjet does not speak the replication protocol.`);
        }
        break;
      case 'target_session_attrs':
        out.targetSessionAttrs = oneOf(value, TARGET_SESSION_ATTRS, what);
        break;
      case 'load_balance_hosts':
        out.loadBalanceHosts = oneOf(value, ['disable', 'random'] as const, what);
        break;
      case 'krbsrvname':
      case 'gsslib':
      case 'sslkeylogfile':
      case 'oauth_issuer':
      case 'oauth_client_id':
      case 'oauth_client_secret':
      case 'oauth_scope':
      case 'scram_client_key':
      case 'scram_server_key':
        // Only used by authentication methods pgjet does not implement.
        break;
    }
  }
  return out;
}

function parseReplication(value: string, what: string): boolean {
  if (value === 'database') return true;
  try {
    return parseBoolean(value, what);
  } catch {
    throw new InterfaceError(`Invalid ${what}: "${value}". pgjet supports only replication=false.`);
  }
}
