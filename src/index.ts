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
export { Interval, PreciseDate, Range, lowerBoundsOf, withLowerBounds } from './types/builtins/index.js';
export type { Box, Circle, IntervalParts, Line, LineSegment, Path, PgArray, Point, Polygon, RangeBounds } from './types/builtins/index.js';
export { OutdatedSchemaCacheError, ParameterError } from './types/errors.js';
export type { Int8Mode, TimestampMode, TypeOptions } from './types/options.js';
export type { BinaryTypeCodec, BuiltinTypeCodecOptions, TextTypeCodec, TypeCodecOptions } from './types/custom.js';
export { TypeCache } from './connection/type-resolver.js';
