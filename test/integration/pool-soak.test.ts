/**
 * The soak: 10 000 requests from 200 concurrent callers on a pool of 10,
 * with SQL errors, application errors inside transactions, timeouts and
 * aborts, and pool connections killed with pg_terminate_backend, both the
 * caller's own and, in the background, any of them. At the end every
 * result is checked, every promise has settled, no connection is checked
 * out, and nothing unhandled reached the process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError, connect, ConnectionError, createPool, PostgresError, TimeoutError } from '../../src/index.js';
import type { Connection, Pool } from '../../src/index.js';
import { testDsn } from './harness.js';

const CALLERS = 200;
const PER_CALLER = 50;
const POOL_SIZE = 10;
const APP = 'pgjet-soak';

/** A small seeded generator (mulberry32), so a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class AppError extends Error {}

/** The server ended the connection under a call (a background kill). */
function isConnectionLoss(e: unknown): boolean {
  return e instanceof ConnectionError || (e instanceof PostgresError && e.sqlstate === '57P01');
}

describe('pool soak', () => {
  let admin: Connection;
  before(async () => {
    admin = await connect(testDsn());
    await admin.execute('DROP TABLE IF EXISTS soak_t; CREATE TABLE soak_t (id int PRIMARY KEY, caller int NOT NULL)');
  });
  after(async () => {
    await admin.execute('DROP TABLE IF EXISTS soak_t');
    await admin.close();
  });

  test(`${CALLERS * PER_CALLER} requests from ${CALLERS} callers on a pool of ${POOL_SIZE}, with errors, cancellations and killed connections`, async () => {
    const seed = Number(process.env['PGJET_SOAK_SEED'] ?? Date.now() % 100000);
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    const pool: Pool = await createPool(testDsn(), { minSize: POOL_SIZE, maxSize: POOL_SIZE, acquireTimeout: 30_000, applicationName: APP });
    const started = Date.now();
    const counts = new Map<string, number>();
    const wrong: string[] = [];
    const committed = new Set<number>();
    let collateral = 0;
    let backgroundKills = 0;
    let created = 0;
    let settled = 0;
    let maxOpen = 0;
    let stop = false;
    try {
      const sampler = (async () => {
        while (!stop) {
          const s = pool.getStats();
          maxOpen = Math.max(maxOpen, s.size + s.connecting);
          await sleep(5);
        }
      })();
      const killer = (async () => {
        const rnd = random(seed + 1);
        while (!stop) {
          await sleep(100 + rnd() * 100);
          if (stop) break;
          const pids = await admin.fetch<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', APP);
          const victim = pids[Math.floor(rnd() * pids.length)];
          if (victim === undefined) continue;
          if (await admin.fetchVal('SELECT pg_terminate_backend($1)', victim.pid)) backgroundKills++;
        }
      })();

      const one = async (rnd: () => number, caller: number, i: number): Promise<void> => {
        const r = rnd();
        const id = caller * PER_CALLER + i;
        const kind =
          r < 0.5 ? 'value' : r < 0.6 ? 'rows' : r < 0.7 ? 'sql-error' : r < 0.8 ? 'transaction' : r < 0.84 ? 'timeout' : r < 0.88 ? 'abort' : r < 0.97 ? 'held' : 'kill-own';
        counts.set(kind, (counts.get(kind) ?? 0) + 1);
        const expectLoss = (e: unknown): void => {
          if (isConnectionLoss(e)) collateral++;
          else wrong.push(`${kind} #${id}: unexpected ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        };
        try {
          switch (kind) {
            case 'value': {
              try {
                const v = await pool.fetchVal<number>('SELECT $1::int + $2::int', caller, i);
                if (v !== caller + i) wrong.push(`value #${id}: ${String(v)}`);
              } catch (e) {
                expectLoss(e);
              }
              break;
            }
            case 'rows': {
              try {
                const rows = await pool.fetch<{ n: number }>('SELECT n FROM generate_series(1, $1::int) AS n', (i % 5) + 1);
                if (rows.length !== (i % 5) + 1 || rows.some((row, k) => row.n !== k + 1)) wrong.push(`rows #${id}`);
              } catch (e) {
                expectLoss(e);
              }
              break;
            }
            case 'sql-error': {
              try {
                await pool.fetchVal('SELECT 1 / ($1::int - $1::int)', i);
                wrong.push(`sql-error #${id}: no error`);
              } catch (e) {
                if (!(e instanceof PostgresError && e.sqlstate === '22012')) expectLoss(e);
              }
              break;
            }
            case 'transaction': {
              const fail = rnd() < 0.5;
              try {
                await pool.transaction(async (c) => {
                  await c.execute('INSERT INTO soak_t VALUES ($1, $2)', id, caller);
                  if (fail) throw new AppError('application failure');
                  const n = await c.fetchVal<number>('SELECT caller FROM soak_t WHERE id = $1', id);
                  if (n !== caller) wrong.push(`transaction #${id}: read ${String(n)}`);
                });
                if (fail) wrong.push(`transaction #${id}: committed despite the throw`);
                else committed.add(id);
              } catch (e) {
                if (!(fail && e instanceof AppError)) expectLoss(e);
              }
              break;
            }
            case 'timeout': {
              try {
                await pool.fetchVal({ text: 'SELECT pg_sleep(0.5)', timeout: 15 });
                wrong.push(`timeout #${id}: finished`);
              } catch (e) {
                if (!(e instanceof TimeoutError)) expectLoss(e);
              }
              break;
            }
            case 'abort': {
              const ac = new AbortController();
              setTimeout(() => ac.abort(), 10);
              try {
                await pool.fetchVal({ text: 'SELECT pg_sleep(0.5)', signal: ac.signal });
                wrong.push(`abort #${id}: finished`);
              } catch (e) {
                if (!(e instanceof AbortError)) expectLoss(e);
              }
              break;
            }
            case 'held': {
              try {
                await using c = await pool.acquire();
                const [a, b] = await Promise.all([c.fetchVal<number>('SELECT $1::int', id), c.fetchVal<string>('SELECT $1::text', `c${caller}`)]);
                if (a !== id || b !== `c${caller}`) wrong.push(`held #${id}`);
                await c.execute("SET application_name = 'changed'");
              } catch (e) {
                expectLoss(e);
              }
              break;
            }
            case 'kill-own': {
              try {
                // The backend ends itself: the call fails with the server's FATAL, and the connection is gone.
                await pool.acquire(async (c) => {
                  await c.fetchVal('SELECT pg_terminate_backend(pg_backend_pid())');
                });
                wrong.push(`kill-own #${id}: the call that killed its own backend succeeded`);
              } catch (e) {
                if (!isConnectionLoss(e)) wrong.push(`kill-own #${id}: ${e instanceof Error ? e.message : String(e)}`);
              }
              break;
            }
          }
        } catch (e) {
          wrong.push(`${kind} #${id}: threw ${e instanceof Error ? e.message : String(e)}`);
        }
      };

      const callers: Promise<void>[] = [];
      for (let caller = 0; caller < CALLERS; caller++) {
        const rnd = random(seed * 1000 + caller);
        callers.push(
          (async () => {
            for (let i = 0; i < PER_CALLER; i++) {
              created++;
              await one(rnd, caller, i).finally(() => settled++);
            }
          })(),
        );
      }
      // Every promise settles: a watchdog turns a hang into a failure that says how many are pending.
      let watchdog: NodeJS.Timeout | undefined;
      const hung = new Promise<'hung'>((resolve) => (watchdog = setTimeout(() => resolve('hung'), 50_000)));
      const outcome = await Promise.race([Promise.allSettled(callers).then(() => 'done' as const), hung]);
      clearTimeout(watchdog);
      stop = true;
      await Promise.all([sampler, killer]);
      assert.equal(outcome, 'done', `${created - settled} requests still pending after 50 s (seed ${seed})`);
      assert.equal(created, CALLERS * PER_CALLER);
      assert.equal(settled, created);
      assert.deepEqual(wrong, [], `seed ${seed}`);
      assert.ok(collateral <= backgroundKills, `${collateral} calls lost their connection, but only ${backgroundKills} were killed in the background`);
      assert.ok(maxOpen <= POOL_SIZE, `the pool opened ${maxOpen} connections at once`);

      // Nothing checked out: the resets still running finish, and every connection is idle again.
      const deadline = Date.now() + 5000;
      while (pool.getStats().used > 0 && Date.now() < deadline) await sleep(10);
      const stats = pool.getStats();
      assert.equal(stats.used, 0, 'no connection is still checked out');
      assert.equal(stats.pending, 0, 'no caller is waiting');
      assert.equal(stats.timeouts, 0, 'no acquire timed out');
      const rows = await admin.fetch<{ id: number }>('SELECT id FROM soak_t ORDER BY id');
      assert.deepEqual(
        rows.map((r) => r.id),
        [...committed].sort((a, b) => a - b),
        'exactly the committed transactions are in the table',
      );
      // Killed connections were replaced.
      assert.equal(await pool.fetchVal('SELECT 1'), 1);
      const elapsed = Date.now() - started;
      process.stdout.write(
        `# soak (seed ${seed}): ${created} requests in ${elapsed} ms; ${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')}; ` +
          `${backgroundKills} background kills, ${collateral} calls lost with them; ${stats.created} connections opened\n`,
      );
    } finally {
      stop = true;
      await pool.close({ timeout: 5000 });
      await sleep(20);
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUnhandled);
    }
    assert.deepEqual(unhandled, [], 'nothing unhandled reached the process');
  });
});
