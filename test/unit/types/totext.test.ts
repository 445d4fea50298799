import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { InterfaceError } from '../../../src/errors/client.js';
import { toText } from '../../../src/types/text.js';

/** Parse an array literal of quoted elements and NULLs back, as array_in would. */
function parseLiteral(s: string): unknown {
  let i = 0;
  const value = (): unknown => {
    if (s[i] === '{') {
      i++;
      const out: unknown[] = [];
      if (s[i] === '}') {
        i++;
        return out;
      }
      while (true) {
        out.push(value());
        const c = s[i++];
        if (c === '}') return out;
        assert.equal(c, ',');
      }
    }
    if (s.startsWith('NULL', i)) {
      i += 4;
      return null;
    }
    assert.equal(s[i++], '"');
    let str = '';
    while (s[i] !== '"') {
      if (s[i] === '\\') i++;
      str += s[i++];
    }
    i++;
    return str;
  };
  const v = value();
  assert.equal(i, s.length);
  return v;
}

describe('toText', () => {
  test('scalars', () => {
    assert.equal(toText('x'), 'x');
    assert.equal(toText(true), 't');
    assert.equal(toText(false), 'f');
    assert.equal(toText(1.5), '1.5');
    assert.equal(toText(-0), '-0');
    assert.equal(toText(NaN), 'NaN');
    assert.equal(toText(-Infinity), '-Infinity');
    assert.equal(toText(2n ** 70n), '1180591620717411303424');
  });

  test('Dates are UTC with an explicit offset, BC and years past 9999 included', () => {
    assert.equal(toText(new Date('2024-01-02T03:04:05.006Z')), '2024-01-02 03:04:05.006+00');
    assert.equal(toText(new Date('0099-12-31T00:00:00Z')), '0099-12-31 00:00:00.000+00');
    assert.equal(toText(new Date('-000043-03-15T12:00:00Z')), '0044-03-15 12:00:00.000+00 BC');
    assert.equal(toText(new Date('0000-06-01T00:00:00Z')), '0001-06-01 00:00:00.000+00 BC');
    assert.equal(toText(new Date('+010000-01-01T00:00:00Z')), '10000-01-01 00:00:00.000+00');
    assert.throws(() => toText(new Date(NaN)), InterfaceError);
  });

  test('bytes in bytea hex form', () => {
    assert.equal(toText(Buffer.from([0, 255, 16])), '\\x00ff10');
    assert.equal(toText(new Uint8Array([1, 2, 3]).subarray(1)), '\\x0203');
    assert.equal(toText(new Uint8Array([9]).buffer), '\\x09');
  });

  test('arrays become literals with every element quoted', () => {
    assert.equal(toText([]), '{}');
    assert.equal(toText([1, null, 'a b']), '{"1",NULL,"a b"}');
    assert.equal(toText(['NULL', 'with "quote"', 'back\\slash', '{,}']), '{"NULL","with \\"quote\\"","back\\\\slash","{,}"}');
    assert.equal(toText([[1, 2], [3, 4]]), '{{"1","2"},{"3","4"}}');
    assert.equal(toText([Buffer.from([1])]), '{"\\\\x01"}');
    assert.equal(toText([new Date(0)]), '{"1970-01-01 00:00:00.000+00"}');
    assert.throws(() => toText([1, undefined]), /array element \[1\] is undefined/);
  });

  test('objects are JSON', () => {
    assert.equal(toText({ a: [1, 'x'] }), '{"a":[1,"x"]}');
    assert.throws(() => toText({ a: 1n }), (e: unknown) => e instanceof InterfaceError && /JSON.stringify failed/.test(e.message));
  });

  test('values with no text form are rejected', () => {
    for (const v of [undefined, null, Symbol('s'), () => 1]) assert.throws(() => toText(v), InterfaceError);
  });

  test('property: string arrays survive the literal quoting', () => {
    fc.assert(fc.property(fc.array(fc.option(fc.string({ unit: 'binary' }))), (arr) => {
      assert.deepStrictEqual(parseLiteral(toText(arr)), arr);
    }));
  });
});
