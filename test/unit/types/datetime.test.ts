import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InterfaceError, ProtocolError } from '../../../src/errors/client.js';
import { date, timestamp, timestamptz } from '../../../src/types/builtins/datetime.js';
import { decode, encode, encodeHex, roundTrip } from './helpers.js';

/** Big-endian Int32 / Int64 as hex, for building server bytes. */
const hex32 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
const hex64 = (n: bigint): string => BigInt.asUintN(64, n).toString(16).padStart(16, '0');

const EPOCH_2000_MS = Date.UTC(2000, 0, 1);

describe('date', () => {
  test('days around 2000-01-01', () => {
    assert.equal(decode(date, hex32(0)), '2000-01-01');
    assert.equal(decode(date, hex32(-1)), '1999-12-31');
    assert.equal(decode(date, hex32(1)), '2000-01-02');
    assert.equal(decode(date, hex32(-10957)), '1970-01-01');
    assert.equal(encodeHex(date, '2000-01-01'), '00000000');
    assert.equal(encodeHex(date, '1999-12-31'), 'ffffffff');
  });

  test('leap years follow the Gregorian rules', () => {
    assert.equal(roundTrip(date, '2000-02-29'), '2000-02-29');
    assert.equal(roundTrip(date, '2024-02-29'), '2024-02-29');
    assert.equal(roundTrip(date, '1600-02-29'), '1600-02-29');
    assert.throws(() => encode(date, '1900-02-29'), /date expects a valid calendar date/);
    assert.throws(() => encode(date, '2100-02-29'), InterfaceError);
    assert.throws(() => encode(date, '2023-02-29'), InterfaceError);
    // 2000-03-01 is 60 days after 2000-01-01 because of 2000-02-29.
    assert.equal(encodeHex(date, '2000-03-01'), hex32(60));
    assert.equal(encodeHex(date, '1900-03-01'), hex32(-36465));
  });

  test('BC dates: no year 0, and 1 BC is a leap year', () => {
    assert.equal(roundTrip(date, '0001-12-31 BC'), '0001-12-31 BC');
    const ad1 = decode(date, encode(date, '0001-01-01'));
    assert.equal(ad1, '0001-01-01');
    const dayBefore = new DataView(encode(date, '0001-01-01').buffer).getInt32(0) - 1;
    assert.equal(decode(date, hex32(dayBefore)), '0001-12-31 BC');
    assert.equal(roundTrip(date, '0001-02-29 BC'), '0001-02-29 BC');
    assert.throws(() => encode(date, '0002-02-29 BC'), InterfaceError);
    assert.equal(roundTrip(date, '0044-03-15 BC'), '0044-03-15 BC');
    assert.equal(roundTrip(date, '4714-11-24 BC'), '4714-11-24 BC');
    assert.throws(() => encode(date, '0000-01-01'), InterfaceError);
  });

  test('range ends, years past 9999 and infinity', () => {
    assert.equal(roundTrip(date, '5874897-12-31'), '5874897-12-31');
    assert.equal(roundTrip(date, '10000-01-01'), '10000-01-01');
    assert.throws(() => encode(date, '5874898-01-01'), /date expects a date from 4714-11-24 BC to 5874897-12-31/);
    assert.throws(() => encode(date, '4714-11-23 BC'), InterfaceError);
    assert.equal(roundTrip(date, 'infinity'), 'infinity');
    assert.equal(roundTrip(date, '-infinity'), '-infinity');
    assert.equal(encodeHex(date, 'infinity'), '7fffffff');
    assert.equal(encodeHex(date, '-infinity'), '80000000');
  });

  test('a Date encodes as its UTC date', () => {
    assert.equal(roundTrip(date, new Date('2024-01-01T00:00:00Z')), '2024-01-01');
    assert.equal(roundTrip(date, new Date('2024-01-01T23:59:59.999Z')), '2024-01-01');
    assert.equal(roundTrip(date, new Date('2024-01-01T00:30:00+09:00')), '2023-12-31');
    assert.equal(roundTrip(date, new Date('1969-12-31T23:59:59.999Z')), '1969-12-31');
  });

  test('other forms are rejected', () => {
    for (const v of ['2024-1-1', '2024-13-01', '2024-00-10', '2024-01-32', '2024-04-31', '24-01-01', '2024-01-01 AD',
      '2024-01-01T00:00:00Z', 'today', 0, null, new Date(NaN)]) {
      assert.throws(() => encode(date, v), (e: unknown) => e instanceof InterfaceError && e.message.startsWith('date expects'), String(v));
    }
    assert.throws(() => decode(date, '00'), ProtocolError);
  });

  test('property: every day in range round-trips through its string', () => {
    fc.assert(fc.property(fc.integer({ min: -2451545, max: 2145031948 }), (days) => {
      const s = decode(date, hex32(days));
      assert.equal(encodeHex(date, s), hex32(days));
    }));
  });

  test('property: agrees with JS Date in years 1 to 9999', () => {
    const min = (Date.parse('0001-01-01T00:00:00Z') - EPOCH_2000_MS) / 86400000;
    const max = (Date.parse('9999-12-31T00:00:00Z') - EPOCH_2000_MS) / 86400000;
    fc.assert(fc.property(fc.integer({ min, max }), (days) => {
      const iso = new Date(EPOCH_2000_MS + days * 86400000).toISOString().slice(0, 10);
      assert.equal(decode(date, hex32(days)), iso);
    }));
  });
});

