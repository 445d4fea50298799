import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, ConnectionError, InterfaceError, PostgresLogMessage, PostgresWarning } from '../../src/index.js';
import type { Connection, NotificationInfo, QueryLogRecord } from '../../src/index.js';
import { runDocExample } from './docs-example.js';
import { testDsn } from './harness.js';

/** Resolves with the next `n` notifications a listener gets. */
function collector(n: number): { fn: (payload: string, info: NotificationInfo) => void; done: Promise<[string, NotificationInfo][]> } {
  const got: [string, NotificationInfo][] = [];
  let resolve!: (v: [string, NotificationInfo][]) => void;
  const done = new Promise<[string, NotificationInfo][]>((r) => (resolve = r));
  return {
    fn: (payload, info) => {
      got.push([payload, info]);
      if (got.length === n) resolve(got);
    },
    done,
  };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))]);
}

describe('LISTEN/NOTIFY', () => {
  let conn: Connection;
  let sender: Connection;
  before(async () => {
    conn = await connect(testDsn());
    sender = await connect(testDsn());
  });
  after(async () => {
    await sender.close();
    await conn.close();
  });

  async function channels(): Promise<string[]> {
    return (await conn.fetch<{ c: string }>('SELECT pg_listening_channels() AS c ORDER BY 1')).map((r) => r.c);
  }

  test('a notification reaches its listener with payload, pid and channel', async () => {
    const c = collector(2);
    await conn.addListener('jobs', c.fn);
    assert.deepEqual(await channels(), ['jobs']);
    await sender.execute("NOTIFY jobs, 'first'");
    await sender.execute('NOTIFY jobs');
    const got = await within(c.done, 5000, 'notifications');
    assert.equal(got[0]![0], 'first');
    assert.equal(got[1]![0], '');
    assert.equal(got[0]![1].pid, sender.getServerPid());
    assert.equal(got[0]![1].channel, 'jobs');
    assert.equal(got[0]![1].connection, conn);
    await conn.removeListener('jobs', c.fn);
    assert.deepEqual(await channels(), []);
  });

  test('payloads up to the 8000-byte limit and Unicode arrive intact', async () => {
    const big = 'p'.repeat(7999); // the server takes payloads shorter than 8000 bytes
    const unicode = 'héllo → 世界 🐘 \u0000'.replace('\u0000', '');
    const c = collector(2);
    await conn.addListener('payloads', c.fn);
    await sender.execute('SELECT pg_notify($1, $2)', 'payloads', big);
    await sender.execute('SELECT pg_notify($1, $2)', 'payloads', unicode);
    const got = await within(c.done, 5000, 'payloads');
    assert.equal(got[0]![0], big);
    assert.equal(Buffer.byteLength(got[0]![0]), 7999);
    assert.equal(got[1]![0], unicode);
    await assert.rejects(sender.execute('SELECT pg_notify($1, $2)', 'payloads', 'p'.repeat(8000)), (e: Error & { sqlstate?: string }) => e.sqlstate === '22023');
    await conn.removeListener('payloads');
  });

  test('any channel name works and none injects SQL: spaces, quotes, semicolons, Unicode', async () => {
    const names = ['with spaces', 'say "hi"', "it's; DROP TABLE x; --", 'ÜnïcødЁ канал', 'UPPER lower'];
    for (const name of names) {
      const c = collector(1);
      await conn.addListener(name, c.fn);
      await sender.execute('SELECT pg_notify($1, $2)', name, `to ${name}`);
      const [[payload, info]] = (await within(c.done, 5000, name)) as [[string, NotificationInfo]];
      assert.equal(payload, `to ${name}`);
      assert.equal(info.channel, name);
    }
    assert.deepEqual((await channels()).sort(), [...names].sort());
    for (const name of names) await conn.removeListener(name);
    assert.deepEqual(await channels(), []);
  });

  test('notifications are delivered while other queries run on the connection', async () => {
    const seen: { payload: string; pending: number }[] = [];
    await conn.addListener('busy', (payload) => {
      seen.push({ payload, pending: conn.core.pending });
    });
    // A long query on the listening connection; the NOTIFY lands while it runs.
    const sleeping = conn.fetchVal('SELECT pg_sleep(0.5)::text || $1', 'done');
    const pipelined = Array.from({ length: 20 }, (_, i) => conn.fetchVal<number>('SELECT $1::int', i));
    await new Promise((r) => setTimeout(r, 100));
    await sender.execute("NOTIFY busy, 'during'");
    assert.equal(await sleeping, 'done');
    assert.equal(seen.length, 1, 'delivered before the running query resolved');
    assert.equal(seen[0]!.payload, 'during');
    assert.ok(seen[0]!.pending > 0, 'other calls were still in flight');
    assert.deepEqual(await Promise.all(pipelined), Array.from({ length: 20 }, (_, i) => i));
    await conn.removeListener('busy');
  });

  test('several callbacks on one channel, one LISTEN; removing one keeps the others', async () => {
    const a = collector(2);
    const b = collector(1);
    await Promise.all([conn.addListener('multi', a.fn), conn.addListener('multi', b.fn)]);
    assert.deepEqual(await channels(), ['multi']);
    await sender.execute("NOTIFY multi, 'one'");
    await within(b.done, 5000, 'b');
    await conn.removeListener('multi', b.fn);
    assert.deepEqual(await channels(), ['multi']);
    await sender.execute("NOTIFY multi, 'two'");
    const got = await within(a.done, 5000, 'a');
    assert.deepEqual(got.map((g) => g[0]), ['one', 'two']);
    await conn.removeListener('multi', a.fn);
    assert.deepEqual(await channels(), []);
    await conn.removeListener('never-added'); // nothing to do
  });

  test('a throwing callback becomes a process warning and the others still run', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const ok = collector(1);
      await conn.addListener('throwy', () => {
        throw new Error('listener bug');
      });
      await conn.addListener('throwy', async () => {
        throw new Error('async listener bug');
      });
      await conn.addListener('throwy', ok.fn);
      await sender.execute("NOTIFY throwy, 'x'");
      await within(ok.done, 5000, 'the good listener');
      await new Promise((r) => setTimeout(r, 20));
      assert.ok(warnings.some((m) => /listener bug/.test(m)), warnings.join('; '));
      assert.ok(warnings.some((m) => /async listener bug/.test(m)), warnings.join('; '));
      assert.equal(await conn.fetchVal('SELECT 1'), 1);
    } finally {
      process.off('warning', onWarning);
      await conn.removeListener('throwy');
    }
  });

  test('bad channels and callbacks are InterfaceErrors', async () => {
    await assert.rejects(conn.addListener('', () => undefined), (e) => e instanceof InterfaceError && /non-empty string/.test(e.message));
    await assert.rejects(conn.addListener('x'.repeat(64), () => undefined), /64 bytes; PostgreSQL truncates identifiers to 63 bytes/);
    await assert.rejects(conn.addListener('é'.repeat(32), () => undefined), /64 bytes/);
    await assert.rejects(conn.addListener('ok', 'nope' as never), /callback must be a function/);
    await conn.addListener('x'.repeat(63), () => undefined);
    await conn.removeListener('x'.repeat(63));
  });

  describe('log, termination and query listeners', () => {
    test('log listeners get notices and warnings with typed fields', async () => {
      const got: PostgresLogMessage[] = [];
      const fn = (c: Connection, m: PostgresLogMessage) => {
        assert.equal(c, conn);
        got.push(m);
      };
      conn.addLogListener(fn);
      await conn.execute(`DO $$ BEGIN
        RAISE NOTICE 'hello %', 42 USING DETAIL = 'some detail', HINT = 'a hint';
        RAISE WARNING 'careful' USING ERRCODE = '01000';
      END $$`);
      conn.removeLogListener(fn);
      await conn.execute("DO $$ BEGIN RAISE NOTICE 'not seen'; END $$");
      assert.equal(got.length, 2);
      assert.equal(got[0]!.severity, 'NOTICE');
      assert.equal(got[0]!.message, 'hello 42');
      assert.equal(got[0]!.detail, 'some detail');
      assert.equal(got[0]!.hint, 'a hint');
      assert.equal(got[0]!.sqlstate, '00000');
      assert.ok(got[1] instanceof PostgresWarning);
      assert.equal(got[1]!.severity, 'WARNING');
      assert.equal(got[1]!.message, 'careful');
    });

    test('termination listeners hear a server-side kill, and a clean close without an error', async () => {
      const victim = await connect(testDsn());
      const heard = new Promise<Error | undefined>((resolve) => victim.addTerminationListener((_c, err) => resolve(err)));
      await sender.execute('SELECT pg_terminate_backend($1)', victim.getServerPid());
      const err = await within(heard, 5000, 'termination');
      assert.ok(err instanceof ConnectionError, String(err));
      const calm = await connect(testDsn());
      const closed = new Promise<Error | undefined>((resolve) => calm.addTerminationListener((_c, e) => resolve(e)));
      await calm.close();
      assert.equal(await within(closed, 5000, 'close'), undefined);
    });

    test('query loggers get SQL, args, duration, rows, errors and connection info for every call', async () => {
      const records: QueryLogRecord[] = [];
      const logger = (r: QueryLogRecord) => records.push(r);
      conn.addQueryLogger(logger);
      conn.addQueryLogger(() => {
        throw new Error('logger bug');
      });
      const onWarning = () => undefined;
      process.on('warning', onWarning);
      try {
        await conn.fetch('SELECT g FROM generate_series(1, $1) g', 3);
        await conn.fetchRow('SELECT 1 AS a');
        await conn.execute('CREATE TEMP TABLE ql (a int); INSERT INTO ql VALUES (1), (2)');
        await conn.execute('UPDATE ql SET a = a + $1', 1);
        await assert.rejects(conn.fetchVal('SELECT 1/0'));
        await conn.copyRecordsToTable('ql', { records: [[5], [6]] });
      } finally {
        conn.removeQueryLogger(logger);
        process.off('warning', onWarning);
      }
      await conn.fetch('SELECT 1');
      const bySql = (s: string) => records.find((r) => r.sql.startsWith(s))!;
      const f = bySql('SELECT g FROM');
      assert.deepEqual(f.args, [3]);
      assert.equal(f.rowCount, 3);
      assert.equal(f.command, 'SELECT');
      assert.equal(f.error, undefined);
      assert.ok(f.durationMs >= 0 && f.durationMs < 10_000);
      assert.ok(Math.abs(f.startTime - Date.now()) < 60_000);
      assert.deepEqual(f.connection, {
        host: conn.core.host,
        port: conn.core.port,
        database: conn.core.database,
        user: conn.core.user,
        serverPid: conn.getServerPid(),
      });
      assert.equal(bySql('SELECT 1 AS a').rowCount, 1);
      assert.equal(bySql('CREATE TEMP').command, 'INSERT');
      assert.equal(bySql('CREATE TEMP').rowCount, 2);
      assert.equal(bySql('UPDATE').rowCount, 2);
      const failed = bySql('SELECT 1/0');
      assert.equal(failed.sqlstate, '22012');
      assert.equal(failed.error?.name, 'DivisionByZeroError');
      const copy = records.find((r) => r.command === 'COPY');
      assert.ok(copy, 'the COPY is logged');
      assert.equal(copy.rowCount, 2);
      assert.ok(!records.some((r) => r.sql === 'SELECT 1'), 'removed loggers get nothing');
      assert.throws(() => conn.addQueryLogger('x' as never), /must be a function/);
    });
  });

  test('the docs/listen.md example runs as written', async () => {
    await runDocExample('docs/listen.md');
  });
});
