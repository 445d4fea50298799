/**
 * The default reset of a released connection, and the time limit that
 * ends a connection whose reset or health check does not answer.
 */
import { TimeoutError } from '../errors/client.js';
import type { Connection } from '../connection/connection.js';

/**
 * The default reset: everything a session can carry over, in one
 * simple-protocol script. RESET ALL leaves the role alone, hence SET
 * SESSION AUTHORIZATION DEFAULT (allowed for any user: it only goes back
 * to the user that logged in). Prepared statements stay: they are the
 * connection's cache.
 */
const RESET_SQL =
  'CLOSE ALL; UNLISTEN *; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; SELECT pg_catalog.pg_advisory_unlock_all()';

/**
 * Put a session back as a fresh one would be, in one round trip: ROLLBACK
 * if a transaction is open, close portals, UNLISTEN *, back to the login
 * role, RESET ALL, release advisory locks. If a call still in flight left
 * a transaction open, once more.
 */
export async function defaultReset(conn: Connection): Promise<void> {
  try {
    await conn.execute(conn.isInTransaction() ? `ROLLBACK; ${RESET_SQL}` : RESET_SQL);
  } catch (e) {
    // A call still in flight failed inside a transaction: the script met an aborted transaction.
    if (!conn.isInTransaction()) throw e;
  }
  if (conn.isInTransaction()) await conn.execute(`ROLLBACK; ${RESET_SQL}`);
}

/** `p`, or a TimeoutError after `ms` (0 = no limit), which also ends the connection. */
export function bounded<T>(p: Promise<T>, ms: number, conn: Connection, what: string): Promise<T> {
  if (ms === 0) return p;
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => {
      conn.terminate();
      reject(new TimeoutError(`${what} did not finish within ${ms} ms; the connection was closed`));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
