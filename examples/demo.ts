/**
 * A walk through what pgjet does, against DATABASE_URL or, when that is
 * unset, a throwaway cluster started for the occasion.
 *
 *   npm run demo
 *   DATABASE_URL=postgres://me@localhost/mydb npm run demo
 */
import { connect, TimeoutError, UniqueViolationError } from '../src/index.js';
import { TempCluster } from '../src/testing/index.js';

async function main(): Promise<void> {
  let cluster: TempCluster | undefined;
  let dsn = process.env['DATABASE_URL'];
  if (!dsn) {
    console.log('DATABASE_URL is not set: starting a throwaway PostgreSQL cluster ...');
    cluster = await TempCluster.start();
    dsn = cluster.dsn;
    console.log(`  PostgreSQL ${cluster.version.major}.${cluster.version.minor} on port ${cluster.port}`);
  }
  const conn = await connect(dsn);
  try {
    const v = conn.getServerVersion();
    console.log(`\nconnected: server ${v.major}.${v.minor}, backend pid ${conn.getServerPid()}`);

    console.log('\n1. fetch with variadic parameters (binary protocol, statement cached):');
    const rows = await conn.fetch<{ n: number; square: bigint; label: string }>(
      'SELECT n, (n * n)::int8 AS square, $2::text || n AS label FROM generate_series(1, $1::int) AS n',
      3,
      'row-',
    );
    console.log(rows);

    console.log('\n2. fetchRow / fetchVal:');
    console.log(await conn.fetchRow("SELECT 'pgjet' AS name, now() AS at, '{\"json\": [1, 2]}'::jsonb AS doc"));
    console.log(await conn.fetchVal('SELECT 0.1::numeric + 0.2::numeric'), '(numeric stays exact)');

    console.log('\n3. execute runs scripts; executeMany inserts in one flight, atomically:');
    console.log(await conn.execute('CREATE TEMP TABLE people (id int PRIMARY KEY, name text); INSERT INTO people VALUES (0, $$root$$)'));
    await conn.executeMany('INSERT INTO people VALUES ($1, $2)', [
      [1, 'Ada'],
      [2, 'Grace'],
      [3, 'Edsger'],
    ]);
    console.log(await conn.fetch('SELECT * FROM people ORDER BY id'));

    console.log('\n4. typed errors, one class per SQLSTATE:');
    try {
      await conn.execute('INSERT INTO people VALUES ($1, $2)', 1, 'duplicate');
    } catch (e) {
      if (e instanceof UniqueViolationError) {
        console.log(`  ${e.name} [${e.sqlstate}] on constraint ${e.constraintName}: ${e.detail}`);
      } else throw e;
    }

    console.log('\n5. pipelining: 100 concurrent queries on one connection:');
    const started = Date.now();
    const values = await Promise.all(Array.from({ length: 100 }, (_, i) => conn.fetchVal<number>('SELECT $1::int * 2', i)));
    console.log(`  sum ${values.reduce<number>((a, b) => a + (b ?? 0), 0)} in ${Date.now() - started} ms`);

    console.log('\n6. timeouts cancel the query on the server, and the connection stays usable:');
    try {
      await conn.fetchVal({ text: 'SELECT pg_sleep(10)', timeout: 200 });
    } catch (e) {
      if (e instanceof TimeoutError) console.log(`  ${e.name}: ${e.message}`);
      else throw e;
    }
    console.log(`  next query: ${await conn.fetchVal('SELECT 1')}`);

    console.log('\n7. prepared statements:');
    const ps = await conn.prepare('SELECT name FROM people WHERE id = $1');
    console.log('  parameters:', ps.getParameters(), 'attributes:', ps.getAttributes().map((a) => `${a.name} ${a.type.name}`));
    console.log('  id 2 ->', await ps.fetchVal(2));
    await ps.close();
  } finally {
    await conn.close();
    await cluster?.destroy();
  }
  console.log('\ndone.');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
