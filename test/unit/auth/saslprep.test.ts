import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import fc from 'fast-check';
import { prepareScramPassword, saslprep, SaslprepError } from '../../../src/auth/saslprep.js';
import { InterfaceError } from '../../../src/errors/client.js';

/** Test titles with every non-ASCII or invisible character spelled out. */
function escape(s: string): string {
  return [...s].map((ch) => {
    const cp = ch.codePointAt(0) ?? 0;
    return cp >= 0x20 && cp < 0x7f ? ch : `U+${cp.toString(16).toUpperCase().padStart(4, '0')} `;
  }).join('').trim();
}

function saslprepFailure(input: string): SaslprepError {
  try {
    saslprep(input);
  } catch (error) {
    assert.ok(error instanceof SaslprepError, `expected SaslprepError, got ${String(error)}`);
    return error;
  }
  assert.fail(`saslprep(${JSON.stringify(input)}) should have failed`);
}

describe('saslprep: the examples of RFC 4013 section 3', () => {
  test('SOFT HYPHEN mapped to nothing', () => assert.equal(saslprep('I\u00adX'), 'IX'));
  test('no transformation', () => assert.equal(saslprep('user'), 'user'));
  test('case preserved, will not match #2', () => assert.equal(saslprep('USER'), 'USER'));
  test('output is NFKC, input in ISO 8859-1', () => assert.equal(saslprep('\u00aa'), 'a'));
  test('output is NFKC, will match #1', () => assert.equal(saslprep('\u2168'), 'IX'));

  test('Error - prohibited character', () => {
    const error = saslprepFailure('\u0007');
    assert.equal(error.rule, 'prohibited');
    assert.equal(error.codePoint, 0x07);
    assert.equal(error.index, 0);
    assert.match(error.message, /U\+0007 at index 0 is prohibited \(RFC 3454 table C\.2\.1, ASCII control character\)/);
  });

  test('Error - bidirectional check', () => {
    const error = saslprepFailure('\u0627\u0031');
    assert.equal(error.rule, 'bidi');
    assert.equal(error.codePoint, 0x31);
    assert.equal(error.index, 1);
    assert.match(error.message, /must end with a right-to-left character/);
  });
});

describe('saslprep: mapping', () => {
  test('non-ASCII spaces become U+0020', () => {
    assert.equal(saslprep('a\u00a0b\u1680c\u2003d\u202fe\u205ff\u3000g'), 'a b c d e f g');
  });

  test('every B.1 character is removed', () => {
    const b1 = '\u00ad\u034f\u1806\u180b\u180c\u180d\u200c\u200d\u2060\ufe00\ufe0f\ufeff';
    assert.equal(saslprep(`x${b1}y`), 'xy');
  });

  test('ZERO WIDTH SPACE, in both B.1 and C.1.2, becomes a space as in PostgreSQL', () => {
    assert.equal(saslprep('caf\u00e9\u200b'), 'caf\u00e9 ');
  });

  test('NFKC composes and decomposes compatibility characters', () => {
    assert.equal(saslprep('e\u0301'), '\u00e9');
    assert.equal(saslprep('\ufb01x'), 'fix');
    assert.equal(saslprep('\u{1d400}'), 'A');
  });

  test('a string that maps to nothing prepares to the empty string', () => {
    assert.equal(saslprep(''), '');
    assert.equal(saslprep('\u00ad\ufeff'), '');
  });
});

describe('saslprep: prohibited output', () => {
  const cases: [string, number, string][] = [
    ['\u0085', 0x85, 'C.2.2'],
    ['\ue000', 0xe000, 'C.3'],
    ['\u{10fffd}', 0x10fffd, 'C.3'],
    ['\ufdd0', 0xfdd0, 'C.4'],
    ['\u{1fffe}', 0x1fffe, 'C.4'],
    ['\ufffd', 0xfffd, 'C.6'],
    ['\u2ff0', 0x2ff0, 'C.7'],
    ['\u200e', 0x200e, 'C.8'],
    ['\u202e', 0x202e, 'C.8'],
    ['\u{e0001}', 0xe0001, 'C.9'],
    ['\u{e0041}', 0xe0041, 'C.9'],
  ];
  for (const [char, codePoint, table] of cases) {
    test(`${table}: U+${codePoint.toString(16).toUpperCase()} is rejected`, () => {
      const error = saslprepFailure(`ok${char}`);
      assert.equal(error.rule, 'prohibited');
      assert.equal(error.codePoint, codePoint);
      assert.equal(error.index, 2);
      assert.ok(error.message.includes(`table ${table}`), error.message);
    });
  }

  test('the index counts UTF-16 code units, past astral characters', () => {
    const error = saslprepFailure('\u{1d400}\u{1d401}\u0007');
    assert.equal(error.index, 4);
  });

  test('an unpaired surrogate is rejected where it stands, even next to a removed character', () => {
    const error = saslprepFailure('a\ud800\u00ad\udc00');
    assert.equal(error.codePoint, 0xd800);
    assert.equal(error.index, 1);
    assert.match(error.message, /C\.5/);
  });

  test('it is an InterfaceError', () => {
    assert.ok(saslprepFailure('\u0000') instanceof InterfaceError);
  });

  test('checks apply after NFKC: U+0340 normalizes to U+0300, which is allowed', () => {
    assert.equal(saslprep('\u0340e'), '\u0300e');
  });
});

