/**
 * connect(): resolve the configuration, then try each host in order (TCP or
 * Unix socket, SSL negotiation per sslmode, startup and authentication)
 * under connectTimeout, and hand back a ready Connection.
 */
import { ConnectionError, InterfaceError, PgjetError, TimeoutError } from '../errors/client.js';
import { PostgresError } from '../errors/postgres-error.js';
import type { ConnectOptions, HostTarget, ResolvedConfig } from '../config/options.js';
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
import { openTransport } from './transport.js';
import type { OpenedTransport } from './transport.js';

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
  for (const target of hosts) {
    try {
      return await connectHost(config, target);
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
  if (errors.length === 1) throw errors[0]!;
  throw new ConnectionError(
    `could not connect to any of ${hosts.length} hosts:\n` + errors.map((e) => `  - ${e.message}`).join('\n'),
    { cause: errors[errors.length - 1] },
  );
}

async function connectHost(config: ResolvedConfig, target: HostTarget): Promise<Connection> {
  const mode = config.sslmode;
  const unix = target.host.startsWith('/');
  if (unix || mode === 'disable') return attempt(config, target, false);
  if (mode === 'allow') {
    try {
      return await attempt(config, target, false);
    } catch (e) {
      // The server refused a plaintext connection (pg_hba hostssl): retry with TLS.
      if (e instanceof PostgresError && e.sqlstate === '28000') return attempt(config, target, true);
      throw e;
    }
  }
  if (mode === 'prefer') {
    try {
      return await attempt(config, target, true);
    } catch (e) {
      // libpq's prefer falls back to plaintext when the TLS handshake fails.
      if (e instanceof ConnectionError && /SSL handshake/.test(e.message)) return attempt(config, target, false);
      throw e;
    }
  }
  return attempt(config, target, true);
}


async function attempt(config: ResolvedConfig, target: HostTarget, useTls: boolean): Promise<Connection> {
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
    const transport = await openTransport({
      host: target.hostaddr ?? target.host,
      port: target.port,
      useTls,
      tlsRequired: config.sslmode === 'require' || config.sslmode === 'verify-ca' || config.sslmode === 'verify-full',
      tlsOptions: tlsOptionsForHost(config, target) ?? {},
      keepAlive: config.keepAlive,
      keepAliveInitialDelay: config.keepAliveInitialDelay,
      signal: controller.signal,
      database: config.database,
      user: config.user,
    });
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
        },
        new Settle(resolve, reject),
      );
      const parameters: Record<string, string> = { user: config.user, database: config.database, ...config.serverSettings };
      core.enqueue(req, (w) => encodeFrontend({ type: 'StartupMessage', protocolVersion: PROTOCOL_3_0, parameters }, w));
    });
    core.processId = result.processId;
    core.secretKey = result.secretKey;
    core.state.transition('ready');
    conn = new Connection(core, createBuiltinRegistry(), {
      statementCacheSize: config.statementCacheSize,
      maxCachedStatementLifetime: config.maxCachedStatementLifetime,
      maxCacheableStatementSize: config.maxCacheableStatementSize,
      statementMode: config.statementMode,
      commandTimeout: config.commandTimeout,
      rowMode: config.rowMode,
    });
    return conn;
  } catch (e) {
    core.destroy(e instanceof Error ? e : undefined);
    if (e instanceof PgjetError) throw e;
    throw new ConnectionError(`connection startup with ${target.host}:${target.port} failed: ${String(e)}`, { cause: e });
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
