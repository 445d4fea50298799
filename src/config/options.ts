/**
 * The public shape of connection settings: what a caller may pass to
 * `connect()` (ConnectOptions) and what the driver works from once every
 * source has been merged and checked (ResolvedConfig).
 *
 * Naming: a libpq keyword without an underscore keeps its spelling (sslmode,
 * passfile, hostaddr); one with underscores becomes camelCase
 * (connect_timeout -> connectTimeout). Every duration is in milliseconds,
 * even where the libpq keyword counts seconds.
 */
import type { ConnectionOptions } from 'node:tls';
import type { TypeOptions } from '../types/options.js';

/** libpq's sslmode: how much TLS to insist on and how much to verify. */
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

/** libpq's target_session_attrs: which kind of server a connection accepts. */
export type TargetSessionAttrs = 'any' | 'read-write' | 'read-only' | 'primary' | 'standby' | 'prefer-standby';

/** libpq's channel_binding: whether SCRAM must bind to the TLS channel. */
export type ChannelBinding = 'disable' | 'prefer' | 'require';

/** libpq's sslnegotiation: a PostgreSQL SSLRequest first, or TLS straight away (PostgreSQL 17+). */
export type SslNegotiation = 'postgres' | 'direct';

/** A TLS protocol version as libpq spells it. */
export type TlsProtocolVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** How statements are prepared on the server; see ConnectOptions.statementMode. */
export type StatementMode = 'auto' | 'named' | 'unnamed';

/**
 * A frontend/backend protocol version as libpq's min_protocol_version and
 * max_protocol_version spell it; `latest` is the newest pgjet speaks (3.2).
 */
export type ProtocolVersionName = '3.0' | '3.2' | 'latest';

/** How rows are returned: objects keyed by column name, or arrays in column order. */
export type RowMode = 'object' | 'array';

/** A password, or a function called at each connection attempt to fetch one (for rotating tokens). */
export type PasswordOption = string | (() => string | Promise<string>);

/** An authentication method name as libpq's require_auth spells it. */
export type AuthMethod = 'password' | 'md5' | 'gss' | 'sspi' | 'scram-sha-256' | 'oauth' | 'none';

/**
 * Options accepted by `connect(dsn?, options?)`. Anything left out comes from
 * the DSN, then the service file, then PG* environment variables, then the
 * defaults, the same order libpq uses. Unknown keys are refused, so a typo
 * such as `conectTimeout` fails loudly instead of being ignored.
 */