describe('saslprep: unassigned code points are rejected as PostgreSQL rejects them', () => {
  test('a code point unassigned in Unicode 3.2', () => {
    const error = saslprepFailure('a\u0221');
    assert.equal(error.rule, 'unassigned');
    assert.equal(error.codePoint, 0x221);
    assert.equal(error.index, 1);
  });

  test('an emoji, assigned only after Unicode 3.2', () => {
    const error = saslprepFailure('\u{1f600}');
    assert.equal(error.rule, 'unassigned');
    assert.equal(error.codePoint, 0x1f600);
  });
});

describe('saslprep: bidirectional rules', () => {
  test('right-to-left only strings pass', () => {
    assert.equal(saslprep('\u05d0\u05d1'), '\u05d0\u05d1');
    assert.equal(saslprep('\u0627\u0031\u0627'), '\u0627\u0031\u0627');
  });

  test('mixing RandALCat and LCat fails and names the left-to-right character', () => {
    const error = saslprepFailure('\u0627a\u0627');
    assert.equal(error.rule, 'bidi');
    assert.equal(error.codePoint, 0x61);
    assert.equal(error.index, 1);
    assert.match(error.message, /mixes right-to-left U\+0627 with left-to-right U\+0061/);
  });

  test('a right-to-left string must start with a RandALCat character', () => {
    const error = saslprepFailure('1\u05d0');
    assert.equal(error.codePoint, 0x31);
    assert.equal(error.index, 0);
    assert.match(error.message, /must start with/);
  });

  test('the check sees the normalized string: U+2122 becomes the left-to-right "TM"', () => {
    const error = saslprepFailure('\u0627\u2122\u0627');
    assert.equal(error.rule, 'bidi');
    assert.equal(error.codePoint, 0x54);
    assert.equal(error.index, 1);
  });
});

