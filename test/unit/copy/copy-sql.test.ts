import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { columnList, copyOptionsSql, inlineArguments, qualifiedTable, quoteIdent, quoteLiteral } from '../../../src/connection/copy-sql.js';
import { InterfaceError } from '../../../src/errors/client.js';

describe('COPY statement text', () => {
  test('identifiers are double-quoted with quotes doubled', () => {
    assert.equal(quoteIdent('plain'), '"plain"');
    assert.equal(quoteIdent('say "hi"; DROP'), '"say ""hi""; DROP"');
    assert.throws(() => quoteIdent(''), InterfaceError);
    assert.throws(() => quoteIdent('a\0b'), /NUL/);
    assert.equal(qualifiedTable('t', undefined), '"t"');
    assert.equal(qualifiedTable('t', 'my schema'), '"my schema"."t"');
    assert.equal(columnList(['a', 'b"c']), ' ("a", "b""c")');
    assert.equal(columnList(undefined), '');
    assert.throws(() => columnList([]), /non-empty array/);
  });

  test('literals double quotes and use E-strings for backslashes', () => {
    assert.equal(quoteLiteral("it's"), "'it''s'");
    assert.equal(quoteLiteral('a\\b'), "E'a\\\\b'");
    assert.equal(quoteLiteral("\\'"), "E'\\\\'''");
    assert.throws(() => quoteLiteral('a\0'), /NUL/);
  });

  test('quoted literals always read back as the original string', () => {
    // The reading rules of a PostgreSQL literal, applied to what quoteLiteral wrote.
    const read = (lit: string): string => {
      const e = lit.startsWith("E'");
      const body = lit.slice(e ? 2 : 1, -1);
      let out = '';
      for (let i = 0; i < body.length; i++) {
        const c = body[i]!;
        if (c === "'") {
          assert.equal(body[i + 1], "'", 'a lone quote would end the literal');
          out += "'";
          i++;
        } else if (e && c === '\\') {
          out += body[i + 1];
          i++;
        } else {
          out += c;
        }
      }
      return out;
    };
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0')), (s) => read(quoteLiteral(s)) === s));
  });

  test('every COPY option renders, and bad values are refused', () => {
    assert.equal(copyOptionsSql({}), '');
    assert.equal(
      copyOptionsSql({
        format: 'csv',
        freeze: true,
        delimiter: ';',
        null: 'NIL',
        default: 'DEF',
        header: 'match',
        quote: '"',
        escape: '\\',
        forceQuote: true,
        forceNotNull: ['a'],
        forceNull: ['b', 'c'],
        onError: 'ignore',
        encoding: 'LATIN1',
      }),
      ` (FORMAT csv, FREEZE true, DELIMITER ';', NULL 'NIL', DEFAULT 'DEF', QUOTE '"', ESCAPE E'\\\\', ENCODING 'LATIN1', ` +
        `HEADER MATCH, FORCE_QUOTE *, FORCE_NOT_NULL ("a"), FORCE_NULL ("b", "c"), ON_ERROR ignore)`,
    );
    assert.equal(copyOptionsSql({ header: false }), ' (HEADER false)');
    assert.throws(() => copyOptionsSql({ format: 'xml' as never }), /"format" must be/);
    assert.throws(() => copyOptionsSql({ delimiter: 1 as never }), /"delimiter" must be a string/);
    assert.throws(() => copyOptionsSql({ onError: 'skip' as never }), /"onError"/);
    assert.throws(() => copyOptionsSql({ freeze: 'yes' as never }), /"freeze" must be a boolean/);
  });
});

describe('inlineArguments', () => {
  test('replaces placeholders by literals, NULL for null', () => {
    assert.equal(inlineArguments('SELECT $1, $2, $1', ['a', null]), "SELECT 'a', NULL, 'a'");
    const ten = Array.from({ length: 10 }, (_, i) => i + 1);
    assert.equal(
      inlineArguments('SELECT $10 + $1, $2, $3, $4, $5, $6, $7, $8, $9', ten),
      "SELECT '10' + '1', '2', '3', '4', '5', '6', '7', '8', '9'",
    );
    assert.equal(inlineArguments('SELECT $1::int8, $2', [12n, true]), "SELECT '12'::int8, 't'");
  });

  test('skips strings, identifiers, dollar quotes and comments', () => {
    const sql = `SELECT '$1', E'\\'$1', "$1", $$ $1 $$, $tag$ $1 $tag$, a$1, -- $1
      /* $1 /* nested $1 */ $1 */ $1`;
    assert.equal(
      inlineArguments(sql, ['x']),
      `SELECT '$1', E'\\'$1', "$1", $$ $1 $$, $tag$ $1 $tag$, a$1, -- $1
      /* $1 /* nested $1 */ $1 */ 'x'`,
    );
  });

  test('values that would break out of the literal stay inside it', () => {
    assert.equal(inlineArguments('SELECT $1', ["'); DROP TABLE t; --"]), "SELECT '''); DROP TABLE t; --'");
    assert.equal(inlineArguments('SELECT $1', ['\\']), "SELECT E'\\\\'");
  });

  test('mismatched placeholders and arguments are errors', () => {
    assert.throws(() => inlineArguments('SELECT $2', [1]), /uses \$2 but 1 argument was given/);
    assert.throws(() => inlineArguments('SELECT $1', [1, 2]), /does not use \$2/);
    assert.throws(() => inlineArguments('SELECT $1', [undefined]), /undefined; pass null/);
  });
});
