/**
 * connect(): resolve the configuration, then try each host in order (TCP or
 * Unix socket, SSL negotiation per sslmode, startup and authentication)
 * under connectTimeout, and hand back a ready Connection.
 */
import { UnencryptedPasswordError } from '../auth/policy.js';
import { ConnectionError, InterfaceError, PgjetError, TimeoutError } from '../errors/client.js';
import { PostgresError } from '../errors/postgres-error.js';
import type { ConnectOptions, HostTarget, ResolvedConfig, TargetSessionAttrs } from '../config/options.js';
import { resolveConfig } from '../config/resolve.js';
import { resolvePassword } from '../config/password.js';
import { tlsOptionsForHost } from '../config/tls.js';
import { encodeFrontend } from '../protocol/frontend.js';
import { PROTOCOL_3_0 } from '../protocol/messages.js';
import { createBuiltinRegistry } from '../types/registry.js';
import { Connection } from './connection.js';
import { ConnectionCore } from './core.js';
import { Settle } from './requests.js';
import { StartupRequest } from './startup.js';
import type { StartupResult } from './startup.js';
import { openTransport, TlsHandshakeError } from './transport.js';
import type { OpenedTransport, TransportOptions } from './transport.js';

/**
 * Open a connection.
 *
 * @param dsn A `postgres://` URL or a libpq `key=value` string; or the options object.
 * @param options Options; these win over the DSN, which wins over PG* environment variables.
 *
 * @example
 * const conn = await connect('postgres://app@localhost/appdb');
 * const conn2 = await connect({ host: '/var/run/postgresql', database: 'appdb' });
 */
export async function connect(dsn?: string | ConnectOptions, options?: ConnectOptions): Promise<Connection> {
  let config: ResolvedConfig;
  if (typeof dsn === 'object' && dsn !== null) {
    if (options !== undefined) {
      throw new InterfaceError('connect(): pass either connect(dsn, options) or connect(options), not two option objects');
    }
    config = await resolveConfig(undefined, dsn);
  } else {
    config = await resolveConfig(dsn, options);
  }
  return connectWithConfig(config);
}

/** Connect with an already resolved configuration (used by the pool). */
export async function connectWithConfig(config: ResolvedConfig): Promise<Connection> {
  const hosts = config.loadBalanceHosts === 'random' ? shuffle([...config.hosts]) : config.hosts;
  const errors: Error[] = [];
  const attrs = config.targetSessionAttrs;
  // prefer-standby: a standby wins; else the first server that answered (libpq's second pass, without reconnecting).
  let fallback: Connection | undefined;
  for (const target of hosts) {
    try {
      const conn = await connectHost(config, target);
      let mismatch: string | undefined;
      try {
        mismatch = await sessionMismatch(conn, attrs === 'prefer-standby' ? 'standby' : attrs);
      } catch (e) {
        conn.terminate();
        throw e;
      }
      if (mismatch === undefined) {
        if (fallback !== undefined) void fallback.close({ timeout: 1000 }).catch(() => undefined);
        return conn;
      }
      if (attrs === 'prefer-standby' && fallback === undefined) fallback = conn;
      else void conn.close({ timeout: 1000 }).catch(() => undefined);
      throw new ConnectionError(
        `the server at ${target.host}:${target.port} does not suit targetSessionAttrs=${attrs}: ${mismatch}`,
        { target: { host: target.host, port: target.port, database: config.database, user: config.user } },
      );
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      // An authentication or missing-database error is final: another host
      // would most likely say the same, and retrying could lock the account.
      if (err instanceof PostgresError && hosts.length > 1 && (err.sqlstate.startsWith('28') || err.sqlstate === '3D000')) {
        throw err;
      }
      errors.push(err);
    }
  }
  if (fallback !== undefined) return fallback;
  if (errors.length === 1) throw errors[0]!;
  throw new ConnectionError(
    `could not connect to any of ${hosts.length} hosts${attrs === 'any' ? '' : ` with targetSessionAttrs=${attrs}`}:\n` + errors.map((e) => `  - ${e.message}`).join('\n'),
    { cause: errors[errors.length - 1] },
  );
}

