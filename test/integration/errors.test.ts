import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  connect,
  ConnectionError,
  IntegrityConstraintViolationError,
  InterfaceError,
  PostgresError,
  TimeoutError,
  UniqueViolationError,
} from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import { testDsn } from './harness.js';

describe('errors', () => {
  let conn: Connection;
  before(async () => {
    conn = await connect(testDsn());
  });
  after(async () => {
    await conn.close();
  });

  test('a unique violation is typed, with every field and the SQL attached', async () => {
    await conn.execute('CREATE TEMP TABLE uv (id int CONSTRAINT uv_pk PRIMARY KEY)');
    await conn.execute('INSERT INTO uv VALUES (1)');
    const sql = 'INSERT INTO uv VALUES ($1)';
    await assert.rejects(conn.execute(sql, 1), (e: unknown) => {
      assert.ok(e instanceof UniqueViolationError);
      assert.ok(e instanceof IntegrityConstraintViolationError);
      assert.ok(e instanceof PostgresError);
      assert.equal(e.sqlstate, '23505');
      assert.equal(e.code, '23505');
      assert.equal(e.severity, 'ERROR');
      assert.equal(e.constraintName, 'uv_pk');
      assert.equal(e.tableName, 'uv');
      assert.ok(e.schemaName?.startsWith('pg_temp'));
      assert.match(e.detail ?? '', /Key \(id\)=\(1\) already exists/);
      assert.equal(e.query, sql);
      return true;
    });
  });

  test('a syntax error carries its position as a number', async () => {
    await assert.rejects(conn.fetch('SELECT 1 FROM'), (e: unknown) => {
      assert.ok(e instanceof PostgresError);
      assert.equal(e.sqlstate, '42601');
      assert.equal(typeof e.position, 'number');
      assert.equal(e.query, 'SELECT 1 FROM');
      return true;
    });
  });

  test('the hint and data type fields are typed', async () => {
    await assert.rejects(conn.fetch('SELECT nosuchfunction(1)'), (e: unknown) => {
      assert.ok(e instanceof PostgresError);
      assert.equal(e.sqlstate, '42883');
      assert.match(e.hint ?? '', /No function matches/);
      return true;
    });
  });

  test('a refused port is a ConnectionError that says what to check', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    await assert.rejects(connect({ host: '127.0.0.1', port, user: 'u', database: 'd', sslmode: 'disable' }), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.equal(e.errno, 'ECONNREFUSED');
      assert.match(e.message, new RegExp(`connection refused on 127\\.0\\.0\\.1:${port}`));
      assert.match(e.message, /is PostgreSQL running/);
      assert.deepEqual(e.target?.port, port);
      return true;
    });
  });

  test('a missing database is typed and named', async () => {
    await assert.rejects(connect(testDsn(), { database: 'no_such_db_here' }), (e: unknown) => {
      assert.ok(e instanceof PostgresError);
      assert.equal(e.name, 'InvalidCatalogNameError');
      assert.match(e.message, /database "no_such_db_here" does not exist/);
      return true;
    });
  });

  test('connectTimeout covers a server that never answers', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const started = Date.now();
    try {
      await assert.rejects(
        connect({ host: '127.0.0.1', port, user: 'u', database: 'd', connectTimeout: 300, sslmode: 'disable' }),
        (e: unknown) => {
          assert.ok(e instanceof TimeoutError);
          assert.match(e.message, /timed out after 300 ms/);
          return true;
        },
      );
      assert.ok(Date.now() - started < 5000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  test('a NUL byte in a startup value is refused before connecting', async () => {
    await assert.rejects(connect(testDsn(), { applicationName: 'bad\0name' }), InterfaceError);
  });

  test('an unknown option is refused by name', async () => {
    await assert.rejects(
      // @ts-expect-error a typo on purpose
      connect(testDsn(), { conectTimeout: 5 }),
      (e: unknown) => e instanceof InterfaceError && /conectTimeout/.test(e.message),
    );
  });
});
