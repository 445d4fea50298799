/**
 * Pool options: what `createPool()` accepts besides the connection options,
 * their defaults, and strict checks (an unknown or misspelt key fails with
 * a suggestion, as connect() does).
 */
import { InterfaceError } from '../errors/client.js';
import type { ConnectOptions } from '../config/options.js';
import { CONNECT_OPTION_NAMES } from '../config/validate.js';
import { closestName, didYouMean } from '../config/suggest.js';
import type { Connection } from '../connection/connection.js';
import type { PoolConnection } from './lease.js';

/** Runs once for each new connection, before it first enters the pool. */
export type InitHook = (conn: Connection) => Promise<void> | void;
/** Runs on every acquire, before the connection is handed out. */
export type SetupHook = (conn: PoolConnection) => Promise<void> | void;
/**
 * Runs on every release, instead of the default reset; call `defaultReset`
 * to run the default one as well.
 */
export type ResetHook = (conn: Connection, defaultReset: () => Promise<void>) => Promise<void> | void;

/**
 * Options of `createPool()`: every connection option (they apply to each
 * connection the pool opens), plus the pool's own. Durations are in milliseconds.
 */
export interface PoolOptions extends ConnectOptions {
  /** Connections opened at start and kept open while idle. Default 10 (or maxSize, if smaller). */
  minSize?: number;
  /** Most connections open at once, in use or idle. Default 10. */
  maxSize?: number;
  /** A connection is replaced after serving this many queries; 0 = no limit. Default 50000. */
  maxQueries?: number;
  /** An idle connection above minSize is closed after this long unused; 0 = never. Default 300000. */
  maxInactiveConnectionLifetime?: number;
  /** A connection is replaced after this long open, minus a random jitter; 0 = never. Default 3600000 (1 hour). */
  maxLifetime?: number;
  /** Up to this much is taken off each connection's maxLifetime at random, so they do not all expire at once. Default: a tenth of maxLifetime. */
  maxLifetimeJitter?: number;
  /** How long acquire() waits for a connection before PoolTimeoutError; 0 = no limit. Default 30000. */
  acquireTimeout?: number;
  /** Runs once per new connection (register types, prepare statements, ...). A throw fails that connection. */
  init?: InitHook;
  /** Runs on every acquire, before the caller gets the connection. A throw releases it and fails the acquire. */
  setup?: SetupHook;
  /**
   * Runs on every release instead of the default reset (ROLLBACK if in a
   * transaction, CLOSE ALL, UNLISTEN *, RESET ALL, release advisory locks,
   * in one round trip). `false` skips the reset: only for sessions that
   * change no state.
   */
  reset?: ResetHook | false;
  /** A reset that takes longer ends the connection instead. Default 5000. */
  resetTimeout?: number;
  /** An idle connection unused for longer than this is checked with a ping before it is handed out; 0 = always. Default 10000. */
  pingAfterIdle?: number;
  /** A ping that takes longer ends the connection. Default 5000. */
  pingTimeout?: number;
  /**
   * Report a connection held longer than this (once, through the pool's log
   * listeners, with the stack of the acquire); 0 = off. Also puts the
   * acquire site in PoolTimeoutError messages. Default 0.
   */
  leakDetectionThreshold?: number;
  /** On the first connection, warn when maxSize exceeds the server's free connection slots. Default true. */
  checkServerCapacity?: boolean;
  /** The pool's name in metrics (db.client.connection.pool.name). Default: user@host:port/database. */
  name?: string;
}

/** Pool options after defaults. */
export interface ResolvedPoolOptions {
  minSize: number;
  maxSize: number;
  maxQueries: number;
  maxInactiveConnectionLifetime: number;
  maxLifetime: number;
  maxLifetimeJitter: number;
  acquireTimeout: number;
  init: InitHook | undefined;
  setup: SetupHook | undefined;
  reset: ResetHook | false | undefined;
  resetTimeout: number;
  pingAfterIdle: number;
  pingTimeout: number;
  leakDetectionThreshold: number;
  checkServerCapacity: boolean;
  name: string | undefined;
}

/** Options of one acquire. */
export interface AcquireOptions {
  /** Wait at most this long (ms) instead of the pool's acquireTimeout; 0 = no limit. */
  timeout?: number;
  /** Give up waiting when this signal aborts. */
  signal?: AbortSignal;
}

/** Every pool-only key; the Record type keeps the list complete. */
const POOL_KEYS: Readonly<Record<Exclude<keyof PoolOptions, keyof ConnectOptions>, true>> = {
  minSize: true,
  maxSize: true,
  maxQueries: true,
  maxInactiveConnectionLifetime: true,
  maxLifetime: true,
  maxLifetimeJitter: true,
  acquireTimeout: true,
  init: true,
  setup: true,
  reset: true,
  resetTimeout: true,
  pingAfterIdle: true,
  pingTimeout: true,
  leakDetectionThreshold: true,
  checkServerCapacity: true,
  name: true,
};

/** Names people bring from asyncpg, node-postgres and HikariCP. */
const ALIASES: Readonly<Record<string, string>> = {
  min_size: 'minSize',
  max_size: 'maxSize',
  max: 'maxSize',
  min: 'minSize',
  max_queries: 'maxQueries',
  max_inactive_connection_lifetime: 'maxInactiveConnectionLifetime',
  idleTimeoutMillis: 'maxInactiveConnectionLifetime',
  connectionTimeoutMillis: 'acquireTimeout',
  maxLifetimeSeconds: 'maxLifetime',
  leakDetection: 'leakDetectionThreshold',
};

