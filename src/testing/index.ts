/**
 * pgjet/testing: helpers for tests against a real PostgreSQL. TempCluster
 * runs a throwaway server (initdb on a free port, removed afterwards, even
 * when the test process is killed); findPostgresBinaries says which
 * installation it uses.
 */
export { TempCluster } from './temp-cluster.js';
export type {
  AuthMethod,
  ClusterConnectOptions,
  ReloadOptions,
  StopMode,
  StopOptions,
  TempClusterOptions,
} from './temp-cluster.js';
export { findPostgresBinaries } from './find-binaries.js';
export type { BinariesSource, FindBinariesOptions, PostgresBinaries, PostgresVersion } from './find-binaries.js';
export { embeddedPostgresBinDir } from './embedded.js';
export { TcpProxy } from './proxy.js';
export type { TcpProxyOptions } from './proxy.js';
export { PgBouncer, findPgBouncer } from './pgbouncer.js';
export type { PgBouncerOptions } from './pgbouncer.js';
export { startStandby, promoteStandby, waitForReplay } from './standby.js';
export type { StandbyOptions } from './standby.js';
