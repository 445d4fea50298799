/**
 * Where integration tests find their server. `npm run test:integration`
 * (scripts/run-tests.mjs) starts one TempCluster for the whole run and passes
 * it down in PGJET_TEST_DSN; set that variable yourself to test against a
 * server of your own.
 */

/** Connection parameters of the test server, parsed from PGJET_TEST_DSN. */
export interface TestConnectOptions {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

/** The test server's URL (PGJET_TEST_DSN). */
export function testDsn(): string {
  const dsn = process.env['PGJET_TEST_DSN'];
  if (!dsn) {
    throw new Error(
      'PGJET_TEST_DSN is not set. Run integration tests with `npm run test:integration`, which starts a temporary ' +
        'PostgreSQL server, or set PGJET_TEST_DSN=postgres://user:password@host:port/database to use your own.',
    );
  }
  return dsn;
}

/** {@link testDsn} split into host, port, user, password and database. */
export function testOptions(): TestConnectOptions {
  const dsn = testDsn();
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw new Error(`PGJET_TEST_DSN is not a postgres:// URL: ${dsn}`);
  }
  const options: TestConnectOptions = {
    host: decodeURIComponent(url.hostname.replace(/^\[(.*)\]$/, '$1')) || '127.0.0.1',
    port: url.port === '' ? 5432 : Number(url.port),
    user: decodeURIComponent(url.username) || 'postgres',
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
  };
  if (url.password !== '') options.password = decodeURIComponent(url.password);
  return options;
}

/** The test server's Unix socket directory, when the runner started the server. */
export function testSocketDir(): string | undefined {
  return process.env['PGJET_TEST_SOCKET_DIR'] || undefined;
}

/** The bin directory of the test server's PostgreSQL, for tests that start clusters of their own. */
export function testPgBin(): string | undefined {
  return process.env['PGJET_TEST_PGBIN'] || undefined;
}
