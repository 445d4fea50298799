/**
 * The server and the data: a TempCluster tuned for benchmarking (or a server
 * the user names), and the bench_* tables every workload reads or writes.
 * Administration goes through node-postgres so the bench's plumbing does not
 * depend on the driver under test.
 */
import pg from 'pg';
import { TempCluster } from '../../src/testing/index.js';
import { POINT_ROWS } from './workloads.js';

/** Settings for a benchmark server: durability off, enough shared buffers, no JIT. */
export const BENCH_SERVER_CONF = [
  'fsync = off',
  'synchronous_commit = off',
  'full_page_writes = off',
  'shared_buffers = 256MB',
  'jit = off',
  'max_connections = 200',
  // No background vacuum waking up in the middle of a cell.
  'autovacuum = off',
];

/** A server to run against. */
export interface BenchServer {
  dsn: string;
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  /** Set when the bench started the server itself. */
  cluster: TempCluster | undefined;
  binDir: string | undefined;
}

/** Start a TempCluster tuned for the benchmark. */
export async function startServer(): Promise<BenchServer> {
  const cluster = await TempCluster.start({ postgresqlConf: BENCH_SERVER_CONF });
  return {
    dsn: cluster.dsn,
    host: cluster.host,
    port: cluster.port,
    user: cluster.user,
    password: cluster.password,
    database: cluster.database,
    cluster,
    binDir: cluster.binDir,
  };
}

/** Describe an existing server from its URL. */
export function existingServer(dsn: string): BenchServer {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw new Error(`--dsn must be a postgres:// URL, got ${JSON.stringify(dsn)}`);
  }
  return {
    dsn,
    host: decodeURIComponent(url.hostname.replace(/^\[(.*)\]$/, '$1')) || '127.0.0.1',
    port: url.port === '' ? 5432 : Number(url.port),
    user: decodeURIComponent(url.username) || process.env['USER'] || 'postgres',
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
    cluster: undefined,
    binDir: undefined,
  };
}

const TABLES = ['bench_point', 'bench_mixed', 'bench_bytea', 'bench_intarray', 'bench_insert', 'bench_copy'];

const LOAD_SQL = `
DROP TABLE IF EXISTS ${TABLES.join(', ')};
CREATE TABLE bench_point (id int PRIMARY KEY, name text NOT NULL, value int NOT NULL, score float8 NOT NULL, created timestamptz NOT NULL);
INSERT INTO bench_point
  SELECT i, 'user ' || i, i % 1000, i * 0.25, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second'
  FROM generate_series(1, ${POINT_ROWS}) AS i;
CREATE TABLE bench_mixed (id int PRIMARY KEY, name text NOT NULL, score float8 NOT NULL, created timestamptz NOT NULL, doc jsonb NOT NULL);
INSERT INTO bench_mixed
  SELECT i, 'user ' || i || ' <user' || i || '@example.com>', i * 1.5,
         timestamptz '2024-01-01 00:00:00.123456+00' + i * interval '1 minute',
         jsonb_build_object('id', i, 'tags', jsonb_build_array('alpha', 'beta', 'gamma'), 'active', i % 2 = 0, 'ratio', i / 7.0)
  FROM generate_series(1, 1000) AS i;
CREATE TABLE bench_bytea (id int PRIMARY KEY, data bytea NOT NULL);
INSERT INTO bench_bytea
  SELECT i, decode((SELECT string_agg(md5(i::text || '/' || j::text), '') FROM generate_series(1, 64) AS j), 'hex')
  FROM generate_series(1, 100) AS i;
CREATE TABLE bench_intarray (id int PRIMARY KEY, vals int[] NOT NULL);
INSERT INTO bench_intarray
  SELECT i, (SELECT array_agg(i * 1000 + j) FROM generate_series(1, 100) AS j)
  FROM generate_series(1, 100) AS i;
CREATE TABLE bench_insert (id int NOT NULL, name text NOT NULL, score float8 NOT NULL, created timestamptz NOT NULL);
CREATE TABLE bench_copy (id int NOT NULL, name text NOT NULL, score float8 NOT NULL, created timestamptz NOT NULL);
`;

/** An administrative connection for loading data and resetting tables between cells. */
export class Admin {
  private constructor(private readonly client: pg.Client) {}

  /** Connect. */
  static async connect(dsn: string): Promise<Admin> {
    const client = new pg.Client({ connectionString: dsn });
    // A server that goes away (the run is ending, or it crashed) fails the next query; no uncaught 'error' event.
    client.on('error', (e) => process.stderr.write(`admin connection: ${e.message}\n`));
    await client.connect();
    return new Admin(client);
  }

  /** Create and fill the bench_* tables. */
  async load(): Promise<void> {
    await this.client.query(LOAD_SQL);
    // A multi-statement string runs as one transaction, where VACUUM is not allowed.
    await this.client.query('VACUUM ANALYZE');
  }

  /** Empty a table the insert and COPY workloads fill. */
  async truncate(table: string): Promise<void> {
    await this.client.query(`TRUNCATE ${table}`);
  }

  /** Rows of SELECT * FROM pg_type on this server (it grows with every table created). */
  async pgTypeCount(): Promise<number> {
    const r = await this.client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_type');
    return r.rows[0]!.n;
  }

  /** The server's version string and the settings that matter for the numbers. */
  async describe(): Promise<{ version: string; settings: Record<string, string> }> {
    const v = await this.client.query<{ v: string }>('SELECT version() AS v');
    const s = await this.client.query<{ name: string; setting: string; unit: string | null }>(
      "SELECT name, setting, unit FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'jit', 'max_connections', 'autovacuum')",
    );
    const settings: Record<string, string> = {};
    for (const r of s.rows) settings[r.name] = r.unit && r.unit !== '' ? `${r.setting} (${r.unit})` : r.setting;
    return { version: v.rows[0]!.v, settings };
  }

  /** Drop the bench_* tables (on a server the user named). */
  async dropTables(): Promise<void> {
    await this.client.query(`DROP TABLE IF EXISTS ${TABLES.join(', ')}`);
  }

  /** Close. */
  async close(): Promise<void> {
    await this.client.end();
  }
}
