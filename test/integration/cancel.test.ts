import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AbortError, connect, ConnectionError, InterfaceError, TimeoutError } from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import { testDsn } from './harness.js';

describe('timeouts, cancellation and connection loss', () => {
  let conn: Connection;
  before(async () => {
    conn = await connect(testDsn());
  });
  after(async () => {
    await conn.close();
  });

  test('an aborted pg_sleep(10) returns well under a second and the connection stays usable', async () => {
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(conn.fetchVal({ text: 'SELECT pg_sleep(10)', signal: ac.signal }), AbortError);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
    assert.equal(await conn.fetchVal('SELECT 42'), 42);
    // The backend really stopped sleeping: nothing is active on it.
    const pid = conn.getServerPid();
    const other = await connect(testDsn());
    try {
      const state = await other.fetchVal('SELECT state FROM pg_stat_activity WHERE pid = $1', pid);
      assert.equal(state, 'idle');
    } finally {
      await other.close();
    }
  });

  test('an already-aborted signal rejects without sending', async () => {
    const ac = new AbortController();
    ac.abort(new Error('not needed'));
    await assert.rejects(conn.fetchVal({ text: 'SELECT 1', signal: ac.signal }), AbortError);
    assert.equal(await conn.fetchVal('SELECT 2'), 2);
  });

  test('a per-call timeout cancels the query on the server', async () => {
    const started = Date.now();
    await assert.rejects(conn.execute({ text: 'SELECT pg_sleep(10)', timeout: 150 }), (e: unknown) => {
      assert.ok(e instanceof TimeoutError);
      assert.match(e.message, /150 ms/);
      assert.match(e.message, /pg_sleep/);
      return true;
    });
    assert.ok(Date.now() - started < 1000);
    assert.equal(await conn.fetchVal('SELECT 7'), 7);
  });

  test('commandTimeout is the connection default', async () => {
    const c = await connect(testDsn(), { commandTimeout: 150 });
    try {
      await assert.rejects(c.fetchVal('SELECT pg_sleep(5)'), TimeoutError);
      assert.equal(await c.fetchVal('SELECT 1'), 1);
    } finally {
      await c.close();
    }
  });

  test('a cancel never hits a later query', async () => {
    // Queue a slow query to be cancelled and many quick ones right behind it.
    const ac = new AbortController();
    const slow = conn.fetchVal({ text: 'SELECT pg_sleep(5)', signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(slow, AbortError);
    const later = await Promise.all(Array.from({ length: 50 }, (_, i) => conn.fetchVal('SELECT $1::int, pg_sleep(0.001)', i)));
    assert.deepEqual(later, Array.from({ length: 50 }, (_, i) => i));
  });

  test('a timed-out call queued behind another does not cancel the one in front', async () => {
    const first = conn.fetchVal('SELECT pg_sleep(0.4)::text || $1::text', 'first');
    const second = conn.fetchVal({ text: 'SELECT $1::text', args: ['second'], timeout: 100 });
    await assert.rejects(second, TimeoutError);
    assert.equal(await first, 'first');
    assert.equal(await conn.fetchVal('SELECT 3'), 3);
  });

  test('when the server ends the backend, every pending call rejects with ConnectionError', async () => {
    const victim = await connect(testDsn());
    const killer = await connect(testDsn());
    try {
      // Settle-tracking starts at once: the calls may reject before the killer's answer arrives.
      const settled = Promise.allSettled([victim.fetchVal('SELECT pg_sleep(5)'), victim.fetchVal('SELECT 1'), victim.fetchVal('SELECT 2')]);
      await new Promise((r) => setTimeout(r, 100));
      await killer.fetchVal('SELECT pg_terminate_backend($1)', victim.getServerPid());
      const results = await settled;
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        const reason = (r as PromiseRejectedResult).reason as Error;
        assert.ok(reason instanceof ConnectionError || reason.name === 'AdminShutdownError', `${reason.name}: ${reason.message}`);
      }
      assert.equal(victim.isClosed(), true);
      await assert.rejects(victim.fetchVal('SELECT 1'), ConnectionError);
    } finally {
      await killer.close();
      victim.terminate();
    }
  });

  test('calls held back by a full pipeline settle when the connection dies', async () => {
    const victim = await connect(testDsn());
    const killer = await connect(testDsn());
    try {
      // A tiny pipeline: the third call onwards waits for room.
      victim.core.maxPending = 2;
      const settled = Promise.allSettled(Array.from({ length: 10 }, () => victim.fetchVal('SELECT pg_sleep(5)')));
      await new Promise((r) => setTimeout(r, 150));
      await killer.fetchVal('SELECT pg_terminate_backend($1)', victim.getServerPid());
      const guard = new Promise<'hung'>((r) => setTimeout(() => r('hung'), 3000).unref());
      const results = await Promise.race([settled, guard]);
      assert.notEqual(results, 'hung', 'calls waiting for pipeline room never settled');
      for (const r of results as PromiseSettledResult<unknown>[]) {
        assert.equal(r.status, 'rejected');
        assert.ok((r as PromiseRejectedResult).reason instanceof ConnectionError);
      }
    } finally {
      await killer.close();
      victim.terminate();
    }
  });

  test('close waits for pending calls; terminate rejects them at once', async () => {
    const c = await connect(testDsn());
    const v = c.fetchVal('SELECT pg_sleep(0.2)::text || $1::text', 'done');
    await c.close();
    assert.equal(await v, 'done');
    assert.equal(c.isClosed(), true);
    await assert.rejects(c.fetchVal('SELECT 1'), (e: unknown) => e instanceof ConnectionError || e instanceof InterfaceError);

    const d = await connect(testDsn());
    const w = d.fetchVal('SELECT pg_sleep(5)');
    d.terminate();
    await assert.rejects(w, ConnectionError);
    assert.equal(d.isClosed(), true);
  });

  test('close({ timeout }) terminates when pending calls take too long', async () => {
    const c = await connect(testDsn());
    const v = c.fetchVal('SELECT pg_sleep(5)');
    const started = Date.now();
    await c.close({ timeout: 100 });
    assert.ok(Date.now() - started < 1000);
    await assert.rejects(v, ConnectionError);
  });

  test('termination listeners hear about the close', async () => {
    const c = await connect(testDsn());
    let heard = 0;
    c.addTerminationListener(() => heard++);
    await c.close();
    assert.equal(heard, 1);
  });
});
