/**
 * The sizing check: does the server have room for this pool? Asked once,
 * on the pool's first connection, so that "sorry, too many clients already"
 * is predicted at start instead of met under load.
 */
import type { Connection } from '../connection/connection.js';

/** The server's connection budget as seen from one connection. */
export interface ServerCapacity {
  /** max_connections. */
  maxConnections: number;
  /** superuser_reserved_connections + reserved_connections (PostgreSQL 16+). */
  reserved: number;
  /** Client connections open on the server besides the one asking. */
  otherOpen: number;
  /** What is left for this pool: maxConnections - reserved - otherOpen. */
  available: number;
}

const CAPACITY_SQL =
  "SELECT current_setting('max_connections')::int4 AS max, " +
  "current_setting('superuser_reserved_connections')::int4 + coalesce(nullif(current_setting('reserved_connections', true), ''), '0')::int4 AS reserved, " +
  "(SELECT count(*)::int4 FROM pg_catalog.pg_stat_activity WHERE backend_type = 'client backend') AS open";

/** Ask the server for its connection budget. Resolves undefined when the server cannot say (e.g. behind a pooler). */
export async function serverCapacity(conn: Connection): Promise<ServerCapacity | undefined> {
  if (conn.isBehindPooler()) return undefined;
  const row = await conn.fetchRow<{ max: number; reserved: number; open: number }>(CAPACITY_SQL);
  if (row === null) return undefined;
  const otherOpen = Math.max(0, row.open - 1);
  return { maxConnections: row.max, reserved: row.reserved, otherOpen, available: row.max - row.reserved - otherOpen };
}

/** The warning for a pool that could exhaust the server on its own, or undefined when it fits. */
export function capacityWarning(maxSize: number, c: ServerCapacity, where: string): string | undefined {
  if (maxSize <= c.available) return undefined;
  return (
    `pool maxSize ${maxSize} is more than ${where} has room for: max_connections ${c.maxConnections} - ${c.reserved} reserved ` +
    `- ${c.otherOpen} already open = ${c.available} free. Under load this pool alone could exhaust the server ` +
    '("sorry, too many clients already", 53300). Lower maxSize, raise max_connections, or put PgBouncer in front'
  );
}