function checkDuration(name: string, value: unknown, where = 'createPool()'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InterfaceError(`${where}: ${name} must be a non-negative number of milliseconds, got ${JSON.stringify(value) ?? String(value)}`);
  }
  if (value > 2 ** 31 - 1) throw new InterfaceError(`${where}: ${name} is too large (at most ${2 ** 31 - 1} ms); use 0 for no limit`);
  return value;
}

function checkCount(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InterfaceError(`createPool(): ${name} must be an integer of at least ${min}, got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}

function checkFunction<T>(name: string, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new InterfaceError(`createPool(): ${name} must be a function, got ${typeof value}`);
  return value as T;
}

/**
 * Split `options` into the pool's own (checked, with defaults) and the
 * connection options (left for resolveConfig to check).
 */
export function splitPoolOptions(options: PoolOptions | undefined): { pool: ResolvedPoolOptions; connect: ConnectOptions } {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new InterfaceError('createPool(): options must be an object such as { maxSize: 20 }');
  }
  const o: Record<string, unknown> = { ...(options ?? {}) };
  const connect: Record<string, unknown> = {};
  const known = new Set<string>(CONNECT_OPTION_NAMES);
  for (const key of Object.keys(o)) {
    if (key in POOL_KEYS) continue;
    if (known.has(key)) {
      connect[key] = o[key];
      continue;
    }
    const alias = ALIASES[key];
    const hint = alias !== undefined ? ` Use "${alias}" (milliseconds for durations).` : didYouMean(closestName(key, [...Object.keys(POOL_KEYS), ...CONNECT_OPTION_NAMES]));
    throw new InterfaceError(`createPool(): unknown option "${key}".${hint}`);
  }
  const maxSize = o['maxSize'] === undefined ? 10 : checkCount('maxSize', o['maxSize'], 1);
  const minSize = o['minSize'] === undefined ? Math.min(10, maxSize) : checkCount('minSize', o['minSize'], 0);
  if (minSize > maxSize) throw new InterfaceError(`createPool(): minSize (${minSize}) must not be larger than maxSize (${maxSize})`);
  const maxLifetime = o['maxLifetime'] === undefined ? 3_600_000 : checkDuration('maxLifetime', o['maxLifetime']);
  const jitter = o['maxLifetimeJitter'] === undefined ? maxLifetime / 10 : checkDuration('maxLifetimeJitter', o['maxLifetimeJitter']);
  if (maxLifetime > 0 && jitter >= maxLifetime) {
    throw new InterfaceError(`createPool(): maxLifetimeJitter (${jitter}) must be smaller than maxLifetime (${maxLifetime})`);
  }
  const reset = o['reset'];
  if (reset !== undefined && reset !== false && typeof reset !== 'function') {
    throw new InterfaceError('createPool(): reset must be a function or false');
  }
  const name = o['name'];
  if (name !== undefined && (typeof name !== 'string' || name === '')) throw new InterfaceError('createPool(): name must be a non-empty string');
  const capacity = o['checkServerCapacity'];
  if (capacity !== undefined && typeof capacity !== 'boolean') throw new InterfaceError('createPool(): checkServerCapacity must be a boolean');
  return {
    connect: connect as ConnectOptions,
    pool: {
      minSize,
      maxSize,
      maxQueries: o['maxQueries'] === undefined ? 50_000 : checkCount('maxQueries', o['maxQueries'], 0),
      maxInactiveConnectionLifetime:
        o['maxInactiveConnectionLifetime'] === undefined ? 300_000 : checkDuration('maxInactiveConnectionLifetime', o['maxInactiveConnectionLifetime']),
      maxLifetime,
      maxLifetimeJitter: jitter,
      acquireTimeout: o['acquireTimeout'] === undefined ? 30_000 : checkDuration('acquireTimeout', o['acquireTimeout']),
      init: checkFunction<InitHook>('init', o['init']),
      setup: checkFunction<SetupHook>('setup', o['setup']),
      reset: reset as ResetHook | false | undefined,
      resetTimeout: o['resetTimeout'] === undefined ? 5000 : checkDuration('resetTimeout', o['resetTimeout']),
      pingAfterIdle: o['pingAfterIdle'] === undefined ? 10_000 : checkDuration('pingAfterIdle', o['pingAfterIdle']),
      pingTimeout: o['pingTimeout'] === undefined ? 5000 : checkDuration('pingTimeout', o['pingTimeout']),
      leakDetectionThreshold: o['leakDetectionThreshold'] === undefined ? 0 : checkDuration('leakDetectionThreshold', o['leakDetectionThreshold']),
      checkServerCapacity: capacity ?? true,
      name,
    },
  };
}

/** Check the options of one acquire. */
export function checkAcquireOptions(options: AcquireOptions | undefined, fallbackTimeout: number): { timeout: number; signal: AbortSignal | undefined } {
  if (options === undefined) return { timeout: fallbackTimeout, signal: undefined };
  if (options === null || typeof options !== 'object') throw new InterfaceError('acquire(): options must be an object such as { timeout: 5000 }');
  for (const k of Object.keys(options)) {
    if (k !== 'timeout' && k !== 'signal') throw new InterfaceError(`acquire(): unknown option "${k}" (valid: timeout, signal)`);
  }
  const timeout = options.timeout === undefined ? fallbackTimeout : checkDuration('timeout', options.timeout, 'acquire()');
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InterfaceError('acquire(): signal must be an AbortSignal');
  return { timeout, signal };
}
