import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { connect, InterfaceError } from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import { runDocExample } from './docs-example.js';
import { testDsn } from './harness.js';

/** Rows for the memory test; PGJET_TEST_CURSOR_ROWS=10000000 runs the full ten million. */
const MEMORY_ROWS = Number(process.env['PGJET_TEST_CURSOR_ROWS'] ?? 1_000_000);
const RSS_LIMIT = 20 * 1024 * 1024;

describe('cursors', () => {
  let conn: Connection;
  before(async () => {
    conn = await connect(testDsn());
  });
  after(async () => {
    await conn.close();
  });

  async function openPortals(): Promise<number> {
    return Number(await conn.fetchVal("SELECT count(*) FROM pg_cursors WHERE name LIKE 'pgjet_c_%'"));
  }

  test('a cursor outside a transaction is a clear InterfaceError, in both forms', async () => {
    await assert.rejects(
      (async () => {
        for await (const _ of conn.cursor('SELECT 1')) assert.fail('no row expected');
      })(),
      (e) => e instanceof InterfaceError && /needs a transaction/.test(e.message),
    );
    await assert.rejects(async () => await conn.cursor('SELECT 1'), /needs a transaction/);
  });

  test(`iterating ${MEMORY_ROWS.toLocaleString('en')} rows keeps RSS growth under 20 MB`, { timeout: 900_000 }, async () => {
    // Measured in a plain Node process: the test runner's own bookkeeping of
    // every promise would otherwise be counted against the cursor.
    const child = fileURLToPath(new URL('./cursor-memory-child.js', import.meta.url));
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [child, String(MEMORY_ROWS)], { timeout: 850_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    const r = JSON.parse(out) as { count: number; sum: number; baseline: number; peak: number; ms: number };
    assert.equal(r.count, MEMORY_ROWS);
    assert.equal(r.sum, (MEMORY_ROWS * (MEMORY_ROWS + 1)) / 2);
    assert.ok(r.baseline > 0 && r.peak > 0, 'RSS was sampled');
    const growth = r.peak - r.baseline;
    assert.ok(growth < RSS_LIMIT, `RSS grew by ${(growth / 1048576).toFixed(1)} MB while iterating (limit 20 MB)`);
  });

  test('rows arrive correctly for every prefetch size, including batch boundaries', async () => {
    await conn.transaction(async () => {
      for (const prefetch of [1, 7, 10, 11, 100]) {
        const got: number[] = [];
        for await (const r of conn.cursor<{ n: number }>({ text: 'SELECT g AS n FROM generate_series(1, $1) g', args: [20], prefetch })) {
          got.push(r.n);
        }
        assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => i + 1), `prefetch ${prefetch}`);
      }
      const empty: unknown[] = [];
      for await (const r of conn.cursor('SELECT 1 WHERE false')) empty.push(r);
      assert.deepEqual(empty, []);
      assert.equal(await openPortals(), 0, 'exhausted cursors are closed');
    });
  });

  test('breaking out of the loop closes the portal', async () => {
    await conn.transaction(async () => {
      let seen = 0;
      for await (const r of conn.cursor<{ g: number }>('SELECT g FROM generate_series(1, 100000) g')) {
        seen = r.g;
        if (seen === 1) assert.equal(await openPortals(), 1, 'the portal is open while iterating');
        if (seen === 250) break;
      }
      assert.equal(seen, 250);
      assert.equal(await openPortals(), 0);
      // The connection and the transaction are still fine.
      assert.equal(await conn.fetchVal('SELECT 42'), 42);
      assert.equal(conn.core.txStatus, 'T');
    });
  });

  test('queries inside the loop body run between batches', async () => {
    await conn.transaction(async () => {
      let total = 0;
      for await (const r of conn.cursor<{ g: number }>({ text: 'SELECT g FROM generate_series(1, 50) g', prefetch: 8 })) {
        total += (await conn.fetchVal<number>('SELECT $1::int * 2', r.g)) ?? 0;
      }
      assert.equal(total, 2 * ((50 * 51) / 2));
    });
  });

  test('manual fetch, fetchRow and forward', async () => {
    await conn.transaction(async () => {
      const cur = await conn.cursor<{ n: number }>('SELECT g AS n FROM generate_series(1, $1) g', 100);
      assert.deepEqual((await cur.fetch(3)).map((r) => r.n), [1, 2, 3]);
      assert.equal(await cur.forward(5), 5);
      assert.deepEqual(await cur.fetchRow(), { n: 9 });
      assert.equal(await cur.forward(1000), 91);
      assert.equal(await cur.fetchRow(), null);
      assert.deepEqual(await cur.fetch(10), []);
      await cur.close();
      assert.equal(cur.closed, true);
      await assert.rejects(cur.fetch(1), (e) => e instanceof InterfaceError && /closed/.test(e.message));
      await assert.rejects(cur.fetch(0), /positive integer/);
      await cur.close(); // twice is fine
    });
  });

  test('await using closes the cursor; array rows; the same factory awaited twice gives one cursor', async () => {
    await conn.transaction(async () => {
      {
        await using cur = await conn.cursor<unknown[]>({ text: 'SELECT g, g * 2 FROM generate_series(1, 5) g', rowMode: 'array' });
        assert.deepEqual(await cur.fetch(2), [
          [1, 2],
          [2, 4],
        ]);
        assert.equal(await openPortals(), 1);
      }
      assert.equal(await openPortals(), 0);
      const factory = conn.cursor<{ g: number }>('SELECT g FROM generate_series(1, 3) g');
      const a = await factory;
      const b = await factory;
      assert.equal(a, b);
      await a.close();
    });
  });

  test('an error mid-way surfaces from the loop after the rows before it', async () => {
    const seen: number[] = [];
    await assert.rejects(
      conn.transaction(async () => {
        for await (const r of conn.cursor<{ v: number; g: number }>({ text: 'SELECT g, 100 / (g - 25) AS v FROM generate_series(1, 40) g', prefetch: 10 })) {
          seen.push(r.g);
        }
      }),
      (e: Error & { sqlstate?: string }) => e.sqlstate === '22012',
    );
    assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i + 1));
    assert.equal(conn.isInTransaction(), false);
  });

  test('bad arguments are InterfaceErrors', () => {
    assert.throws(() => conn.cursor({ text: 'SELECT 1', prefetch: 0 }), /"prefetch" must be a positive integer/);
    assert.throws(() => conn.cursor({ text: 'SELECT 1', batch: 5 } as never), /unknown option "batch"/);
    assert.throws(() => (conn.cursor as (...a: unknown[]) => unknown)({ text: 'SELECT 1' }, 1), /pass parameters in its "args" array/);
  });

  test('a cursor works inside a manual BEGIN, and times out like a query', async () => {
    await conn.execute('BEGIN');
    try {
      const cur = await conn.cursor<{ g: number }>('SELECT g FROM generate_series(1, 3) g');
      assert.deepEqual(await cur.fetch(5), [{ g: 1 }, { g: 2 }, { g: 3 }]);
      const slow = await conn.cursor({ text: 'SELECT pg_sleep(5) FROM generate_series(1, 2)', timeout: 100 });
      await assert.rejects(slow.fetch(1), (e: Error) => e.name === 'TimeoutError');
    } finally {
      await conn.execute('ROLLBACK');
    }
    assert.equal(await conn.fetchVal('SELECT 1'), 1);
  });

  test('the docs/cursors.md example runs as written', async () => {
    await runDocExample('docs/cursors.md');
  });
});
