import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { columnWidth, cursorLines, detailLines } from '../../../src/errors/format.js';

const line = (n: number): string => `LINE ${n}: `;

describe('cursorLines', () => {
  test('counts positions in code points, as the server does, not UTF-16 units or bytes', () => {
    // P = 14 points at "bad": é is two UTF-8 bytes, the emoji four bytes and
    // two UTF-16 units, but each is one character. psql 15 against
    // PostgreSQL 18 draws the caret in this very column.
    const sql = "SELECT 'é😀', bad;";
    assert.deepEqual(cursorLines(sql, 14, line), [`LINE 1: ${sql}`, `${' '.repeat(22)}^`]);
  });

  test('wide characters take two columns in the caret line, as psql draws it', () => {
    // psql 15 against PostgreSQL 18 prints exactly the first pair.
    assert.deepEqual(cursorLines("SELECT '😀', bad;", 13, line), ["LINE 1: SELECT '😀', bad;", '                     ^']);
    assert.deepEqual(cursorLines('SELECT 名前x', 10, line), ['LINE 1: SELECT 名前x', `${' '.repeat(8 + 7 + 2 * 2)}^`]);
  });

  test('columnWidth: narrow, wide, zero-width', () => {
    assert.equal(columnWidth('a'), 1);
    assert.equal(columnWidth('é'), 1);
    assert.equal(columnWidth('名'), 2);
    assert.equal(columnWidth('😀'), 2);
    assert.equal(columnWidth('\u0301'), 0);
  });

  test('a position just past the end is legal (syntax error at end of input)', () => {
    const sql = 'SELECT 1 +';
    assert.deepEqual(cursorLines(sql, sql.length + 1, line), ['LINE 1: SELECT 1 +', '                  ^']);
  });

  test('positions outside the text give undefined', () => {
    assert.equal(cursorLines('SELECT 1', 0, line), undefined);
    assert.equal(cursorLines('SELECT 1', 10, line), undefined);
    assert.equal(cursorLines('SELECT 1', 1.5, line), undefined);
  });

  test('picks the right line and drops a trailing CR', () => {
    const sql = 'SELECT a,\r\n  b,\r\n  c FROM t';
    const position = sql.indexOf('b') + 1;
    assert.deepEqual(cursorLines(sql, position, line), ['LINE 2:   b,', '          ^']);
  });

  test('a caret on a newline character stays on the line it ends', () => {
    const sql = 'SELECT\nx';
    assert.deepEqual(cursorLines(sql, 7, line), ['LINE 1: SELECT', '              ^']);
  });

  test('long lines are cut around the caret with ... marks', () => {
    const sql = `SELECT ${'a, '.repeat(60)}oops, ${'b, '.repeat(60)}1`;
    const position = sql.indexOf('oops') + 1;
    const [text, caret] = cursorLines(sql, position, line) ?? [];
    assert.ok(text !== undefined && caret !== undefined);
    assert.ok(text.startsWith('LINE 1: ...'));
    assert.ok(text.endsWith('...'));
    assert.ok(text.length < 100, text);
    assert.equal(text.slice(caret.indexOf('^'), caret.indexOf('^') + 4), 'oops');
  });

  test('property: the caret sits under the character the position names', () => {
    const char = fc.constantFrom('a', 'b', ' ', '\n', 'é', '😀', ';', '\t');
    fc.assert(
      fc.property(fc.array(char, { minLength: 1, maxLength: 300 }), fc.nat(), (chars, n) => {
        const sql = chars.join('');
        const index = n % chars.length;
        const out = cursorLines(sql, index + 1, () => '> ');
        assert.ok(out !== undefined);
        const [text, caret] = out;
        assert.ok(text !== undefined && caret !== undefined);
        assert.ok(!text.includes('\n') && !caret.includes('\n'));
        assert.ok(caret.endsWith('^'));
        // Every character here but the emoji is one column wide.
        let at = Array.from(caret).length - 1;
        const shown = Array.from(text);
        let i = 0;
        while (at > 0 && i < shown.length) at -= columnWidth(shown[i++] ?? '');
        assert.equal(at, 0, 'the caret starts a character');
        const under = shown[i];
        // On a newline the caret goes just past the end of the line shown.
        if (chars[index] === '\n') assert.equal(under, undefined);
        else assert.equal(under, chars[index]);
      }),
    );
  });
});

describe('detailLines', () => {
  test('nothing to add gives no lines', () => {
    assert.deepEqual(detailLines({}), []);
  });

  test('multi-line DETAIL continues indented under its text', () => {
    assert.deepEqual(detailLines({ detail: 'first\nsecond' }), ['DETAIL:  first', '         second']);
  });

  test('order follows psql: caret, DETAIL, HINT, QUERY, CONTEXT', () => {
    const lines = detailLines({ query: 'SELECT x', position: 8, detail: 'd', hint: 'h', internalQuery: 'q', where: 'w' });
    assert.deepEqual(lines, ['LINE 1: SELECT x', '               ^', 'DETAIL:  d', 'HINT:  h', 'QUERY:  q', 'CONTEXT:  w']);
  });

  test('a multi-line internal query names the line of its caret', () => {
    const lines = detailLines({ internalQuery: 'SELECT 1\nFROM nope', internalPosition: 15 });
    assert.deepEqual(lines, ['QUERY LINE 2: FROM nope', '                   ^']);
  });
});