/**
 * One host, with libpq's sslmode retry paths: `allow` tries plaintext first
 * and retries with TLS when the server refuses during startup (or when the
 * server asked for a password that may not travel unencrypted); `prefer`
 * tries TLS first and retries in plaintext when the handshake fails or the
 * server refuses during startup over TLS. Any other refusal decided on the
 * client side (a policy check, a certificate that does not verify under a
 * verify mode) is never retried.
 */
async function connectHost(config: ResolvedConfig, target: HostTarget): Promise<Connection> {
  const mode = config.sslmode;
  const unix = target.host.startsWith('/');
  if (unix || mode === 'disable') return attempt(config, target, false);
  if (mode === 'allow') {
    try {
      return await attempt(config, target, false);
    } catch (e) {
      // Also when pgjet itself refused to send a password in plaintext: the
      // TLS attempt that allow permits is exactly what makes it safe.
      if (e instanceof PostgresError || e instanceof UnencryptedPasswordError) return retry(config, target, true, e);
      throw e;
    }
  }
  if (mode === 'prefer') {
    const seen = { tls: false };
    try {
      return await attempt(config, target, true, seen);
    } catch (e) {
      if (e instanceof TlsHandshakeError || (e instanceof PostgresError && seen.tls)) return retry(config, target, false, e);
      throw e;
    }
  }
  return attempt(config, target, true);
}

/** The second attempt of allow/prefer; if it fails too, its error says what the first one met. */
async function retry(config: ResolvedConfig, target: HostTarget, useTls: boolean, first: Error): Promise<Connection> {
  try {
    return await attempt(config, target, useTls);
  } catch (e) {
    if (e instanceof PostgresError || !(e instanceof ConnectionError)) throw e;
    throw new ConnectionError(
      `${e.message} (the first attempt, ${useTls ? 'without' : 'with'} TLS under sslmode=${config.sslmode}, failed too: ${first.message})`,
      { cause: e, target: e.target, errno: e.errno },
    );
  }
}

const TLS_REQUIRED = new Set(['require', 'verify-ca', 'verify-full']);

/** Transport settings for a host, shared by the connection and its cancel requests. */
function transportOptions(config: ResolvedConfig, target: HostTarget, useTls: boolean, signal: AbortSignal): TransportOptions {
  return {
    host: target.hostaddr ?? target.host,
    port: target.port,
    useTls,
    tlsRequired: TLS_REQUIRED.has(config.sslmode),
    sslnegotiation: config.sslnegotiation,
    tlsOptions: tlsOptionsForHost(config, target) ?? {},
    keepAlive: config.keepAlive,
    keepAliveInitialDelay: config.keepAliveInitialDelay,
    signal,
    database: config.database,
    user: config.user,
  };
}

/**
 * One connection attempt under connectTimeout. `seen.tls` tells the caller
 * whether TLS was up when it failed (a server that answered 'N' leaves it false).
 */
