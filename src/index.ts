/**
 * pgjet: a fast, dependable PostgreSQL driver for TypeScript.
 *
 * @example
 * import { connect } from 'pgjet';
 * const conn = await connect('postgres://localhost/mydb');
 * const rows = await conn.fetch('SELECT $1::int AS n', 42);
 * await conn.close();
 */
export * from './connection/index.js';
export * from './pool/index.js';
export * from './errors/index.js';
export type {
  ConnectOptions,
  ResolvedConfig,
  SslMode,
  TargetSessionAttrs,
  ChannelBinding,
  PasswordOption,
  ProtocolVersionName,
  SslNegotiation,
  TlsProtocolVersion,
} from './config/options.js';
export { resolveConfig } from './config/resolve.js';
export type { Codec } from './types/codec.js';
export { TypeRegistry } from './types/registry.js';
