/** The connection layer's public surface. */
export { connect, connectWithConfig } from './connect.js';
export { Connection } from './connection.js';
export { Batch } from './batch.js';
export type {
  ConnectionSettings,
  LogListener,
  QueryArgs,
  StatementCacheStats,
  TerminationListener,
} from './connection.js';
export type { Notification } from './core.js';
export { PreparedStatement } from './prepared-statement.js';
export type { Attribute, PreparedCallOptions, StatementType } from './prepared-statement.js';
export type { QueryConfig } from './query-args.js';
export type { ServerVersion } from './server-version.js';
