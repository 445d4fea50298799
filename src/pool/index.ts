/** The pool's public surface. */
export { createPool, Pool } from './pool.js';
export type { PoolConnection } from './lease.js';
export type { AcquireOptions, InitHook, PoolOptions, ResetHook, SetupHook } from './options.js';
export { PoolTimeoutError } from './errors.js';
export type { PoolTimeoutDetails } from './errors.js';
export type { PoolLogEvent, PoolLogListener, PoolMetricEvent, PoolMetricName, PoolMetricsListener, PoolStats } from './events.js';
export { ListenSubscription } from './listen.js';
export type { ListenGap, ListenHandler, ListenHandlerObject } from './listen.js';
export type { ServerCapacity } from './sizing.js';
export { defaultReset } from './reset.js';