async function attempt(config: ResolvedConfig, target: HostTarget, useTls: boolean, seen = { tls: false }): Promise<Connection> {
  const controller = new AbortController();
  const where = `${target.host}:${target.port}`;
  const timer =
    config.connectTimeout > 0
      ? setTimeout(
          () =>
            controller.abort(
              new TimeoutError(
                `connecting to ${where} (database "${config.database}", user "${config.user}") timed out after ${config.connectTimeout} ms ` +
                  '(connectTimeout): is the host reachable and the server responsive?',
              ),
            ),
          config.connectTimeout,
        )
      : undefined;
  try {
    const transport = await openTransport(transportOptions(config, target, useTls, controller.signal));
    seen.tls = transport.tls;
    return await startup(config, target, transport, controller.signal);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

async function startup(config: ResolvedConfig, target: HostTarget, transport: OpenedTransport, signal: AbortSignal): Promise<Connection> {
  let conn: Connection | undefined;
  const core = new ConnectionCore(
    transport.socket,
    target.host,
    target.port,
    config.database,
    config.user,
    {
      notice: (m) => conn?.emitNotice(m),
      notification: (n) => conn?.emitNotification(n),
      closed: (e) => conn?.emitClosed(e),
    },
    config.maxMessageSize,
  );
  core.cancelHost = target.hostaddr ?? target.host;
  if (transport.tls) {
    // The cancel connection negotiates TLS exactly as this one did.
    core.cancelSocket = async (cancelSignal) =>
      (await openTransport({ ...transportOptions(config, target, true, cancelSignal), tlsRequired: true })).socket;
  }
  const onAbort = () => core.destroy(signal.reason instanceof Error ? signal.reason : new TimeoutError('connect timed out'));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await new Promise<StartupResult>((resolve, reject) => {
      const req = new StartupRequest(
        {
          host: target.host,
          port: target.port,
          user: config.user,
          database: config.database,
          password: () => resolvePassword(config, target, (w) => process.emitWarning(w)),
          send: (write) => core.writeNow(write),
          fail: (err) => core.destroy(err),
          peerCertificate: transport.tls ? transport.peerCertificate?.raw : undefined,
          auth: {
            channelBinding: config.channelBinding,
            requireAuth: config.requireAuth,
            allowUnencryptedPassword: config.allowUnencryptedPassword,
          },
          requestedMinor: config.maxProtocolMinor,
          minMinor: config.minProtocolMinor,
        },
        new Settle(resolve, reject),
      );
      const parameters: Record<string, string> = { user: config.user, database: config.database, ...config.serverSettings };
      core.enqueue(req, (w) => encodeFrontend({ type: 'StartupMessage', protocolVersion: PROTOCOL_3_0 + config.maxProtocolMinor, parameters }, w));
    });
    core.processId = result.processId;
    core.secretKey = result.secretKey;
    core.state.transition('ready');
    conn = new Connection(core, createBuiltinRegistry(config.types), {
      statementCacheSize: config.statementCacheSize,
      maxCachedStatementLifetime: config.maxCachedStatementLifetime,
      maxCacheableStatementSize: config.maxCacheableStatementSize,
      statementMode: config.statementMode,
      commandTimeout: config.commandTimeout,
      rowMode: config.rowMode,
      customJsonStringify: config.types?.jsonStringify !== undefined,
    });
    await conn.detectPooler();
    conn.connected = true;
    return conn;
  } catch (e) {
    core.destroy(e instanceof Error ? e : undefined);
    if (e instanceof PgjetError) throw e;
    throw new ConnectionError(`connection startup with ${target.host}:${target.port} failed: ${String(e)}`, { cause: e });
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Why a server does not suit `attrs`, or undefined when it does, by libpq's
 * rules: on PostgreSQL 14+ from the in_hot_standby and
 * default_transaction_read_only parameters the server reports at startup
 * (no round trip); on older servers from `SHOW transaction_read_only` or
 * `pg_is_in_recovery()`.
 */
async function sessionMismatch(conn: Connection, attrs: TargetSessionAttrs): Promise<string | undefined> {
  if (attrs === 'any' || attrs === 'prefer-standby') return undefined;
  const settings = conn.getSettings();
  const hotStandby = settings['in_hot_standby'];
  if (attrs === 'read-write' || attrs === 'read-only') {
    const defaultReadOnly = settings['default_transaction_read_only'];
    const readOnly =
      hotStandby !== undefined && defaultReadOnly !== undefined
        ? hotStandby === 'on' || defaultReadOnly === 'on'
        : (await conn.fetchVal<string>('SHOW transaction_read_only')) === 'on';
    if (attrs === 'read-write' && readOnly) return 'the session is read-only';
    if (attrs === 'read-only' && !readOnly) return 'the session is not read-only';
    return undefined;
  }
  const standby = hotStandby !== undefined ? hotStandby === 'on' : (await conn.fetchVal<boolean>('SELECT pg_catalog.pg_is_in_recovery()')) === true;
  if (attrs === 'primary' && standby) return 'the server is in hot standby mode';
  if (attrs === 'standby' && !standby) return 'the server is not in hot standby mode';
  return undefined;
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