describe('saslprep: properties', () => {
  const interesting = fc.constantFrom(
    'a', 'Z', '1', ' ', '\u00a0', '\u00ad', '\u00aa', '\u00e9', 'e', '\u0301', '\u2168', '\ufb01',
    '\u0627', '\u05d0', '\u2122', '\u2460', '\u200b', '\u3000', '\u0007', '\ue000', '\u0340', '\u{1d400}',
    '\u{1f600}', '\ud800', '\udc00', '\u0221', '\ufeff',
  );
  const strings = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: interesting, maxLength: 8 }));

  test('is idempotent on every string it accepts, and fails only with SaslprepError', () => {
    fc.assert(
      fc.property(strings, (input) => {
        let once: string;
        try {
          once = saslprep(input);
        } catch (error) {
          assert.ok(error instanceof SaslprepError);
          assert.ok(error.index >= 0 && error.index < input.length);
          return;
        }
        assert.equal(saslprep(once), once);
      }),
      { numRuns: 2000 },
    );
  });

  test('printable ASCII passes through unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }), (s) => {
        assert.equal(saslprep(s), s);
        assert.equal(prepareScramPassword(s), s);
      }),
    );
  });

  test('prepareScramPassword agrees with saslprep or keeps the input, and is idempotent', () => {
    fc.assert(
      fc.property(strings.filter((s) => !/\p{Cs}/u.test(s)), (input) => {
        const prepared = prepareScramPassword(input);
        let rfc: string | undefined;
        try {
          rfc = saslprep(input);
        } catch {
          rfc = undefined;
        }
        if (rfc !== undefined) assert.ok(prepared === rfc || prepared === input);
        assert.equal(prepareScramPassword(prepared), prepared);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('prepareScramPassword', () => {
  test('checks the mapped characters before normalization, as PostgreSQL does', () => {
    assert.equal(prepareScramPassword('\u0627\u2122\u0627'), '\u0627TM\u0627');
    assert.equal(prepareScramPassword('\u0340\u00e9'), '\u0340\u00e9');
  });

  test('uses the SASLprep result when there is one', () => {
    assert.equal(prepareScramPassword('I\u00adX'), 'IX');
    assert.equal(prepareScramPassword('pass\u00a0word'), 'pass word');
  });

  test('falls back to the password as given when SASLprep fails', () => {
    assert.equal(prepareScramPassword('\u0007\u00e9'), '\u0007\u00e9');
    assert.equal(prepareScramPassword('\u0627a\u0627'), '\u0627a\u0627');
    assert.equal(prepareScramPassword('\u{1f600}'), '\u{1f600}');
    assert.equal(prepareScramPassword('\u0627a\u00ad\u0627'), '\u0627a\u00ad\u0627');
    assert.equal(prepareScramPassword('\u00ad\u0221'), '\u00ad\u0221');
    assert.equal(prepareScramPassword('x\ue000\u00a0'), 'x\ue000\u00a0');
  });

  test('uses an all-ASCII password as given, control characters included', () => {
    assert.equal(prepareScramPassword('\u0007bell'), '\u0007bell');
  });

  test('keeps a password that maps to nothing', () => {
    assert.equal(prepareScramPassword('\u00ad'), '\u00ad');
  });

  test('rejects an unpaired surrogate, which no server password can contain', () => {
    assert.throws(
      () => prepareScramPassword('pa\udc00ss'),
      (error: unknown) =>
        error instanceof InterfaceError && !(error instanceof SaslprepError) && /index 2/.test(error.message),
    );
  });

  // Verifiers PostgreSQL 18 stored for CREATE ROLE ... PASSWORD with
  // password_encryption = scram-sha-256: iterations, salt and StoredKey. The
  // server prepares the password with the same rules libpq uses, so a client
  // that authenticates must derive the same StoredKey from the same string.
  const serverVerifiers: [string, string, string][] = [
    ['I\u00adX', 'p21zjcNNeaRJwppYOkozQg==', 'kfW6EvUtQqaXVkZwjWzv1XR43BT+88nHt0cIkWxfqho='],
    ['\u00aa', 'OAiv2CZV9kEwOBffvwlG4w==', 'DNmOZ8srwoIp/KhLl/vIzUn0BZW/QkM0EwvAX3Pd07E='],
    ['\u0627\u2122\u0627', 'XabK/ACdkuj/TQQDEqJ9+Q==', 'oFOhwQEHdloUW8/bPfXpb+sqy4mip87tdZ7LzP6HmJQ='],
    ['\u00ad', '1EXFsoXmAtnBj4pHrqi4+w==', '3FX8gHvt9ueEHfVCP9QuauL57hHrukmBTvCdQt6zjvs='],
    ['a\u0221', 'd4i7AQcSof6HIJ6qgyXFvA==', 'XXdpGcqSHNInuHkElg43gHfNA7V0WvGIikx1MhoICzg='],
    ['\u0627a\u0627', '7tnN32gdaCW7ysqIhn5hCQ==', 'swD6U78pijO+G5O9q8tFo9+8iIV7u8Wcsne1oGknPUU='],
    ['\u2168', 'zfQ8La6zZh9Jr61Hs4rhjA==', 'yVPI2M3JSQGKHFT1KgyPZ/soJJE1veRCmD/w09Ah0Kw='],
    ['pass\u00a0word', 'rJPAVCihBz6HUZpW70fFww==', 't4wDMS87AZGh16VO2RzexknCPAWspgqop+hbi/KtCYc='],
    ['\u0007\u00e9', 'X4cay8JZHfSeXh6upsIMow==', 'dyocoUfuU4Yps688urNADS/LQOwAQ9UYPrAzsAPMkEs='],
    ['e\u0301', '3QXIBtM//F2nSG5Rzq62yw==', 'n65xqLXDS3fTtfKzg7D/B5GzTvf67HWdfkyS34aPtQo='],
    ['\u{1f600}', 'nisom5tYAAKd5A0EJlSO7Q==', 'vGWDJHyAZAezawHWS0KznTFT0lItfUA056BkgWI6WAM='],
    ['\ufb01x', 'LrwqbRkDaMWbVenHd5lFWw==', 'GsdKaXXRJsPZfCG53dIntD/QrE3Tts0QozWDZYkRXRo='],
    ['\u05d0\u05d1', '1ZS0qSwk4C9YZfc0nFYI+w==', 'NCdgqFzCf0Sj7GY74cY4aT0Liz0OUWObaut1o5abCw4='],
    ['\u05d01', 'AQBpCNCVYavMLRcVqitLMA==', 'UP/6l+6bcic7QYHCGJ0fCAgmUZnLqENuH7mpdkRcg9I='],
    ['\u00e9\ufeff', 'J0FrdWlvRegHpfLZ4C9MaQ==', 'sQTdKhfV3dzvnChjSbJednpTfL39c2qtonpDsMRYrZs='],
    ['\u05d0\u2460\u05d0', 'LbM3skK60cIAN6ArMaCZng==', '6uu0Dj14V216j5u94kU5u7YSSvc1gCKAOwR3wcCe9cU='],
    ['caf\u00e9\u200b', 'ePo0B64zo7/oG2V/OArtoQ==', 'DWJ8IiBwFXU2bbhbYy6pP64RsBLCoEPWmcrwtJJIDlM='],
    ['\u3000\u00e9', 'pRUIUXcK509X6S2WgoFDDw==', 'Fqpf4+HsGhwLOZowXqmu0oNh2uaON6Aq5tR79pC+3o0='],
    ['\u1680', 'j63CrPYLqdKaeOrMea5WgA==', 'k9wNQ+rdlQe3nOiAgUojn7ZQnHsgg3Y7geiPjqO63P8='],
    ['x\ue000y', 'MdFc1dnKrvI6wSHBFgwawg==', '5qfNED4LcxiDmRmIfXLaa3VLk1vqVl3sqZ6hgwbIL14='],
    ['\u0627\u0031\u0627', 'WgGilGS/3sAst5UhU8wAog==', '2YJ4V+zesM+HFF11aMCg4/dsT0JHdTa4fwbvuiOWu7c='],
    ['\u00ad\u00aa', 'sSEyNjCBM99M6OE3qHF6bA==', 'hE00x6ePMNyEu0OHyS/3aun4QiRzfDN5dxmwRpKRyq8='],
    ['\u0340\u00e9', 'ekAfWxnEzpgdow4PvYQhhA==', '4IoTjdNTD4PDzlkVuqOkwml3+c/a9Xl/kPQm1PTbedE='],
    ['\u2ff0\u00e9', 'hJQWTqG4u+NioUNhMdYPvg==', '+7ZeHcEp7NqUz2lIC/x65htyF5qpysoLJb4KptD6OIQ='],
    ['\ufdd0\u00e9', 'lDmNM66HvoGmCTPO6YBMyQ==', 'r2tK6SVC8hj6nY9j1VFUVsCsWOXjwnjalv9UF7fD8CM='],
    ['\u0345\u00e9', 'FcmvvTJb3mdmO47hr518kQ==', 'Vh74pDpxtWn1BxclT5m7VOK1chEXeSAgxoBFKcZ7UA0='],
    // Failures where mapping would have changed the string, so falling back shows.
    ['\u0627a\u00ad\u0627', '5nCVXR1s4U9ozbj3J/+dRQ==', 'cWojKF3cC+yFFp/HFp/Lj+XWOPzhNUxAm+MlkvCi6lE='],
    ['\u00ad\u0221', 'mWJ21URK7R5nzj8tuJUibA==', 'XcJb8kUYEt+5ac6ZpJEwpZ7gvZPt7KN1ipdIk3tfah0='],
    ['\u{1f600}\u00a0', 'gVouQPZQVChyivgVbGqf9A==', 'y6KCPh7WgcqrMMUroPJks+PdkxAj7SUp+/9PWP2Oan0='],
  ];
  for (const [password, salt, storedKey] of serverVerifiers) {
    test(`derives the StoredKey PostgreSQL stored for ${escape(password)}`, () => {
      const salted = pbkdf2Sync(Buffer.from(prepareScramPassword(password), 'utf8'), Buffer.from(salt, 'base64'), 4096, 32, 'sha256');
      const clientKey = createHmac('sha256', salted).update('Client Key').digest();
      assert.equal(createHash('sha256').update(clientKey).digest('base64'), storedKey);
    });
  }
});
