import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect } from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import { testDsn } from './harness.js';

// Values sent to the server and read back through the binary codecs.
describe('basic types against the server', () => {
  let conn: Connection;
  before(async () => {
    conn = await connect(testDsn());
  });
  after(async () => {
    await conn.close();
  });

  const roundTrip = async (type: string, value: unknown) => conn.fetchVal(`SELECT $1::${type}`, value);

  test('integers, int8 as bigint', async () => {
    assert.equal(await roundTrip('int2', -32768), -32768);
    assert.equal(await roundTrip('int4', 2147483647), 2147483647);
    assert.equal(await roundTrip('int8', 9007199254740993n), 9007199254740993n);
    assert.equal(await roundTrip('int8', -1n), -1n);
    assert.equal(await conn.fetchVal('SELECT 42::int8'), 42n);
  });

  test('floats keep NaN and infinities', async () => {
    assert.equal(await roundTrip('float8', 0.1), 0.1);
    assert.ok(Number.isNaN(await roundTrip('float8', NaN)));
    assert.equal(await roundTrip('float8', -Infinity), -Infinity);
    assert.equal(await roundTrip('float4', 1.5), 1.5);
  });

  test('bool, text, bytea, uuid', async () => {
    assert.equal(await roundTrip('bool', true), true);
    assert.equal(await roundTrip('text', 'héllo ✓ 𝄞'), 'héllo ✓ 𝄞');
    const b = Buffer.from([0, 1, 2, 255]);
    assert.deepEqual(await roundTrip('bytea', b), b);
    assert.equal(await roundTrip('uuid', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
  });

  test('json and jsonb are parsed; parameters are JSON-encoded', async () => {
    const v = { a: [1, 2, { b: null }], s: 'x' };
    assert.deepEqual(await roundTrip('jsonb', v), v);
    assert.deepEqual(await roundTrip('json', v), v);
    assert.equal(await roundTrip('jsonb', 'just a string'), 'just a string');
    assert.equal(await conn.fetchVal(`SELECT jsonb_typeof($1::jsonb)`, 'text'), 'string');
  });

  test('numeric is an exact string', async () => {
    assert.equal(await roundTrip('numeric', '12345678901234567890.000000000000000001'), '12345678901234567890.000000000000000001');
    assert.equal(await conn.fetchVal('SELECT 0.1::numeric + 0.2::numeric'), '0.3');
    assert.equal(await conn.fetchVal("SELECT 'NaN'::numeric"), 'NaN');
    assert.equal(await conn.fetchVal('SELECT -1.50::numeric(10,2)'), '-1.50');
  });

  test('date is a YYYY-MM-DD string, independent of the time zone', async () => {
    assert.equal(await conn.fetchVal("SELECT '2024-02-29'::date"), '2024-02-29');
    assert.equal(await roundTrip('date', '1999-12-31'), '1999-12-31');
    assert.equal(await conn.fetchVal("SELECT 'infinity'::date"), 'infinity');
  });

  test('timestamptz and timestamp are Dates, timestamp read as UTC wall clock', async () => {
    const d = new Date('2024-05-06T07:08:09.123Z');
    assert.deepEqual(await roundTrip('timestamptz', d), d);
    assert.deepEqual(await conn.fetchVal("SELECT '2024-05-06 07:08:09.123'::timestamp"), d);
    assert.deepEqual(await conn.fetchVal("SELECT '2024-05-06 09:08:09.123+02'::timestamptz"), d);
  });

  test('NULL in, NULL out', async () => {
    assert.equal(await roundTrip('int4', null), null);
    assert.deepEqual(await conn.fetchRow('SELECT NULL::text AS t, NULL::int AS i'), { t: null, i: null });
  });

  test('a type without a binary codec comes back as its text form', async () => {
    assert.equal(await conn.fetchVal("SELECT '192.168.0.1/24'::inet"), '192.168.0.1/24');
  });
});
