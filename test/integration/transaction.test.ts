import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, ConnectionError, InterfaceError, ReadOnlySQLTransactionError, SerializationError } from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import { runDocExample } from './docs-example.js';
import { testDsn } from './harness.js';

describe('transactions', () => {
  let conn: Connection;
  before(async () => {
    conn = await connect(testDsn());
    await conn.execute('DROP TABLE IF EXISTS tx_items; CREATE TABLE tx_items (id int PRIMARY KEY, note text)');
  });
  after(async () => {
    await conn.execute('DROP TABLE IF EXISTS tx_items');
    await conn.close();
  });

  async function ids(): Promise<number[]> {
    const rows = await conn.fetch<{ id: number }>('SELECT id FROM tx_items ORDER BY id');
    return rows.map((r) => r.id);
  }

  test('the callback form commits when fn resolves and returns its value', async () => {
    await conn.execute('TRUNCATE tx_items');
    const out = await conn.transaction(async (c) => {
      assert.equal(c, conn);
      assert.equal(conn.isInTransaction(), true);
      await conn.execute('INSERT INTO tx_items VALUES ($1)', 1);
      return 'done';
    });
    assert.equal(out, 'done');
    assert.equal(conn.isInTransaction(), false);
    assert.deepEqual(await ids(), [1]);
  });

  test('a thrown error rolls everything back, nested work included, and is rethrown', async () => {
    await conn.execute('TRUNCATE tx_items');
    const boom = new Error('boom');
    await assert.rejects(
      conn.transaction(async () => {
        await conn.execute('INSERT INTO tx_items VALUES ($1)', 1);
        await conn.transaction(async () => {
          await conn.execute('INSERT INTO tx_items VALUES ($1)', 2);
        });
        throw boom;
      }),
      (e) => e === boom,
    );
    assert.equal(conn.isInTransaction(), false);
    assert.deepEqual(await ids(), []);
    assert.equal(conn.txStack.open.length, 0);
  });

  test('savepoints: an inner rollback keeps the outer work (rows 1 and 3 committed, row 2 not)', async () => {
    await conn.execute('TRUNCATE tx_items');
    await conn.transaction(async () => {
      await conn.execute('INSERT INTO tx_items VALUES ($1)', 1);
      await assert.rejects(
        conn.transaction(async () => {
          await conn.execute('INSERT INTO tx_items VALUES ($1)', 2);
          throw new Error('inner failure');
        }),
        /inner failure/,
      );
      await conn.execute('INSERT INTO tx_items VALUES ($1)', 3);
    });
    assert.deepEqual(await ids(), [1, 3]);
  });

  test('a failed statement inside a nested block rolls back to its savepoint only', async () => {
    await conn.execute('TRUNCATE tx_items');
    await conn.transaction(async () => {
      await conn.execute('INSERT INTO tx_items VALUES ($1)', 1);
      await assert.rejects(
        conn.transaction(async () => {
          await conn.execute('INSERT INTO tx_items VALUES ($1)', 1); // duplicate key
        }),
        (e: Error & { sqlstate?: string }) => e.sqlstate === '23505',
      );
      assert.equal(conn.core.txStatus, 'T');
      await conn.execute('INSERT INTO tx_items VALUES ($1)', 2);
    });
    assert.deepEqual(await ids(), [1, 2]);
  });

  test('the manual form: start, commit, rollback, and await using', async () => {
    await conn.execute('TRUNCATE tx_items');
    const tx = conn.transaction();
    assert.equal(tx.state, 'new');
    assert.equal(await tx.start(), tx);
    await conn.execute('INSERT INTO tx_items VALUES ($1)', 1);
    await tx.commit();
    assert.equal(tx.state, 'committed');

    const tx2 = await conn.transaction().start();
    await conn.execute('INSERT INTO tx_items VALUES ($1)', 2);
    await tx2.rollback();
    assert.equal(tx2.state, 'rolledBack');

    {
      await using tx3 = await conn.transaction().start();
      await conn.execute('INSERT INTO tx_items VALUES ($1)', 3);
      assert.equal(tx3.state, 'started');
      // no commit: leaving the block rolls back
    }
    {
      await using tx4 = await conn.transaction().start();
      await conn.execute('INSERT INTO tx_items VALUES ($1)', 4);
      await tx4.commit();
    }
    assert.equal(conn.isInTransaction(), false);
    assert.deepEqual(await ids(), [1, 4]);
  });

  test('nested manual transactions are savepoints', async () => {
    await conn.execute('TRUNCATE tx_items');
    const outer = await conn.transaction().start();
    await conn.execute('INSERT INTO tx_items VALUES (1)');
    const inner = await conn.transaction().start();
    assert.equal(inner.isNested, true);
    assert.equal(outer.isNested, false);
    await conn.execute('INSERT INTO tx_items VALUES (2)');
    await assert.rejects(outer.commit(), (e) => e instanceof InterfaceError && /nested in this one is still open/.test(e.message));
    await inner.rollback();
    const inner2 = await conn.transaction().start();
    await conn.execute('INSERT INTO tx_items VALUES (3)');
    await inner2.commit();
    await outer.commit();
    assert.deepEqual(await ids(), [1, 3]);
  });

  test('rolling back an outer transaction ends the nested ones with it', async () => {
    const outer = await conn.transaction().start();
    const inner = await conn.transaction().start();
    await outer.rollback();
    assert.equal(inner.state, 'rolledBack');
    assert.equal(conn.isInTransaction(), false);
    await assert.rejects(inner.commit(), (e) => e instanceof InterfaceError && /already rolled back/.test(e.message));
  });

  test('isolation levels, read-only and deferrable reach the server', async () => {
    for (const [isolation, shown] of [
      ['read_committed', 'read committed'],
      ['repeatable_read', 'repeatable read'],
      ['serializable', 'serializable'],
      ['read_uncommitted', 'read uncommitted'],
    ] as const) {
      await conn.transaction(async () => {
        assert.equal(await conn.fetchVal('SHOW transaction_isolation'), shown);
      }, { isolation });
    }
    await conn.transaction(async () => {
      assert.equal(await conn.fetchVal('SHOW transaction_read_only'), 'on');
      assert.equal(await conn.fetchVal('SHOW transaction_deferrable'), 'on');
    }, { isolation: 'serializable', readOnly: true, deferrable: true });
  });

  test('a write in a read-only transaction fails with 25006 and rolls back', async () => {
    await conn.execute('TRUNCATE tx_items');
    await assert.rejects(
      conn.transaction(async () => {
        await conn.execute('INSERT INTO tx_items VALUES ($1)', 1);
      }, { readOnly: true }),
      (e) => e instanceof ReadOnlySQLTransactionError && e.sqlstate === '25006',
    );
    assert.equal(conn.isInTransaction(), false);
    assert.deepEqual(await ids(), []);
  });

  test('a nested transaction asking for another isolation, read-only or deferrable setting is an InterfaceError', async () => {
    await conn.transaction(async () => {
      await assert.rejects(
        conn.transaction(async () => undefined, { isolation: 'read_committed' }),
        (e) => e instanceof InterfaceError && /cannot use isolation "read_committed".*"serializable"/.test(e.message),
      );
      // Repeating the outer isolation is fine.
      await conn.transaction(async () => undefined, { isolation: 'serializable' });
      await assert.rejects(conn.transaction(async () => undefined, { readOnly: true }), InterfaceError);
      await assert.rejects(conn.transaction(async () => undefined, { deferrable: true }), InterfaceError);
    }, { isolation: 'serializable' });
    // Outer at the server default: the nested isolation is compared with what the server runs.
    await conn.transaction(async () => {
      await conn.transaction(async () => undefined, { isolation: 'read_committed' });
      await assert.rejects(conn.transaction(async () => undefined, { isolation: 'serializable' }), /outer transaction runs at "read_committed"/);
    });
  });

  test('calling into a finished transaction is an InterfaceError', async () => {
    const tx = await conn.transaction().start();
    await tx.commit();
    await assert.rejects(tx.commit(), (e) => e instanceof InterfaceError && /already committed/.test(e.message));
    await assert.rejects(tx.rollback(), (e) => e instanceof InterfaceError && /already committed/.test(e.message));
    await assert.rejects(tx.start(), (e) => e instanceof InterfaceError && /already committed/.test(e.message));
    const fresh = conn.transaction();
    await assert.rejects(fresh.commit(), (e) => e instanceof InterfaceError && /not started; call start\(\) first/.test(e.message));
    await fresh[Symbol.asyncDispose](); // nothing to do, no error
  });

  test('a manual BEGIN mixed with a managed transaction is an InterfaceError', async () => {
    await conn.execute('BEGIN');
    await assert.rejects(conn.transaction().start(), (e) => e instanceof InterfaceError && /manual BEGIN/.test(e.message));
    await assert.rejects(conn.transaction(async () => 1), (e) => e instanceof InterfaceError && /manual BEGIN/.test(e.message));
    await conn.execute('ROLLBACK');

    // A manual COMMIT inside a managed transaction is caught at commit().
    await assert.rejects(
      conn.transaction(async () => {
        await conn.execute('COMMIT');
      }),
      (e) => e instanceof InterfaceError && /manual COMMIT or ROLLBACK/.test(e.message),
    );
    assert.equal(conn.isInTransaction(), false);
    assert.equal(conn.txStack.open.length, 0);
  });

  test('commit() after a failed statement rolls back and says so', async () => {
    await conn.execute('TRUNCATE tx_items');
    const tx = await conn.transaction().start();
    await conn.execute('INSERT INTO tx_items VALUES (1)');
    await assert.rejects(conn.execute('SELECT 1/0'));
    await assert.rejects(tx.commit(), (e) => e instanceof InterfaceError && /rolled back because a statement in it failed/.test(e.message));
    assert.equal(tx.state, 'rolledBack');
    assert.equal(conn.isInTransaction(), false);
    // The callback form: fn swallowed an error, so nothing may be committed.
    await assert.rejects(
      conn.transaction(async () => {
        await conn.execute('INSERT INTO tx_items VALUES (2)');
        await conn.execute('SELECT 1/0').catch(() => undefined);
      }),
      /rolled back because a statement in it failed/,
    );
    assert.deepEqual(await ids(), []);
  });

  test('a connection lost inside a transaction rejects the block with the connection error', async () => {
    const victim = await connect(testDsn());
    const killer = await connect(testDsn());
    try {
      await assert.rejects(
        victim.transaction(async () => {
          await victim.execute('SELECT 1');
          await killer.execute('SELECT pg_terminate_backend($1)', victim.getServerPid());
          await victim.execute('SELECT pg_sleep(5)');
        }),
        (e) => e instanceof ConnectionError,
      );
      assert.equal(victim.txStack.open.length, 0);
    } finally {
      await killer.close();
    }
  });

  test('bad options are InterfaceErrors naming the problem', () => {
    assert.throws(() => conn.transaction({ isolation: 'snapshot' as never }), /isolation must be one of 'read_committed'/);
    assert.throws(() => conn.transaction({ readonly: true } as never), /unknown option "readonly"/);
    assert.throws(() => conn.transaction({ readOnly: 'yes' as never }), /"readOnly" must be a boolean/);
  });

  describe('serialization failures', () => {
    let other: Connection;
    before(async () => {
      other = await connect(testDsn());
      await conn.execute('DROP TABLE IF EXISTS tx_oncall; CREATE TABLE tx_oncall (name text PRIMARY KEY, on_call boolean)');
    });
    after(async () => {
      await conn.execute('DROP TABLE IF EXISTS tx_oncall');
      await other.close();
    });

    async function reset(): Promise<void> {
      await conn.execute("TRUNCATE tx_oncall; INSERT INTO tx_oncall VALUES ('alice', true), ('bob', true)");
    }

    /** Write skew: each takes someone off call if two are on call. One of two must fail under serializable. */
    async function takeOff(c: Connection, name: string): Promise<void> {
      const n = await c.fetchVal<bigint>('SELECT count(*) FROM tx_oncall WHERE on_call');
      if (Number(n) >= 2) await c.execute('UPDATE tx_oncall SET on_call = false WHERE name = $1', name);
    }

    test('a conflicting COMMIT surfaces as SerializationError (40001)', async () => {
      await reset();
      const t1 = await conn.transaction({ isolation: 'serializable' }).start();
      const t2 = await other.transaction({ isolation: 'serializable' }).start();
      await takeOff(conn, 'alice');
      await takeOff(other, 'bob');
      await t1.commit();
      await assert.rejects(t2.commit(), (e) => e instanceof SerializationError && e.sqlstate === '40001');
      assert.equal(t2.state, 'rolledBack');
      assert.equal(other.isInTransaction(), false);
      assert.equal(await conn.fetchVal('SELECT count(*)::int FROM tx_oncall WHERE on_call'), 1);
    });

    test('retry runs the transaction again after a serialization failure, within its bound', async () => {
      await reset();
      let attempts = 0;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      // t1 holds its transaction open until the retried one has read, so the first attempt must fail.
      const t1 = conn.transaction(async () => {
        await takeOff(conn, 'alice');
        await gate;
      }, { isolation: 'serializable' });
      const t2 = other.transaction(async () => {
        attempts++;
        await takeOff(other, 'bob');
        if (attempts === 1) {
          release();
          await t1;
        }
      }, { isolation: 'serializable', retry: { attempts: 3, initialDelay: 1, maxDelay: 5 } });
      await t2;
      assert.equal(attempts, 2);
      // After the retry, t2 saw alice off call and left bob on.
      assert.equal(await conn.fetchVal('SELECT count(*)::int FROM tx_oncall WHERE on_call'), 1);

      // With one attempt only, the failure comes back.
      await reset();
      let release2!: () => void;
      const gate2 = new Promise<void>((r) => (release2 = r));
      const t3 = conn.transaction(async () => {
        await takeOff(conn, 'alice');
        await gate2;
      }, { isolation: 'serializable' });
      await assert.rejects(
        other.transaction(async () => {
          await takeOff(other, 'bob');
          release2();
          await t3;
        }, { isolation: 'serializable', retry: { attempts: 1 } }),
        SerializationError,
      );
    });

    test('retry is refused on a nested transaction and validated', async () => {
      await conn.transaction(async () => {
        await assert.rejects(conn.transaction(async () => undefined, { retry: true }), /needs a top-level transaction/);
      });
      await assert.rejects(conn.transaction(async () => undefined, { retry: { attempts: 0 } }), /attempts must be an integer from 1 to 100/);
      await assert.rejects(conn.transaction(async () => undefined, { retry: { tries: 2 } as never }), /unknown retry option "tries"/);
    });
  });

  test('the docs/transactions.md example runs as written', async () => {
    await runDocExample('docs/transactions.md');
  });
});
