import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProtocolError } from '../../../src/errors/client.js';
import { timestamp, timestampAsString, timestamptz, timestamptzAsString } from '../../../src/types/builtins/datetime.js';
import { PreciseDate } from '../../../src/types/builtins/precise-date.js';
import { time, timetz } from '../../../src/types/builtins/time.js';
import { toText } from '../../../src/types/text.js';
import { decode, encode, encodeHex, roundTrip } from './helpers.js';

const hex64 = (n: bigint): string => BigInt.asUintN(64, n).toString(16).padStart(16, '0');
/** Microseconds from 1970 to 2000. */
const EPOCH_US = 946684800000000n;

describe('PreciseDate', () => {
  test('is a Date that keeps the microseconds below its millisecond', () => {
    const d = new PreciseDate('2024-05-06T07:08:09.123456Z');
    assert.ok(d instanceof Date);
    assert.equal(d.getTime(), Date.UTC(2024, 4, 6, 7, 8, 9, 123));
    assert.equal(d.microseconds, 456);
    assert.equal(d.getMicroseconds(), 456);
    assert.equal(d.toISOString(), '2024-05-06T07:08:09.123456Z');
    assert.equal(JSON.stringify({ d }), '{"d":"2024-05-06T07:08:09.123456Z"}');
    assert.equal(new PreciseDate(d).microseconds, 456, 'a copy keeps them');
    assert.equal(new PreciseDate(d, 7).microseconds, 7);
    assert.equal(new PreciseDate(0).toISOString(), '1970-01-01T00:00:00.000000Z');
    assert.equal(new PreciseDate('1969-12-31T23:59:59.9999Z').microseconds, 900);
    assert.equal(JSON.stringify(new PreciseDate(NaN)), 'null');
  });

  test('refuses microseconds outside 0-999', () => {
    for (const us of [-1, 1000, 1.5, NaN]) assert.throws(() => new PreciseDate(0, us), RangeError);
  });

  test('its text form keeps the microseconds', () => {
    assert.equal(toText(new PreciseDate(Date.UTC(2024, 0, 2, 3, 4, 5, 6), 7)), '2024-01-02 03:04:05.006007+00');
  });
});

describe('timestamp and timestamptz keep microseconds', () => {
  test('a value with sub-millisecond digits reads as a PreciseDate, one without as a plain Date', () => {
    const us = (BigInt(Date.UTC(2024, 4, 6, 7, 8, 9, 123)) * 1000n + 456n) - EPOCH_US;
    const v = decode(timestamptz, hex64(us));
    assert.ok(v instanceof PreciseDate);
    assert.equal((v as PreciseDate).microseconds, 456);
    assert.equal(encodeHex(timestamptz, v), hex64(us));
    const plain = decode(timestamp, hex64(0n));
    assert.equal(Object.getPrototypeOf(plain), Date.prototype);
    assert.deepEqual(plain, new Date(Date.UTC(2000, 0, 1)));
  });

  test('before 1970 and before 2000 the microseconds still count up from the millisecond', () => {
    const us = -1n; // 1999-12-31 23:59:59.999999
    const v = decode(timestamptz, hex64(us)) as PreciseDate;
    assert.equal(v.toISOString(), '1999-12-31T23:59:59.999999Z');
    assert.equal(encodeHex(timestamptz, v), hex64(us));
  });

  test('property: every microsecond from PostgreSQL\'s first timestamp to a Date\'s last round-trips exactly', () => {
    const min = -211813488000000000n;
    const max = 8640000000000000000n - EPOCH_US - 1000n;
    fc.assert(
      fc.property(fc.bigInt({ min, max }), (us) => {
        assert.equal(encodeHex(timestamptz, decode(timestamptz, hex64(us))), hex64(us));
        assert.equal(encodeHex(timestamp, decode(timestamp, hex64(us))), hex64(us));
      }),
      { numRuns: 2000 },
    );
  });

  test('string mode prints the server\'s ISO text in UTC across the whole range', () => {
    assert.equal(decode(timestamptzAsString, hex64(0n)), '2000-01-01 00:00:00+00');
    assert.equal(decode(timestampAsString, hex64(1n)), '2000-01-01 00:00:00.000001');
    assert.equal(decode(timestampAsString, hex64(500000n)), '2000-01-01 00:00:00.5');
    assert.equal(decode(timestamptzAsString, hex64(-1n)), '1999-12-31 23:59:59.999999+00');
    assert.equal(decode(timestamptzAsString, '7fffffffffffffff'), 'infinity');
    assert.equal(decode(timestamptzAsString, '8000000000000000'), '-infinity');
    // 294276-12-31 23:59:59.999999, the last timestamp PostgreSQL accepts, is past a Date's reach.
    const last = 9223371331200000000n - 1n;
    assert.equal(decode(timestamptzAsString, hex64(last)), '294276-12-31 23:59:59.999999+00');
    assert.throws(() => decode(timestamptz, hex64(last)), RangeError);
    // 4714-11-24 00:00:00 BC
    const first = -211813488000000000n;
    assert.equal(decode(timestamptzAsString, hex64(first)), '4714-11-24 00:00:00+00 BC');
    assert.equal(decode(timestampAsString, hex64(first)), '4714-11-24 00:00:00 BC');
    assert.equal(encodeHex(timestamptzAsString, new PreciseDate('2000-01-01T00:00:00.000001Z')), hex64(1n));
  });
});

describe('time and timetz', () => {
  const t = (us: number) => hex64(BigInt(us));
  test('decode as the server prints them', () => {
    assert.equal(decode(time, t(0)), '00:00:00');
    assert.equal(decode(time, t(45296789000)), '12:34:56.789');
    assert.equal(decode(time, t(86400e6)), '24:00:00');
    assert.equal(decode(time, t(1)), '00:00:00.000001');
    assert.equal(decode(timetz, t(45296e6) + 'ffffb2a8'), '12:34:56+05:30');
    assert.equal(decode(timetz, t(0) + '0000e0ff'), '00:00:00-15:59:59');
    assert.equal(decode(timetz, t(0) + '00000000'), '00:00:00+00');
    assert.equal(decode(timetz, t(0) + '00007080'), '00:00:00-08');
  });

  test('encode their own output back to the same bytes', () => {
    for (const s of ['00:00:00', '12:34:56.789', '24:00:00', '23:59:59.999999']) assert.equal(roundTrip(time, s), s);
    for (const s of ['12:34:56+05:30', '00:00:00-15:59:59', '12:00:00.000001+00', '23:59:59-08']) assert.equal(roundTrip(timetz, s), s);
    assert.equal(roundTrip(time, '1:02'), '01:02:00');
  });

  test('refuse what they cannot read, and bad server bytes', () => {
    for (const v of ['25:00', '12:60', 'noon', 12, '24:00:00.000001']) assert.throws(() => encode(time, v), /time expects/);
    for (const v of ['12:00', '12:00+16', 'x+01']) assert.throws(() => encode(timetz, v), /timetz expects/);
    assert.throws(() => decode(time, t(-1)), ProtocolError);
    assert.throws(() => decode(time, '00'), ProtocolError);
  });
});
