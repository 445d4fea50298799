import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';

import {
  DeprecatedFeature,
  FeatureNotSupportedError,
  InvalidCachedStatementError,
  NoData,
  PgjetError,
  PostgresError,
  PostgresLogMessage,
  PostgresWarning,
  UndefinedColumnError,
  UniqueViolationError,
  logMessageFromFields,
  postgresErrorFromFields,
} from '../../../src/errors/index.js';
import type { NoticeFields } from '../../../src/protocol/messages.js';

/** The fields PostgreSQL 18 sends for a unique violation. */
const uniqueViolation: NoticeFields = {
  S: 'ERREUR',
  V: 'ERROR',
  C: '23505',
  M: 'duplicate key value violates unique constraint "users_email_key"',
  D: 'Key (email)=(a@example.com) already exists.',
  s: 'public',
  t: 'users',
  n: 'users_email_key',
  F: 'nbtinsert.c',
  L: '666',
  R: '_bt_check_unique',
};

describe('field parsing', () => {
  test('every documented field letter maps to its typed field', () => {
    const fields: NoticeFields = {
      S: 'FEHLER',
      V: 'ERROR',
      C: '42703',
      M: 'column "x" does not exist',
      D: 'the detail',
      H: 'the hint',
      P: '8',
      p: '12',
      q: 'SELECT x FROM t',
      W: 'PL/pgSQL function f() line 3 at RETURN',
      s: 'public',
      t: 't',
      c: 'x',
      d: 'int4',
      n: 't_x_check',
      F: 'parse_relation.c',
      L: '3722',
      R: 'errorMissingColumn',
    };
    const e = postgresErrorFromFields(fields, 'SELECT x FROM t');
    assert.equal(e.sqlstate, '42703');
    assert.equal(e.code, '42703');
    assert.equal(e.severity, 'ERROR');
    assert.equal(e.severityLocalized, 'FEHLER');
    assert.equal(e.message, 'column "x" does not exist');
    assert.equal(e.detail, 'the detail');
    assert.equal(e.hint, 'the hint');
    assert.equal(e.position, 8);
    assert.equal(e.internalPosition, 12);
    assert.equal(e.internalQuery, 'SELECT x FROM t');
    assert.equal(e.where, 'PL/pgSQL function f() line 3 at RETURN');
    assert.equal(e.schemaName, 'public');
    assert.equal(e.tableName, 't');
    assert.equal(e.columnName, 'x');
    assert.equal(e.dataTypeName, 'int4');
    assert.equal(e.constraintName, 't_x_check');
    assert.equal(e.file, 'parse_relation.c');
    assert.equal(e.line, 3722);
    assert.equal(e.routine, 'errorMissingColumn');
    assert.equal(e.query, 'SELECT x FROM t');
    assert.deepEqual({ ...e.fields }, fields);
  });

  test('absent fields are undefined; severity falls back to S when V is missing (servers before 9.6)', () => {
    const e = postgresErrorFromFields({ S: 'ERROR', C: '22012', M: 'division by zero' });
    assert.equal(e.severity, 'ERROR');
    assert.equal(e.severityLocalized, 'ERROR');
    for (const key of ['detail', 'hint', 'position', 'internalPosition', 'internalQuery', 'where', 'schemaName',
      'tableName', 'columnName', 'dataTypeName', 'constraintName', 'file', 'line', 'routine', 'query'] as const) {
      assert.equal(e[key], undefined, key);
    }
  });

  test('numbers that are not decimal are dropped, not NaN', () => {
    const e = postgresErrorFromFields({ S: 'ERROR', C: '42601', M: 'm', P: 'abc', p: '-1', L: '' });
    assert.equal(e.position, undefined);
    assert.equal(e.internalPosition, undefined);
    assert.equal(e.line, undefined);
  });

  test('the raw fields are a frozen copy and stay out of enumeration', () => {
    const fields: NoticeFields = { ...uniqueViolation };
    const e = postgresErrorFromFields(fields);
    fields['M'] = 'changed later';
    assert.equal(e.fields['M'], uniqueViolation['M']);
    assert.ok(Object.isFrozen(e.fields));
    assert.equal(Object.keys(e).includes('fields'), false);
  });

  test('a constructor used directly takes its SQLSTATE from the class when C is absent', () => {
    const e = new UniqueViolationError({ M: 'made by hand' });
    assert.equal(e.sqlstate, '23505');
    assert.equal(e.message, 'made by hand');
  });

  test('a missing message still gives an actionable one', () => {
    const e = postgresErrorFromFields({ S: 'ERROR', C: '23505' });
    assert.match(e.message, /without a message.*23505/);
  });

  test('RevalidateCachedQuery 0A000 becomes InvalidCachedStatementError', () => {
    const e = postgresErrorFromFields({ S: 'ERROR', C: '0A000', M: 'cached plan must not change result type', R: 'RevalidateCachedQuery' });
    assert.ok(e instanceof InvalidCachedStatementError);
    assert.ok(e instanceof FeatureNotSupportedError);
    assert.equal(e.name, 'InvalidCachedStatementError');
    const other = postgresErrorFromFields({ S: 'ERROR', C: '0A000', M: 'not supported', R: 'elsewhere' });
    assert.equal(other.constructor, FeatureNotSupportedError);
  });
});

