/**
 * libpq-compatible connection settings: URLs and key=value strings, PG*
 * environment variables, .pgpass, pg_service.conf, and checks with clear
 * messages, merged by resolveConfig.
 */
export type {
  AuthMethod,
  ChannelBinding,
  ConnectOptions,
  HostTarget,
  PasswordOption,
  RequireAuth,
  ResolvedConfig,
  RowMode,
  SslMode,
  SslNegotiation,
  TargetSessionAttrs,
  TlsProtocolVersion,
} from './options.js';
export {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_PORT,
  DEFAULT_STATEMENT_CACHE_SIZE,
  isSocketDirectory,
  socketPath,
} from './options.js';
export { looksLikeUrl, parseDsn, parseKeyValue, parseUrl } from './dsn.js';
export { LIBPQ_KEYWORDS, keywordsToOptions } from './keywords.js';
export type { KeywordSource } from './keywords.js';
export { readEnv, envVariableFor } from './env.js';
export type { EnvConfig } from './env.js';
export { findPgpassPassword, lookupPgpass } from './pgpass.js';
export type { WarningHandler } from './pgpass.js';
export { loadService, parseServiceSection, serviceFiles } from './service.js';
export type { ServiceEntry, ServiceSearch } from './service.js';
export { tlsOptionsForHost } from './tls.js';
export { resolveConfig, parseRequireAuth } from './resolve.js';
export { resolvePassword } from './password.js';
export { validateOptions, CONNECT_OPTION_NAMES } from './validate.js';
