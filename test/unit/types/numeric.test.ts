import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InterfaceError, ProtocolError } from '../../../src/errors/client.js';
import { numeric } from '../../../src/types/builtins/numeric.js';
import { decode, encode, encodeHex, roundTrip } from './helpers.js';

/**
 * What numeric_out prints for digits x 10^exponent with the given number of
 * fraction digits in the input, computed with bigint arithmetic as an
 * independent reference.
 */
function reference(negative: boolean, digits: string, fracLen: number, exponent: number): string {
  const n = BigInt(digits === '' ? '0' : digits);
  const scale = fracLen - exponent;
  let out: string;
  if (scale <= 0) {
    out = (n * 10n ** BigInt(-scale)).toString();
  } else {
    const s = n.toString().padStart(scale + 1, '0');
    out = `${s.slice(0, -scale)}.${s.slice(-scale)}`;
  }
  return negative && n !== 0n ? `-${out}` : out;
}

describe('numeric', () => {
  test('exact decimal strings round-trip, scale included', () => {
    for (const s of ['0', '1', '-1', '0.00', '1.50', '10000', '9999', '99999999', '100000000', '0.0001', '0.00001',
      '-0.1', '12345.6789', '-12345.67890', '0.000000000000000000000000000001', '1' + '0'.repeat(60),
      '123456789012345678901234567890.123456789012345678901234567890', '5.0000', '1000.0001']) {
      assert.equal(roundTrip(numeric, s), s);
    }
  });

  test('NaN and the infinities', () => {
    assert.equal(roundTrip(numeric, 'NaN'), 'NaN');
    assert.equal(roundTrip(numeric, 'nan'), 'NaN');
    assert.equal(roundTrip(numeric, 'Infinity'), 'Infinity');
    assert.equal(roundTrip(numeric, '-Infinity'), '-Infinity');
    assert.equal(roundTrip(numeric, '-inf'), '-Infinity');
    assert.equal(roundTrip(numeric, '+infinity'), 'Infinity');
    assert.equal(roundTrip(numeric, NaN), 'NaN');
    assert.equal(roundTrip(numeric, Infinity), 'Infinity');
    assert.equal(roundTrip(numeric, -Infinity), '-Infinity');
    assert.equal(encodeHex(numeric, 'NaN'), '00000000c0000000');
  });

  test('normalizes the way numeric_in does: signs, leading zeros, exponents', () => {
    assert.equal(roundTrip(numeric, '-0.00'), '0.00');
    assert.equal(roundTrip(numeric, '+0012.30'), '12.30');
    assert.equal(roundTrip(numeric, ' 1. '), '1');
    assert.equal(roundTrip(numeric, '.5'), '0.5');
    assert.equal(roundTrip(numeric, '1.5e-3'), '0.0015');
    assert.equal(roundTrip(numeric, '1.50e1'), '15.0');
    assert.equal(roundTrip(numeric, '1e20'), '100000000000000000000');
    assert.equal(roundTrip(numeric, '0.000e2'), '0.0');
    assert.equal(roundTrip(numeric, '123456.789e3'), '123456789');
    assert.equal(encodeHex(numeric, '123456.789e3'), '0003000200000000000109291a85');
  });

  test('numbers use their shortest exact decimal, bigints their digits', () => {
    assert.equal(roundTrip(numeric, 0.1), '0.1');
    assert.equal(roundTrip(numeric, -0), '0');
    assert.equal(roundTrip(numeric, 1e21), '1000000000000000000000');
    assert.equal(roundTrip(numeric, 5e-7), '0.0000005');
    assert.equal(roundTrip(numeric, 2n ** 100n), (2n ** 100n).toString());
    assert.equal(roundTrip(numeric, -(2n ** 70n)), (-(2n ** 70n)).toString());
  });

  test("the limits are PostgreSQL's: 131072 digits before the point, 16383 after", () => {
    assert.equal(roundTrip(numeric, '1e131071'), '1' + '0'.repeat(131071));
    assert.equal(roundTrip(numeric, '1e-16383'), '0.' + '0'.repeat(16382) + '1');
    assert.throws(() => encode(numeric, '1e131072'), /numeric expects a value within numeric's range/);
    assert.throws(() => encode(numeric, '1e-16384'), InterfaceError);
    assert.throws(() => encode(numeric, '1e999999999999'), InterfaceError);
  });

  test('rejects what is not a decimal', () => {
    for (const v of ['', '.', 'abc', '1_000', '0x10', '1e', '--1', '1.2.3', '-nan', true, null, {}, [1]]) {
      assert.throws(() => encode(numeric, v), (e: unknown) => e instanceof InterfaceError && e.message.startsWith('numeric expects'), String(v));
    }
  });

  test('malformed server bytes are a ProtocolError', () => {
    assert.throws(() => decode(numeric, '000100000000'), ProtocolError); // short header
    assert.throws(() => decode(numeric, '0001000000000000'), ProtocolError); // digit missing
    assert.throws(() => decode(numeric, '00010000000000002710'), ProtocolError); // digit 10000
    assert.throws(() => decode(numeric, '0000000012340000'), ProtocolError); // unknown sign
  });

  test('property: decimal strings round-trip to their canonical form', () => {
    const digitString = (max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: max });
    fc.assert(
      fc.property(fc.boolean(), digitString(40), digitString(40), (negative, intPart, fracPart) => {
        fc.pre(intPart !== '' || fracPart !== '');
        const input = `${negative ? '-' : ''}${intPart}${fracPart === '' ? '' : '.' + fracPart}`;
        assert.equal(roundTrip(numeric, input), reference(negative, intPart + fracPart, fracPart.length, 0));
      }),
    );
  });

  test('property: exponent forms match a bigint reference', () => {
    const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(fc.boolean(), digits, fc.nat(30), fc.integer({ min: -60, max: 60 }), (negative, ds, fracLen, exponent) => {
        const f = Math.min(fracLen, ds.length);
        const input = `${negative ? '-' : ''}${ds.slice(0, ds.length - f) || '0'}.${ds.slice(ds.length - f)}e${exponent}`;
        const intDigits = ds.slice(0, ds.length - f) || '0';
        assert.equal(roundTrip(numeric, input), reference(negative, intDigits + ds.slice(ds.length - f), f, exponent));
      }),
    );
  });

  test('property: every finite double survives through numeric', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => Number(roundTrip(numeric, n)) === n));
  });
});