export interface ConnectOptions {
  /**
   * Host name, IP address, or Unix socket directory (a path starting with
   * `/`). Several hosts (array, or a comma-separated string) are tried in
   * order. Default: PGHOST, else a local Unix socket if one is listening in
   * /var/run/postgresql or /tmp, else `localhost`.
   */
  host?: string | string[];
  /**
   * Numeric IP address for each host, used instead of a name lookup; the
   * host name is still used for TLS verification and .pgpass (libpq's hostaddr).
   */
  hostaddr?: string | string[];
  /** Port, or one port per host. Default: PGPORT, else 5432. */
  port?: number | number[];
  /** Role to log in as. Default: PGUSER, else the operating system user name. */
  user?: string;
  /**
   * Password, or a function called at every connection attempt (useful for
   * short-lived tokens such as cloud IAM auth). Default: PGPASSWORD, else the
   * matching .pgpass entry.
   */
  password?: PasswordOption;
  /** Database name. Default: PGDATABASE, else the user name. */
  database?: string;
  /** Path of the password file. Default: PGPASSFILE, else ~/.pgpass. */
  passfile?: string;
  /**
   * Shorthand for TLS. `true` means verify-full against the system's trusted root
   * certificates (like asyncpg), `false` means disable, a string is an
   * sslmode, and a `tls.ConnectionOptions` object means TLS with those options
   * (verify-full unless it sets `rejectUnauthorized: false`, then require;
   * add `sslmode` to choose another mode). The object's fields win over
   * those derived from the ssl* options.
   */
  ssl?: boolean | SslMode | ConnectionOptions;
  /** libpq's sslmode. Default: PGSSLMODE, else `prefer` (`verify-full` when sslrootcert is `system`). */
  sslmode?: SslMode;
  /**
   * File of trusted root certificates (PEM), or `system` for the system's trusted
   * roots (which implies verify-full). Default: ~/.postgresql/root.crt if it
   * exists; verify-ca and verify-full without any root certificate are refused,
   * as in libpq. When a root certificate is present, require (and prefer,
   * allow) also check the certificate chain, as libpq does.
   */
  sslrootcert?: string;
  /** Client certificate file (PEM). Default: ~/.postgresql/postgresql.crt if it exists. */
  sslcert?: string;
  /** Client private key file (PEM). Default: ~/.postgresql/postgresql.key if it exists. */
  sslkey?: string;
  /** Passphrase of an encrypted sslkey. */
  sslpassword?: string;
  /** Certificate revocation list file (PEM). Default: ~/.postgresql/root.crl if it exists. */
  sslcrl?: string;
  /** Directory of certificate revocation list files (PEM). */
  sslcrldir?: string;
  /** Send the host name in TLS SNI (never for an IP address). Default true. */
  sslsni?: boolean;
  /** `disable` never sends a client certificate; `allow` sends one if configured. Default `allow`. */
  sslcertmode?: 'disable' | 'allow';
  /**
   * `direct` starts TLS at once, without an SSLRequest, and insists on the
   * ALPN protocol `postgresql` (PostgreSQL 17+; needs sslmode require or
   * stronger). Saves a round trip. Default `postgres`.
   */
  sslnegotiation?: SslNegotiation;
  /** Lowest TLS version accepted. Default `TLSv1.2`, as libpq. */
  sslMinProtocolVersion?: TlsProtocolVersion;
  /** Highest TLS version accepted. Default: no limit. */
  sslMaxProtocolVersion?: TlsProtocolVersion;
  /** SCRAM channel binding. `require` fails unless SCRAM-SHA-256-PLUS is used over TLS. Default `prefer`. */
  channelBinding?: ChannelBinding;
  /**
   * Authentication methods the server may ask for, comma-separated as in
   * libpq (`scram-sha-256`, `!password,!md5`, ...). Default: any.
   */
  requireAuth?: string;
  /**
   * Send a password in cleartext or as an MD5 hash over a connection that is
   * not encrypted (plain TCP or a Unix socket) when the server asks for the
   * `password` or `md5` method. Off by default: such a password can be read
   * or replayed by anyone on the path. SCRAM is never affected. Default false.
   */
  allowUnencryptedPassword?: boolean;
  /** Lowest protocol version accepted from the server (libpq's min_protocol_version). Default `3.0`. */
  minProtocolVersion?: ProtocolVersionName;
  /**
   * Protocol version requested (libpq's max_protocol_version). `3.2`
   * (PostgreSQL 18) brings a longer cancel key; older servers answer with
   * NegotiateProtocolVersion and the connection uses 3.0. Default `3.0`, or
   * `latest` when minProtocolVersion is above 3.0.
   */
  maxProtocolVersion?: ProtocolVersionName;
  /**
   * Time limit in milliseconds for each host attempt, including TLS and
   * authentication; 0 waits forever. Default 60000. (The libpq keyword
   * connect_timeout and PGCONNECT_TIMEOUT count whole seconds and are converted.)
   */
  connectTimeout?: number;
  /** Default time limit in milliseconds for each command; the server is asked to cancel it when it runs over. Default: none. */
  commandTimeout?: number;
  /**
   * Run-time parameters sent in the startup message, such as
   * `{ search_path: 'app', statement_timeout: '5s' }`.
   */
  serverSettings?: Record<string, string>;
  /** application_name shown in pg_stat_activity. Default: PGAPPNAME. */
  applicationName?: string;
  /** application_name to use when none is given anywhere else. */
  fallbackApplicationName?: string;
  /** libpq's "options" string of command-line switches for the server, e.g. `-c search_path=app`. Default: PGOPTIONS. */
  options?: string;
  /** Client encoding; only UTF8 is accepted, because strings are decoded as UTF-8. */
  clientEncoding?: string;
  /** TCP keepalive on the socket. Default true. */
  keepAlive?: boolean;
  /** Idle time in milliseconds before the first keepalive probe; 0 keeps the OS default. Default 0. */
  keepAliveInitialDelay?: number;
  /** Number of prepared statements cached per connection; 0 turns the cache off. Default 100. */
  statementCacheSize?: number;
  /**
   * Milliseconds a cached statement may live before it is prepared afresh;
   * 0 keeps statements until evicted. Default 300000 (5 minutes).
   */
  maxCachedStatementLifetime?: number;
  /** Statements whose SQL text is longer than this many bytes are not cached. Default 15360 (15 KiB). */
  maxCacheableStatementSize?: number;
  /**
   * How statements are prepared on the server:
   * - `named` (default with a cache): server-side named statements, cached per connection;
   * - `unnamed`: only the unnamed statement, parsed in the same flight as each execution, so nothing
   *   outlives a transaction (for PgBouncer in transaction or statement pooling mode);
   * - `auto`: `named`, switching to `unnamed` (and saying so once through the log listeners) when
   *   the server reports a missing or duplicate prepared statement, the sign of a pooler in front.
   * Default `auto`; `statementCacheSize: 0` implies `unnamed`.
   */
  statementMode?: StatementMode;
  /** Which server to accept when several hosts are given. Default `any`. */
  targetSessionAttrs?: TargetSessionAttrs;
  /** `random` tries the hosts in random order. Default `disable`. */
  loadBalanceHosts?: 'disable' | 'random';
  /** Name of a section in the connection service file. Default: PGSERVICE. */
  service?: string;
  /** Path of the connection service file. Default: PGSERVICEFILE, else ~/.pg_service.conf. */
  servicefile?: string;
  /** Shape of returned rows. Default `object`. */
  rowMode?: RowMode;
  /**
   * Mapping choices for common types: int8 as bigint (default), number or
   * string; a numeric decoder (for a decimal library); the JSON parse and
   * stringify functions; timestamps as Date (default) or string. See docs/types.md.
   *
   * @example connect({ types: { int8: 'number', numericDecoder: (s) => new Decimal(s) } })
   */
  types?: TypeOptions;
  /** Largest message accepted from the server, in bytes; a bigger one ends the connection. Default 1 GiB. */
  maxMessageSize?: number;
}