describe('toString and inspect', () => {
  test('toString: name and message, then DETAIL', () => {
    const e = postgresErrorFromFields(uniqueViolation);
    assert.equal(
      e.toString(),
      'UniqueViolationError: duplicate key value violates unique constraint "users_email_key"\n' +
        'DETAIL:  Key (email)=(a@example.com) already exists.',
    );
  });

  test('toString: caret under the position in the query, then HINT', () => {
    const e = postgresErrorFromFields(
      { S: 'ERROR', C: '42703', M: 'column "nam" does not exist', P: '8', H: 'Perhaps you meant to reference the column "users.name".' },
      'SELECT nam FROM users',
    );
    assert.ok(e instanceof UndefinedColumnError);
    assert.equal(
      String(e),
      [
        'UndefinedColumnError: column "nam" does not exist',
        'LINE 1: SELECT nam FROM users',
        '               ^',
        'HINT:  Perhaps you meant to reference the column "users.name".',
      ].join('\n'),
    );
  });

  test('toString: the right line of a multi-line query', () => {
    const sql = 'SELECT id,\n       nam\nFROM users';
    const e = postgresErrorFromFields({ S: 'ERROR', C: '42703', M: 'column "nam" does not exist', P: String(sql.indexOf('nam') + 1) }, sql);
    assert.deepEqual(String(e).split('\n').slice(1), ['LINE 2:        nam', '               ^']);
  });

  test('toString: a position without the query text is still reported', () => {
    const e = postgresErrorFromFields({ S: 'ERROR', C: '42601', M: 'syntax error at or near "FORM"', P: '10' });
    assert.match(String(e), /\nPOSITION: {2}character 10 of the query$/);
  });

  test('toString: internal query with its caret, and CONTEXT', () => {
    const e = postgresErrorFromFields(
      {
        S: 'ERROR',
        C: '42P01',
        M: 'relation "missing" does not exist',
        q: 'SELECT count(*) FROM missing',
        p: '22',
        W: 'PL/pgSQL function f() line 3 at SQL statement',
      },
      'SELECT f()',
    );
    assert.equal(
      String(e),
      [
        'UndefinedTableError: relation "missing" does not exist',
        'QUERY:  SELECT count(*) FROM missing',
        '                             ^',
        'CONTEXT:  PL/pgSQL function f() line 3 at SQL statement',
      ].join('\n'),
    );
  });

  test('the stack starts with the class name and the server message', () => {
    const e = postgresErrorFromFields(uniqueViolation);
    assert.match(e.stack ?? '', /^UniqueViolationError: duplicate key value violates unique constraint "users_email_key"\n\s+at /);
  });

  test('util.inspect shows toString, the stack and the fields that were sent', () => {
    const e = postgresErrorFromFields(uniqueViolation, 'INSERT INTO users (email) VALUES ($1)');
    const shown = inspect(e);
    assert.ok(shown.startsWith(String(e)), shown);
    assert.match(shown, /\n\s+at /);
    assert.match(shown, /constraintName: 'users_email_key'/);
    assert.match(shown, /query: 'INSERT INTO users/);
    assert.doesNotMatch(shown, /undefined/);
    const nested = inspect({ a: { e } }, { depth: 1, breakLength: Infinity });
    assert.equal(nested, `{ a: { e: [UniqueViolationError: ${uniqueViolation['M']}] } }`);
  });

  test('JSON.stringify keeps the message and the typed fields', () => {
    const json = JSON.parse(JSON.stringify(postgresErrorFromFields(uniqueViolation))) as Record<string, unknown>;
    assert.equal(json['name'], 'UniqueViolationError');
    assert.equal(json['message'], uniqueViolation['M']);
    assert.equal(json['sqlstate'], '23505');
    assert.equal(json['line'], 666);
    assert.equal(json['fields'], undefined);
  });
});

describe('logMessageFromFields', () => {
  test('a notice is a PostgresLogMessage, not an Error, with typed fields', () => {
    const m = logMessageFromFields({ S: 'NOTICE', V: 'NOTICE', C: '42P07', M: 'relation "t" already exists, skipping', F: 'parse_utilcmd.c', L: '207' });
    assert.equal(m.constructor, PostgresLogMessage);
    assert.ok(!(m instanceof Error));
    assert.ok(!(m instanceof PgjetError));
    assert.equal(m.sqlstate, '42P07');
    assert.equal(m.severity, 'NOTICE');
    assert.equal(m.message, 'relation "t" already exists, skipping');
    assert.equal(m.line, 207);
    assert.equal(m.detail, undefined);
    assert.equal(String(m), 'NOTICE:  relation "t" already exists, skipping');
  });

  test('a warning SQLSTATE gets its generated warning class', () => {
    const m = logMessageFromFields({ S: 'WARNING', V: 'WARNING', C: '01P01', M: 'this feature is deprecated', H: 'Use the other one.' });
    assert.ok(m instanceof DeprecatedFeature);
    assert.ok(m instanceof PostgresWarning);
    assert.equal(m.name, 'DeprecatedFeature');
    assert.equal(String(m), 'WARNING:  this feature is deprecated\nHINT:  Use the other one.');
    assert.ok(logMessageFromFields({ S: 'WARNING', C: '02000', M: 'no data' }) instanceof NoData);
    assert.equal(logMessageFromFields({ S: 'WARNING', C: '01ZZZ', M: 'new' }).constructor, PostgresWarning);
  });

  test('severity WARNING with an error SQLSTATE is a PostgresWarning that keeps its code', () => {
    const m = logMessageFromFields({ S: 'WARNUNG', V: 'WARNING', C: '25P01', M: 'there is no transaction in progress' });
    assert.equal(m.constructor, PostgresWarning);
    assert.equal(m.sqlstate, '25P01');
    assert.equal(m.severityLocalized, 'WARNUNG');
  });

  test('the query is attached and used for the caret', () => {
    const m = logMessageFromFields({ S: 'NOTICE', C: '00000', M: 'look here', P: '3' }, 'a\tbc');
    assert.equal(m.query, 'a\tbc');
    assert.equal(String(m), 'NOTICE:  look here\nLINE 1: a\tbc\n         \t^');
  });

  test('generated errors are PostgresError, and PostgresError is a PgjetError', () => {
    assert.ok(postgresErrorFromFields(uniqueViolation) instanceof PostgresError);
    assert.ok(new PostgresError({ C: 'XX000', M: 'x' }) instanceof PgjetError);
  });
});
