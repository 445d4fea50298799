import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, InterfaceError, ParameterError, TimeoutError } from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import { TcpProxy } from '../../src/testing/index.js';
import { testDsn } from './harness.js';

// A statement's first run in one round trip: Parse, Describe, Bind and
// Execute under one Sync. A proxy counts the messages: one Sync per call is
// one round trip for a call made on an idle connection.
describe('first run in one round trip', () => {
  let proxy: TcpProxy;
  let conn: Connection;
  let n = 0;
  /** SQL no connection has run yet: a comment makes it unique. */
  const fresh = (sql: string) => `${sql} -- first run ${n++} ${process.pid}`;
  const viaProxy = (extra: Record<string, unknown> = {}) => {
    const u = new URL(testDsn());
    return connect(testDsn(), { host: '127.0.0.1', port: proxy.port, sslmode: 'disable', database: decodeURIComponent(u.pathname.slice(1)) || 'postgres', ...extra });
  };
  /** Messages the client sent while `fn` ran. */
  async function counted<T>(fn: () => Promise<T>): Promise<{ value: T; P: number; B: number; S: number; D: number; trips: number }> {
    proxy.resetCounts();
    const value = await fn();
    return { value, P: proxy.count('P'), B: proxy.count('B'), S: proxy.count('S'), D: proxy.count('D'), trips: proxy.roundTrips() };
  }

  before(async () => {
    const u = new URL(testDsn());
    proxy = await TcpProxy.start({ targetHost: u.hostname, targetPort: Number(u.port || 5432) });
    conn = await viaProxy();
    await conn.execute(`DROP TYPE IF EXISTS fr_mood CASCADE; CREATE TYPE fr_mood AS ENUM ('calm', 'busy')`);
  });
  after(async () => {
    await conn.close();
    await proxy.close();
  });

  test('first run: Parse, Describe, Bind and Execute under one Sync; later runs: Bind and Execute', async () => {
    const sql = fresh('SELECT $1::int4 + 1 AS next, $2::text AS label');
    const first = await counted(() => conn.fetchRow(sql, 41, 'alpha'));
    assert.deepEqual(first.value, { next: 42, label: 'alpha' });
    assert.deepEqual({ P: first.P, D: first.D, B: first.B, S: first.S, trips: first.trips }, { P: 1, D: 1, B: 1, S: 1, trips: 1 });
    const second = await counted(() => conn.fetchRow(sql, 1, 'beta'));
    assert.deepEqual(second.value, { next: 2, label: 'beta' });
    assert.deepEqual({ P: second.P, D: second.D, B: second.B, S: second.S, trips: second.trips }, { P: 0, D: 0, B: 1, S: 1, trips: 1 });
    const stats = conn.getStatementCacheStats();
    assert.ok(stats.misses >= 1 && stats.hits >= 1, JSON.stringify(stats));
  });

  test('null, booleans, strings and zero parameters go in the first flight too', async () => {
    const sql = fresh('SELECT $1::int4 IS NULL AS isnull, $2::bool AS yes, $3::varchar AS word, 7 AS seven');
    const r = await counted(() => conn.fetchRow(sql, null, true, 'hello'));
    assert.deepEqual(r.value, { isnull: true, yes: true, word: 'hello', seven: 7 });
    assert.equal(r.S, 1);
    const none = await counted(() => conn.fetchVal(fresh('SELECT 40 + 2')));
    assert.equal(none.value, 42);
    assert.equal(none.S, 1);
  });

  test('a value that could mean something else before the types are known waits for them (two round trips)', async () => {
    // '{"a":1}' is JSON text: sent as text to a jsonb parameter it would be an object, but
    // pgjet JSON-encodes a string for json/jsonb (it is the JSON string "{\"a\":1}").
    for (const [sql, value] of [
      [fresh('SELECT $1::jsonb AS j'), '{"a":1}'],
      [fresh('SELECT $1::float8 AS f'), 0.1],
      [fresh('SELECT $1::int8 AS i'), 5n],
      [fresh('SELECT $1::timestamptz AS t'), new Date('2024-01-02T03:04:05Z')],
    ] as const) {
      const r = await counted(() => conn.fetchVal(sql, value));
      assert.equal(r.S, 2, `${String(value)}: prepared first`);
      assert.deepEqual(r.value, value);
    }
  });

  test('a string for a json parameter: the refused Bind is retried, and the first run means what later runs mean', async () => {
    const sql = fresh('SELECT $1::jsonb AS j');
    const first = await counted(() => conn.fetchVal(sql, 'plain words'));
    assert.equal(first.value, 'plain words');
    // One flight refused at Bind (nothing ran), then Bind + Execute with the described type.
    assert.deepEqual({ P: first.P, S: first.S }, { P: 1, S: 2 });
    assert.equal(await conn.fetchVal(sql, 'plain words'), 'plain words');
    assert.equal(await conn.fetchVal(sql, '{"a":1}'), '{"a":1}');
  });

  test('numbers and booleans mean the same on the first run as on later ones, for any parameter type', async () => {
    // [sql, value, result, Syncs of the first run]: a boolean goes as 't'/'f', which
    // jsonb refuses, so that one is retried with its JSON encoding.
    const cases: [string, unknown, unknown, number][] = [
      ['SELECT $1::bool AS v', 1, true, 1],
      ['SELECT $1::bool AS v', 0, false, 1],
      ['SELECT $1::date AS v', 20240131, '2024-01-31', 1],
      ['SELECT $1::text AS v', true, 't', 1],
      ['SELECT $1::text AS v', 12, '12', 1],
      ['SELECT $1::numeric AS v', 9007199254740991, '9007199254740991', 1],
      ['SELECT $1::float4 AS v', 16777217, 16777216, 1],
      ['SELECT $1::jsonb AS v', 3, 3, 1],
      ['SELECT $1::jsonb AS v', false, false, 2],
    ];
    for (const [text, value, expected, syncs] of cases) {
      const sql = fresh(text);
      const first = await counted(() => conn.fetchVal(sql, value));
      assert.equal(first.S, syncs, `${text} with ${String(value)}: flights`);
      assert.deepEqual(first.value, expected, `${text} with ${String(value)}: first run`);
      assert.deepEqual(await conn.fetchVal(sql, value), expected, `${text} with ${String(value)}: second run`);
    }
  });

  test('a value the described type refuses fails the same way on the first run as later', async () => {
    const sql = fresh('SELECT $1::int4 AS v');
    const big = 2 ** 40;
    await assert.rejects(conn.fetchVal(sql, big), (e: unknown) => e instanceof ParameterError && /int4/.test((e as Error).message));
    await assert.rejects(conn.fetchVal(sql, big), (e: unknown) => e instanceof ParameterError && /int4/.test((e as Error).message));
    const two = fresh('SELECT $1::int4 AS v');
    await assert.rejects(conn.fetchVal(two, 1, 2), (e: unknown) => e instanceof InterfaceError && /expects 1 parameter/.test((e as Error).message));
    assert.equal(await conn.fetchVal('SELECT 1 AS still_fine'), 1);
  });

  test('a syntax error is reported as it is, and nothing stays cached', async () => {
    const sql = fresh('SELEC $1::int');
    const before = conn.getStatementCacheStats().size;
    await assert.rejects(conn.fetchVal(sql, 1), /syntax error/);
    await assert.rejects(conn.fetchVal(sql, 1), /syntax error/);
    assert.equal(conn.getStatementCacheStats().size, before);
  });

  test('a column type with no binary output (aclitem): the refused Bind is retried with that column in text', async () => {
    const sql = fresh(`SELECT makeaclitem('pg_database_owner'::regrole, 'pg_database_owner'::regrole, 'SELECT', false) AS acl, $1::int4 AS n`);
    const expected = await conn.fetchVal(`SELECT makeaclitem('pg_database_owner'::regrole, 'pg_database_owner'::regrole, 'SELECT', false)::text`);
    const first = await counted(() => conn.fetchRow(sql, 5));
    assert.deepEqual(first.value, { acl: expected, n: 5 });
    assert.equal(first.S, 2);
    assert.deepEqual(await conn.fetchRow(sql, 6), { acl: expected, n: 6 });
  });

  test('columns read as text (money, regclass, tsvector) are turned into the server text on the first run', async () => {
    const sql = fresh(`SELECT $1::int4::money AS m, 'pg_class'::regclass AS r, NULL::money AS z, x::money AS xs, to_tsvector('simple', 'b a ' || x) AS ts FROM generate_series(1, 3) x`);
    const expected = await conn.fetch(
      `SELECT 7::money::text AS m, 'pg_class'::regclass::text AS r, NULL::text AS z, x::money::text AS xs, to_tsvector('simple', 'b a ' || x)::text AS ts FROM generate_series(1, 3) x`,
    );
    const first = await conn.fetch(sql, 7);
    assert.deepEqual(first, expected);
    assert.deepEqual(await conn.fetch(sql, 7), expected);
  });

  test('catalog columns of pg_node_tree and anyarray read the same on the first run as later', async () => {
    await conn.execute('ANALYZE pg_catalog.pg_type');
    for (const text of [
      'SELECT * FROM pg_type ORDER BY oid',
      `SELECT attname, most_common_vals, histogram_bounds FROM pg_stats WHERE schemaname = 'pg_catalog' AND tablename = 'pg_type' ORDER BY attname`,
    ]) {
      const sql = fresh(text);
      const first = await conn.fetch(sql);
      assert.ok(first.length > 0, text);
      assert.deepEqual(first, await conn.fetch(sql), text);
    }
  });

  test('types looked up at run time (an enum, a composite) are resolved before the first run returns its rows', async () => {
    const sql = fresh(`SELECT $1::fr_mood AS mood, ROW(1, 'x')::record AS rec, ARRAY['calm', 'busy']::fr_mood[] AS all_moods`);
    const r = await conn.fetchRow(sql, 'busy');
    assert.deepEqual(r, { mood: 'busy', rec: [1, 'x'], all_moods: ['calm', 'busy'] });
    assert.deepEqual(await conn.fetchRow(sql, 'calm'), { mood: 'calm', rec: [1, 'x'], all_moods: ['calm', 'busy'] });
  });

  test('a retried first run still reaches the server before the calls made after it', async () => {
    await conn.execute('CREATE TEMP TABLE fr_docs (doc jsonb)');
    const insert = fresh('INSERT INTO fr_docs VALUES ($1)');
    const [tag, count] = await Promise.all([conn.execute(insert, 'not json'), conn.fetchVal('SELECT count(*)::int FROM fr_docs')]);
    assert.equal(tag, 'INSERT 0 1');
    assert.equal(count, 1);
    assert.equal(await conn.fetchVal('SELECT doc FROM fr_docs'), 'not json');
  });

  test('inside a transaction block the first run is prepared first, so a refused value cannot abort the transaction', async () => {
    await conn.transaction(async () => {
      const r = await counted(() => conn.fetchVal(fresh('SELECT $1::int4 AS v'), 3));
      assert.equal(r.value, 3);
      assert.equal(r.S, 2);
      assert.equal(await conn.fetchVal(fresh('SELECT $1::jsonb AS v'), 'words'), 'words');
      assert.equal(await conn.fetchVal('SELECT 1 AS after_json'), 1);
    });
  });

  test('concurrent first calls of one statement share its one Parse', async () => {
    const sql = fresh('SELECT $1::int4 * 3 AS v');
    const r = await counted(() => Promise.all(Array.from({ length: 20 }, (_, i) => conn.fetchVal(sql, i))));
    assert.deepEqual(r.value, Array.from({ length: 20 }, (_, i) => i * 3));
    assert.equal(r.P, 1);
  });

  test('a timeout during a first run cancels it and leaves the connection usable', async () => {
    const sql = fresh('SELECT pg_sleep($1::int) IS NULL AS slept');
    await assert.rejects(conn.fetchVal({ text: sql, args: [10], timeout: 150 }), TimeoutError);
    assert.equal(await conn.fetchVal(sql, 0), false);
  });

  test('unnamed statements (statementMode unnamed) take one flight too and leave nothing prepared', async () => {
    const c = await viaProxy({ statementMode: 'unnamed' });
    try {
      const sql = fresh('SELECT $1::int4 - 1 AS v');
      const first = await counted(() => c.fetchVal(sql, 10));
      assert.equal(first.value, 9);
      assert.equal(first.S, 1);
      assert.equal(await c.fetchVal(sql, 20), 19);
      assert.equal(await c.fetchVal('SELECT count(*)::int FROM pg_prepared_statements'), 0);
    } finally {
      await c.close();
    }
  });

  test('with a setTypeCodec() codec on the connection, numbers wait for the described types', async () => {
    const c = await viaProxy();
    try {
      await c.setTypeCodec('money', { format: 'text', encoder: (v) => `${String(v)}.25`, decoder: (s) => `money ${s}` });
      const sql = fresh('SELECT $1::money::numeric::text AS v');
      const first = await counted(() => c.fetchVal(sql, 3));
      assert.equal(first.S, 2);
      assert.equal(first.value, '3.25');
      // Rows still decode with the user's codec when the first run had to convert them to text.
      assert.equal(await c.fetchVal(fresh('SELECT $1::text::money AS m'), '4'), `money ${await c.fetchVal('SELECT 4::money::text')}`);
    } finally {
      await c.close();
    }
  });
});
