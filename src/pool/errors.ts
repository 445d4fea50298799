/**
 * The pool's own error: an acquire that waited too long, with the numbers
 * that explain why.
 */
import { TimeoutError } from '../errors/client.js';

/** What the pool looked like when an acquire timed out. */
export interface PoolTimeoutDetails {
  /** How long the caller waited, in ms. */
  readonly waited: number;
  /** Connections open (in use, idle, or being reset or checked). */
  readonly size: number;
  /** The pool's maxSize. */
  readonly maxSize: number;
  /** Connections held by callers. */
  readonly inUse: number;
  /** Connections being opened. */
  readonly connecting: number;
  /** Other callers still waiting. */
  readonly waiting: number;
  /** How long the connection held longest has been held, in ms (0 when none is held). */
  readonly oldestHeldFor: number;
  /** Stack of the acquire that took that connection, when leak detection is on. */
  readonly oldestAcquiredAt: string | undefined;
  /** The last error met while opening a connection, if the pool could not grow. */
  readonly lastConnectError: Error | undefined;
}

/**
 * No connection became free within acquireTimeout (or the acquire's own
 * timeout). The message and `details` give the pool's size, how many
 * connections are in use, how many callers wait, and how long the oldest
 * connection has been held (and where it was acquired, with leak detection
 * on): usually a sign of connections not released, or of a pool too small
 * for the load.
 */
export class PoolTimeoutError extends TimeoutError {
  override name = 'PoolTimeoutError';
  /** The pool's state at the time of the timeout. */
  readonly details: PoolTimeoutDetails;
  constructor(details: PoolTimeoutDetails) {
    super(describe(details), { cause: details.lastConnectError });
    this.details = details;
  }
}

function describe(d: PoolTimeoutDetails): string {
  let m =
    `timed out after ${Math.round(d.waited)} ms waiting for a pool connection: ${d.size} of maxSize ${d.maxSize} open, ` +
    `${d.inUse} in use, ${d.connecting} opening, ${d.waiting} other caller${d.waiting === 1 ? '' : 's'} waiting`;
  if (d.inUse > 0) m += `; the oldest connection has been held for ${Math.round(d.oldestHeldFor)} ms`;
  if (d.lastConnectError !== undefined && d.size < d.maxSize) m += `; opening a connection failed: ${d.lastConnectError.message}`;
  if (d.oldestAcquiredAt !== undefined) m += `\nthe oldest connection was acquired at:\n${d.oldestAcquiredAt}`;
  else if (d.inUse >= d.maxSize) {
    m += '. Release every connection you acquire (prefer pool.acquire(fn) or `await using`), raise maxSize, ' +
      'or set leakDetectionThreshold to see where connections are held';
  }
  return m;
}