describe('timestamp / timestamptz', () => {
  const codecs = [timestamptz, timestamp];

  test('instants round-trip exactly to the millisecond', () => {
    for (const codec of codecs) {
      for (const iso of ['2000-01-01T00:00:00.000Z', '1970-01-01T00:00:00.000Z', '2024-05-06T07:08:09.123Z',
        '1999-12-31T23:59:59.999Z', '1960-06-15T12:00:00.500Z', '1600-01-01T00:00:00.001Z', '2500-12-31T23:59:59.999Z']) {
        assert.equal((roundTrip(codec, new Date(iso)) as Date).toISOString(), iso);
      }
    }
    assert.equal(encodeHex(timestamptz, new Date(EPOCH_2000_MS)), '0000000000000000');
    assert.equal(encodeHex(timestamptz, new Date(EPOCH_2000_MS - 1)), hex64(-1000n));
  });

  test('far instants use the bigint path and stay exact', () => {
    for (const ms of [-210866803200000, -2e14, 8.64e15, 1e15]) {
      const d = new Date(ms);
      assert.equal((roundTrip(timestamptz, d) as Date).getTime(), ms);
      assert.equal(encodeHex(timestamptz, d), hex64((BigInt(ms) - BigInt(EPOCH_2000_MS)) * 1000n));
    }
  });

  test('sub-millisecond digits are floored away (the known limit)', () => {
    assert.equal((decode(timestamptz, hex64(1n)) as Date).getTime(), EPOCH_2000_MS);
    assert.equal((decode(timestamptz, hex64(999n)) as Date).getTime(), EPOCH_2000_MS);
    assert.equal((decode(timestamptz, hex64(-1n)) as Date).getTime(), EPOCH_2000_MS - 1);
    assert.equal((decode(timestamptz, hex64(-1001n)) as Date).getTime(), EPOCH_2000_MS - 2);
  });

  test('infinity and -infinity are the numbers Infinity and -Infinity, both ways', () => {
    for (const codec of codecs) {
      assert.equal(decode(codec, '7fffffffffffffff'), Infinity);
      assert.equal(decode(codec, '8000000000000000'), -Infinity);
      assert.equal(encodeHex(codec, Infinity), '7fffffffffffffff');
      assert.equal(encodeHex(codec, -Infinity), '8000000000000000');
    }
  });

  test('values outside a JS Date are a RangeError that says what to do', () => {
    // 294276-12-31, inside PostgreSQL's range and outside JavaScript's.
    assert.throws(() => decode(timestamptz, '7fffff0000000000'), (e: unknown) => e instanceof RangeError && /::text/.test(e.message));
  });

  test('bad parameters are rejected with the type name', () => {
    for (const codec of codecs) {
      for (const v of [new Date(NaN), '2024-01-01', 0, 1.5e12, null, {}]) {
        assert.throws(() => encode(codec, v), (e: unknown) => e instanceof InterfaceError && e.message.startsWith(`${codec.name} expects`), String(v));
      }
      assert.throws(() => encode(codec, new Date(-8e15)), /no earlier than 4714-11-24/);
      assert.throws(() => decode(codec, '00'), ProtocolError);
    }
  });

  test('property: every Date in range round-trips', () => {
    fc.assert(fc.property(fc.date({ min: new Date(-210866803200000), max: new Date(8.64e15), noInvalidDate: true }), (d) => {
      assert.equal((roundTrip(timestamptz, d) as Date).getTime(), d.getTime());
      assert.equal((roundTrip(timestamp, d) as Date).getTime(), d.getTime());
    }));
  });

  test('property: any microsecond count decodes to its floor in milliseconds', () => {
    const min = (-210866803200000n - BigInt(EPOCH_2000_MS)) * 1000n;
    const max = (8640000000000000n - BigInt(EPOCH_2000_MS)) * 1000n;
    fc.assert(fc.property(fc.bigInt({ min, max }), (us) => {
      const floorMs = us >= 0n ? us / 1000n : -((-us + 999n) / 1000n);
      assert.equal((decode(timestamptz, hex64(us)) as Date).getTime(), Number(floorMs) + EPOCH_2000_MS);
    }));
  });
});

describe('process time zone', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.TZ;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });

  test('changes no decoded or encoded value', () => {
    const results: string[] = [];
    for (const tz of ['UTC', 'America/St_Johns', 'Asia/Kathmandu', 'Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
      process.env.TZ = tz;
      const instant = new Date('2024-03-10T06:30:00.000Z');
      results.push([
        decode(date, hex32(8835)),
        encodeHex(date, '2024-03-10'),
        encodeHex(date, instant),
        (decode(timestamp, encode(timestamp, instant)) as Date).toISOString(),
        (decode(timestamptz, hex64(763367400000000n)) as Date).toISOString(),
      ].join(' '));
    }
    assert.equal(new Set(results).size, 1, results.join('\n'));
    assert.equal(results[0], `2024-03-10 ${hex32(8835)} ${hex32(8835)} 2024-03-10T06:30:00.000Z 2024-03-10T06:30:00.000Z`);
  });
});
