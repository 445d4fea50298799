import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InterfaceError, ProtocolError } from '../../../src/errors/client.js';
import { bit, varbit } from '../../../src/types/builtins/bits.js';
import { box, circle, line, lseg, path, point, polygon } from '../../../src/types/builtins/geometric.js';
import { jsonCodecs, jsonpath } from '../../../src/types/builtins/json.js';
import { numeric, numericWithDecoder } from '../../../src/types/builtins/numeric.js';
import { pg_lsn, pg_snapshot, tid, voidCodec } from '../../../src/types/builtins/system.js';
import { textFormatCodec, utf8Codec } from '../../../src/types/builtins/text.js';
import { decode, encode, encodeHex, roundTrip } from './helpers.js';

describe('bit and varbit', () => {
  test('strings of 0 and 1, the last byte padded with zeros', () => {
    assert.equal(encodeHex(varbit, '101'), '00000003' + 'a0');
    assert.equal(encodeHex(varbit, ''), '00000000');
    assert.equal(decode(bit, '0000000a' + 'aac0'), '1010101011');
    assert.throws(() => encode(varbit, '102'), /string of '0' and '1'/);
    assert.throws(() => decode(varbit, '00000009' + 'ff'), ProtocolError);
  });

  test('property: any bit string round-trips, even a long one', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('0', '1'), { maxLength: 100 }), (bits) => {
      const s = bits.join('');
      assert.equal(roundTrip(varbit, s), s);
    }));
    const long = '10'.repeat(50000);
    assert.equal(roundTrip(varbit, long), long);
  });
});

describe('geometric types', () => {
  test('round-trip as small objects', () => {
    const p = { x: 1.5, y: -2 };
    assert.deepEqual(roundTrip(point, p), p);
    assert.deepEqual(roundTrip(line, { a: 1, b: -1, c: 0 }), { a: 1, b: -1, c: 0 });
    assert.deepEqual(roundTrip(lseg, { p1: p, p2: { x: 3, y: 4 } }), { p1: p, p2: { x: 3, y: 4 } });
    assert.deepEqual(roundTrip(box, { high: { x: 3, y: 4 }, low: p }), { high: { x: 3, y: 4 }, low: p });
    assert.deepEqual(roundTrip(path, { closed: false, points: [p, p] }), { closed: false, points: [p, p] });
    assert.deepEqual(roundTrip(polygon, { points: [p] }), { points: [p] });
    assert.deepEqual(roundTrip(circle, { center: p, radius: 3 }), { center: p, radius: 3 });
    assert.deepEqual(roundTrip(point, { x: NaN, y: Infinity }), { x: NaN, y: Infinity });
  });

  test('refuse malformed values and bytes', () => {
    assert.throws(() => encode(point, [1, 2]), /point expects an object \{ x, y \}/);
    assert.throws(() => encode(path, { closed: 'yes', points: [] }), InterfaceError);
    assert.throws(() => encode(polygon, { points: [] }), /at least one point/);
    assert.throws(() => encode(circle, { center: { x: 0 }, radius: 1 }), InterfaceError);
    assert.throws(() => decode(polygon, '00000002' + '00'.repeat(16)), /claims 2 points/);
    assert.throws(() => decode(point, '00'), ProtocolError);
  });
});

describe('system types', () => {
  test('tid, pg_lsn, snapshots, void', () => {
    assert.equal(roundTrip(tid, '(4294967295,65535)'), '(4294967295,65535)');
    assert.throws(() => encode(tid, '(1,70000)'), InterfaceError);
    assert.equal(decode(pg_lsn, '00000016b374d848'), '16/B374D848');
    assert.equal(roundTrip(pg_lsn, '16/b374d848'), '16/B374D848');
    assert.equal(encodeHex(pg_lsn, 0x16b374d848n), '00000016b374d848');
    assert.throws(() => encode(pg_lsn, '16-B3'), InterfaceError);
    assert.equal(roundTrip(pg_snapshot, '10:20:10,14,15'), '10:20:10,14,15');
    assert.equal(roundTrip(pg_snapshot, '18446744073709551615:18446744073709551615:'), '18446744073709551615:18446744073709551615:');
    assert.throws(() => decode(pg_snapshot, '00000005' + '00'.repeat(16)), ProtocolError);
    assert.equal(decode(voidCodec, ''), null);
    assert.throws(() => encode(voidCodec, 1), /void has no values/);
  });
});

describe('json options, jsonpath, numeric decoder', () => {
  test('custom parse and stringify functions are used', () => {
    const { json, jsonb } = jsonCodecs((s) => ({ raw: s }), (v) => `[${String(v)}]`);
    assert.deepEqual(decode(json, Buffer.from('{"a":1}').toString('hex')), { raw: '{"a":1}' });
    assert.equal(Buffer.from(encode(jsonb, 5)).toString('latin1'), '\x01[5]');
    const failing = jsonCodecs(undefined, () => undefined).json;
    assert.throws(() => encode(failing, 1), /json expects a value JSON.stringify can encode/);
    const throwing = jsonCodecs(() => {
      throw new Error('nope');
    }).json;
    assert.throws(() => decode(throwing, '31'), (e: unknown) => e instanceof ProtocolError && /could not be parsed as JSON: nope/.test(e.message));
  });

  test('jsonpath is its version byte and text', () => {
    assert.equal(roundTrip(jsonpath, '$."a"[*]'), '$."a"[*]');
    assert.throws(() => decode(jsonpath, '02' + '24'), /jsonpath value from the server has version 2/);
    assert.throws(() => encode(jsonpath, {}), InterfaceError);
  });

  test('numeric through a decoder, and decimal objects as parameters', () => {
    class Dec {
      constructor(readonly s: string) {}
      toString(): string {
        return this.s;
      }
    }
    const codec = numericWithDecoder((s) => new Dec(s));
    const v = roundTrip(codec, new Dec('-12.50')) as Dec;
    assert.ok(v instanceof Dec);
    assert.equal(v.s, '-12.50');
    assert.equal(roundTrip(numeric, new Dec('1e3')), '1000');
    assert.throws(() => encode(numeric, new Dec('abc')), /numeric expects/);
    assert.throws(() => encode(numeric, {}), /numeric expects/);
  });
});

describe('text-format and UTF-8 codecs', () => {
  test('a text-format codec sends the text form and reads the server text', () => {
    const money = textFormatCodec(790, 'money');
    assert.equal(money.format, 0);
    assert.equal(Buffer.from(encode(money, 12.5)).toString(), '12.5');
    assert.equal(decode(money, Buffer.from('$12.50').toString('hex')), '$12.50');
    assert.throws(() => encode(money, Symbol('x')), /money expects a string the server's money input accepts/);
    assert.throws(() => encode(money, 'a\0'), /NUL/);
    const label = utf8Codec(99999, 'public.mood');
    assert.equal(label.format, 1);
    assert.equal(roundTrip(label, 'happy ✓'), 'happy ✓');
  });
});
