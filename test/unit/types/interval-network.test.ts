import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InterfaceError, ProtocolError } from '../../../src/errors/client.js';
import { Interval, interval } from '../../../src/types/builtins/interval.js';
import { cidr, inet, macaddr, macaddr8 } from '../../../src/types/builtins/network.js';
import { toText } from '../../../src/types/text.js';
import { decode, encode, encodeHex, roundTrip } from './helpers.js';

describe('Interval', () => {
  test('keeps months, days and microseconds apart', () => {
    const i = Interval.from({ years: 1, months: 2, weeks: 1, days: 3, hours: 4, minutes: 5, seconds: 6.789 });
    assert.equal(i.months, 14);
    assert.equal(i.days, 10);
    assert.equal(i.microseconds, 14706789000n);
    assert.deepEqual(roundTrip(interval, i), i);
  });

  test('prints as the server does (IntervalStyle postgres)', () => {
    const cases: [Interval, string][] = [
      [new Interval(), '00:00:00'],
      [new Interval(14, 3, 14706789000n), '1 year 2 mons 3 days 04:05:06.789'],
      [new Interval(0, -1, 7200000000n), '-1 days +02:00:00'],
      [new Interval(0, 1, -7200000000n), '1 day -02:00:00'],
      [new Interval(-14, 0, 0n), '-1 years -2 mons'],
      [new Interval(1, -1, 0n), '1 mon -1 days'],
      [new Interval(0, 0, 1n), '00:00:00.000001'],
      [new Interval(0, 0, -1500000n), '-00:00:01.5'],
      [new Interval(0, 0, 9223372036854775807n), '2562047788:00:54.775807'],
      [Interval.infinity, 'infinity'],
      [Interval.negativeInfinity, '-infinity'],
    ];
    for (const [i, text] of cases) {
      assert.equal(i.toPostgres(), text);
      assert.equal(String(i), text);
      assert.equal(toText(i), text, 'sent in text format as the server prints it');
    }
  });

  test('ISO 8601 form', () => {
    assert.equal(new Interval().toISOString(), 'PT0S');
    assert.equal(new Interval(14, 3, 14706789000n).toISOString(), 'P1Y2M3DT4H5M6.789S');
    assert.equal(new Interval(0, 0, -1500000n).toISOString(), 'PT-1.5S');
    assert.equal(JSON.stringify({ i: new Interval(0, 1, 0n) }), '{"i":"P1D"}');
  });

  test('refuses out-of-range fields and unknown parts', () => {
    assert.throws(() => new Interval(2 ** 31), RangeError);
    assert.throws(() => new Interval(0, 1.5), RangeError);
    assert.throws(() => new Interval(0, 0, 2 ** 60), RangeError);
    assert.throws(() => new Interval(0, 0, 2n ** 63n), RangeError);
    assert.throws(() => Interval.from({ months: 0.5 }), /months must be an integer/);
    assert.throws(() => Interval.from({ dayz: 1 } as never), /unknown part 'dayz'/);
  });

  test('encodes an Interval or a plain object of parts; anything else is refused', () => {
    assert.equal(encodeHex(interval, { days: 1, hours: 2 }), encodeHex(interval, new Interval(0, 1, 7200000000n)));
    assert.equal(encodeHex(interval, new Interval(1, 2, 3n)), '0000000000000003' + '00000002' + '00000001');
    assert.equal(encodeHex(interval, Interval.infinity), '7fffffffffffffff7fffffff7fffffff');
    for (const v of ['1 day', 5, new Date(), [1], { dayz: 1 }]) assert.throws(() => encode(interval, v), InterfaceError);
    assert.throws(() => decode(interval, '00'), ProtocolError);
  });

  test('property: any three fields round-trip and equals() compares them', () => {
    fc.assert(fc.property(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      (m, d, us) => {
        const i = new Interval(m, d, us);
        assert.ok(roundTrip(interval, i).equals(i));
      },
    ));
  });
});

describe('inet and cidr', () => {
  test('print as the server does', () => {
    const inetHex = (family: number, bits: number, isCidr: number, addr: string) =>
      [family, bits, isCidr, addr.length / 2].map((n) => n.toString(16).padStart(2, '0')).join('') + addr;
    assert.equal(decode(inet, inetHex(2, 32, 0, 'c0a80001')), '192.168.0.1');
    assert.equal(decode(inet, inetHex(2, 24, 0, 'c0a80001')), '192.168.0.1/24');
    assert.equal(decode(cidr, inetHex(2, 32, 1, '01020304')), '1.2.3.4/32');
    assert.equal(decode(inet, inetHex(3, 128, 0, '00000000000000000000000000000001')), '::1');
    assert.equal(decode(inet, inetHex(3, 128, 0, '00000000000000000000ffff01020304')), '::ffff:1.2.3.4');
    assert.equal(decode(inet, inetHex(3, 128, 0, '00010000000000000000000000000000')), '1::');
    assert.equal(decode(inet, inetHex(3, 64, 0, '00010000000000020000000000000003')), '1:0:0:2::3/64');
    assert.throws(() => decode(inet, inetHex(7, 32, 0, '01020304')), ProtocolError);
    assert.throws(() => decode(inet, inetHex(2, 33, 0, '01020304')), ProtocolError);
  });

  test('encode address strings, with or without a prefix', () => {
    for (const s of ['10.1.2.3', '10.1.2.3/8', '::1', '2001:db8::ff00:42:8329', '::ffff:1.2.3.4', '1:2:3:4:5:6:7:8', 'fe80::1:0:0:1/10']) {
      assert.equal(roundTrip(inet, s), s);
    }
    assert.equal(roundTrip(inet, '2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
    assert.equal(roundTrip(cidr, '10.0.0.0/8'), '10.0.0.0/8');
    assert.equal(roundTrip(cidr, '2001:db8::/32'), '2001:db8::/32');
    assert.throws(() => encode(cidr, '10.0.0.1/8'), /bits set to the right of the \/8 mask/);
    for (const v of ['10.0.0', '10.0.0.0/33', '::1/129', 'fe80::1%eth0', 'x', 42]) assert.throws(() => encode(inet, v), InterfaceError);
  });

  test('property: any address reads back as itself', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }), (addr, bits) => {
      const hex = '03' + bits.toString(16).padStart(2, '0') + '0010' + Buffer.from(addr).toString('hex');
      const text = decode(inet, hex);
      assert.equal(encodeHex(inet, text), hex);
    }));
    fc.assert(fc.property(fc.ipV4(), (ip) => assert.equal(roundTrip(inet, ip), ip)));
  });
});

describe('macaddr and macaddr8', () => {
  test('lower-case colon form; other spellings and bytes accepted', () => {
    assert.equal(decode(macaddr, '08002b010203'), '08:00:2b:01:02:03');
    assert.equal(roundTrip(macaddr, '08-00-2B-01-02-03'), '08:00:2b:01:02:03');
    assert.equal(roundTrip(macaddr, '08002b010203'), '08:00:2b:01:02:03');
    assert.equal(roundTrip(macaddr8, '08:00:2b:01:02:03:04:05'), '08:00:2b:01:02:03:04:05');
    assert.equal(roundTrip(macaddr, new Uint8Array([1, 2, 3, 4, 5, 6])), '01:02:03:04:05:06');
    assert.throws(() => encode(macaddr, '08:00:2b:01:02'), /6 hex pairs/);
    assert.throws(() => encode(macaddr, '08:00-2b:01:02:03'), InterfaceError);
    assert.throws(() => decode(macaddr8, '0800'), ProtocolError);
  });
});
