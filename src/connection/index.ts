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
export { isRetryableTransactionError, Transaction } from './transaction.js';
export type {
  IsolationLevel,
  TransactionBlockOptions,
  TransactionOptions,
  TransactionRetryOptions,
  TransactionState,
} from './transaction.js';
export { Cursor, CursorFactory } from './cursor.js';
export type { CursorConfig, CursorOptions } from './cursor.js';
export type {
  CopyCallOptions,
  CopyFormat,
  CopyFromQueryOptions,
  CopyFromTableOptions,
  CopyOptions,
  CopyOutput,
  CopyRecord,
  CopyRecordsOptions,
  CopySource,
  CopyToTableOptions,
  RecordSource,
} from './copy.js';
export type { NotificationInfo, NotificationListener, QueryLogger, QueryLogRecord } from './listeners.js';