/** One place to connect to. A host starting with `/` is a Unix socket directory. */
export interface HostTarget {
  /** Host name, IP address, or Unix socket directory. */
  readonly host: string;
  /** TCP port, or the number in the socket file name `.s.PGSQL.<port>`. */
  readonly port: number;
  /** Numeric address to connect to instead of looking up `host`, if given. */
  readonly hostaddr: string | undefined;
}

/** require_auth, parsed: the listed methods are the only ones allowed, or (negated) the ones refused. */
export interface RequireAuth {
  /** True when every method was written with `!`: the list names refused methods. */
  readonly negated: boolean;
  /** The methods named. */
  readonly methods: readonly AuthMethod[];
}

/** Settings after merging every source and filling in defaults; what a connection is made from. */
export interface ResolvedConfig {
  /** Hosts to try, in order. */
  readonly hosts: readonly HostTarget[];
  /** Role to log in as. */
  readonly user: string;
  /** The password as given (string or function), or undefined to consult .pgpass per host. */
  readonly password: PasswordOption | undefined;
  /** Database name. */
  readonly database: string;
  /** Password file to consult when no password was given. */
  readonly passfile: string;
  /** Effective sslmode. */
  readonly sslmode: SslMode;
  /**
   * What the server certificate is checked against: nothing, the CA chain,
   * or the CA chain and the host name. As in libpq, allow, prefer and
   * require check the chain when a root certificate file is present (unless
   * the ssl object sets rejectUnauthorized: false).
   */
  readonly sslVerify: 'none' | 'ca' | 'full';
  /** Base TLS options (certificates already read from disk), or undefined when sslmode is disable. */
  readonly ssl: ConnectionOptions | undefined;
  /** How TLS is started. */
  readonly sslnegotiation: SslNegotiation;
  /** Whether to send SNI. */
  readonly sslsni: boolean;
  /** SCRAM channel binding policy. */
  readonly channelBinding: ChannelBinding;
  /** Allowed or refused authentication methods, if restricted. */
  readonly requireAuth: RequireAuth | undefined;
  /** Whether a cleartext or MD5 password may go over an unencrypted connection. */
  readonly allowUnencryptedPassword: boolean;
  /** Lowest acceptable protocol minor version (3.x): 0 or 2. */
  readonly minProtocolMinor: number;
  /** Protocol minor version requested in the StartupMessage: 0 or 2. */
  readonly maxProtocolMinor: number;
  /** Milliseconds per host attempt; 0 means no limit. */
  readonly connectTimeout: number;
  /** Default command time limit in milliseconds, or undefined for none. */
  readonly commandTimeout: number | undefined;
  /** application_name sent to the server, if any. */
  readonly applicationName: string | undefined;
  /**
   * Every startup parameter besides user and database: application_name,
   * options, TimeZone (from PGTZ), the caller's serverSettings, and always
   * client_encoding=UTF8.
   */
  readonly serverSettings: Readonly<Record<string, string>>;
  /** TCP keepalive on or off. */
  readonly keepAlive: boolean;
  /** Milliseconds before the first keepalive probe; 0 keeps the OS default. */
  readonly keepAliveInitialDelay: number;
  /** Prepared statements cached per connection. */
  readonly statementCacheSize: number;
  /** Milliseconds a cached statement lives; 0 = no limit. */
  readonly maxCachedStatementLifetime: number;
  /** Longest SQL text (bytes) that is cached. */
  readonly maxCacheableStatementSize: number;
  /** Named or unnamed statements, or auto-detect a pooler. */
  readonly statementMode: StatementMode;
  /** Which server to accept. */
  readonly targetSessionAttrs: TargetSessionAttrs;
  /** Host order policy. */
  readonly loadBalanceHosts: 'disable' | 'random';
  /** Shape of returned rows. */
  readonly rowMode: RowMode;
  /** Type mapping choices, checked and frozen. */
  readonly types: Readonly<TypeOptions>;
  /** Largest accepted server message in bytes. */
  readonly maxMessageSize: number;
}

/** Default port when none is given anywhere. */
export const DEFAULT_PORT = 5432;
/** Default connectTimeout in milliseconds: a dead host must not hang a caller forever. */
export const DEFAULT_CONNECT_TIMEOUT = 60_000;
/** Default statementCacheSize. */
export const DEFAULT_STATEMENT_CACHE_SIZE = 100;
/** Default maxMessageSize: 1 GiB, the largest value PostgreSQL stores in one field. */
export const DEFAULT_MAX_MESSAGE_SIZE = 1 << 30;

/** The socket file for a Unix-socket target, or undefined for a TCP target. */
export function socketPath(target: Pick<HostTarget, 'host' | 'port'>): string | undefined {
  if (!isSocketDirectory(target.host)) return undefined;
  const dir = target.host.length > 1 && target.host.endsWith('/') ? target.host.slice(0, -1) : target.host;
  return `${dir}/.s.PGSQL.${target.port}`;
}

/** True when a host value names a Unix socket directory rather than a network host. */
export function isSocketDirectory(host: string): boolean {
  return host.startsWith('/');
}
