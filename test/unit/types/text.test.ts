import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { InterfaceError, ProtocolError } from '../../../src/errors/client.js';
import { bytea } from '../../../src/types/builtins/bytea.js';
import { bpchar, char, decodeUtf8, name, text, unknown, varchar, xml } from '../../../src/types/builtins/text.js';
import { uuid } from '../../../src/types/builtins/uuid.js';
import { decode, encode, encodeHex, roundTrip } from './helpers.js';

describe('text family', () => {
  test('strings round-trip as UTF-8, on both sides of the short-ASCII fast path', () => {
    for (const s of ['', 'a', 'hello world', 'exactly12chr', 'thirteen char', 'é', 'naïve café', '日本語テキスト', '😀',
      'x'.repeat(5000), 'ascii then é at the end', '\ufeffleading BOM kept']) {
      for (const codec of [text, varchar, bpchar, name, xml, unknown]) assert.equal(roundTrip(codec, s), s);
    }
    assert.equal(encodeHex(text, 'é'), 'c3a9');
  });

  test('numbers and bigints are written in decimal', () => {
    assert.equal(roundTrip(text, 42), '42');
    assert.equal(roundTrip(varchar, 12n), '12');
  });

  test('NUL and non-string values are rejected with the type name', () => {
    assert.throws(() => encode(text, 'a\0b'), /text expects a string without NUL/);
    assert.throws(() => encode(varchar, {}), (e: unknown) => e instanceof InterfaceError && e.message.startsWith('varchar expects a string'));
    assert.throws(() => encode(text, null), InterfaceError);
    assert.throws(() => encode(text, Buffer.from('x')), InterfaceError);
  });

  test('decodeUtf8 reads only [start, end)', () => {
    const buf = Buffer.from('xxhéllo wörldyy');
    assert.equal(decodeUtf8(buf, 2, buf.length - 2), 'héllo wörld');
    assert.equal(decodeUtf8(buf, 2, 4), 'h\ufffd'); // cut inside é
  });

  test('property: any well-formed string round-trips', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
      fc.pre(!s.includes('\0'));
      return roundTrip(text, s) === s;
    }));
    fc.assert(fc.property(fc.string({ unit: 'binary-ascii', maxLength: 20 }), (s) => {
      fc.pre(!s.includes('\0'));
      return roundTrip(text, s) === s;
    }));
  });
});

describe('"char"', () => {
  test('one byte: ASCII, the empty value, and high bytes in octal form', () => {
    assert.equal(encodeHex(char, 'a'), '61');
    assert.equal(encodeHex(char, ''), '00');
    assert.equal(encodeHex(char, '\\351'), 'e9');
    assert.equal(roundTrip(char, 'a'), 'a');
    assert.equal(roundTrip(char, ''), '');
    assert.equal(roundTrip(char, '\\200'), '\\200');
    assert.equal(decode(char, ''), '');
  });

  test('every byte value round-trips', () => {
    for (let b = 0; b < 256; b++) {
      const bytes = Uint8Array.of(b);
      assert.deepEqual(encode(char, decode(char, bytes)), bytes);
    }
  });

  test('longer strings and non-ASCII characters are rejected', () => {
    for (const v of ['ab', 'é', '\\101', '\\400', 1]) assert.throws(() => encode(char, v), /char expects a one-character ASCII string/);
    assert.throws(() => decode(char, '6162'), ProtocolError);
  });
});

describe('bytea', () => {
  test('decodes to a Buffer that is a copy', () => {
    const buf = Uint8Array.of(9, 1, 2, 3, 9);
    const out = bytea.decode(buf, 1, 4);
    assert.ok(Buffer.isBuffer(out));
    assert.deepEqual([...out], [1, 2, 3]);
    buf[1] = 77;
    assert.equal(out[0], 1);
  });

  test('accepts Buffer, Uint8Array, other views and ArrayBuffer', () => {
    assert.equal(encodeHex(bytea, Buffer.from([0, 255])), '00ff');
    assert.equal(encodeHex(bytea, new Uint8Array([1, 2, 3]).subarray(1)), '0203');
    assert.equal(encodeHex(bytea, new Uint16Array([0x0102])), Buffer.from(new Uint16Array([0x0102]).buffer).toString('hex'));
    assert.equal(encodeHex(bytea, new Uint8Array([5, 6]).buffer), '0506');
    assert.equal(encodeHex(bytea, new DataView(new Uint8Array([7, 8, 9]).buffer, 1, 1)), '08');
    assert.deepEqual(roundTrip(bytea, Buffer.alloc(0)), Buffer.alloc(0));
  });

  test('rejects strings and other values', () => {
    for (const v of ['\\x00', [1, 2], 5, null]) assert.throws(() => encode(bytea, v), /bytea expects a Buffer/);
  });

  test('property: any bytes round-trip', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => Buffer.from(b).equals(roundTrip(bytea, b))));
  });
});

describe('uuid', () => {
  const u = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11';

  test('round-trips canonical strings, lowercasing uppercase input', () => {
    assert.equal(roundTrip(uuid, u), u);
    assert.equal(roundTrip(uuid, u.toUpperCase()), u);
    assert.equal(encodeHex(uuid, u), u.replace(/-/g, ''));
    assert.equal(roundTrip(uuid, Buffer.from(u.replace(/-/g, ''), 'hex')), u);
  });

  test('rejects other spellings clearly', () => {
    for (const v of [`{${u}}`, u.replace(/-/g, ''), u.slice(1), u + '0', u.replace('a', 'g'), '', 5, Buffer.alloc(15)]) {
      assert.throws(() => encode(uuid, v), /uuid expects a string in the form 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'/, String(v));
    }
    assert.throws(() => decode(uuid, '00'), ProtocolError);
  });

  test('property: any uuid round-trips', () => {
    fc.assert(fc.property(fc.uuid(), (s) => roundTrip(uuid, s) === s.toLowerCase() && roundTrip(uuid, s.toUpperCase()) === s.toLowerCase()));
  });
});
