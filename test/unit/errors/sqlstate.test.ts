import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import * as errors from '../../../src/errors/index.js';
import {
  DataError,
  DeprecatedFeature,
  IntegrityConstraintViolationError,
  InvalidCatalogNameError,
  InvalidPasswordError,
  ModifyingExternalRoutineSQLDataNotPermittedError,
  ModifyingSQLDataNotPermittedError,
  NoAdditionalDynamicResultSetsReturned,
  NoData,
  PgjetError,
  PostgresConnectionError,
  PostgresError,
  PostgresLogMessage,
  PostgresSyntaxError,
  PostgresWarning,
  SQLSTATE_CLASSES,
  StringDataRightTruncation,
  StringDataRightTruncationError,
  SyntaxOrAccessError,
  UniqueViolationError,
  postgresErrorFromFields,
} from '../../../src/errors/index.js';

const root = new URL('../../../../', import.meta.url);
const errcodes = readFileSync(new URL('scripts/data/errcodes.txt', root), 'utf8');

/** Every SQLSTATE listed in errcodes.txt with its E/W/S letter, read independently of the generator. */
function listedCodes(): Map<string, string> {
  const codes = new Map<string, string>();
  for (const line of errcodes.split('\n')) {
    const m = /^([0-9A-Z]{5})\s+([EWS])\s+ERRCODE_/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) codes.set(m[1], m[2]);
  }
  return codes;
}

function prototypeOf(cls: unknown): unknown {
  return (cls as { prototype: unknown }).prototype;
}

describe('postgresErrorFromFields picks the generated class', () => {
  test('23505 is UniqueViolationError, under IntegrityConstraintViolationError, PostgresError, PgjetError, Error', () => {
    const e = postgresErrorFromFields({ S: 'ERROR', C: '23505', M: 'duplicate key value violates unique constraint "u"' });
    assert.ok(e instanceof UniqueViolationError);
    assert.ok(e instanceof IntegrityConstraintViolationError);
    assert.ok(e instanceof PostgresError);
    assert.ok(e instanceof PgjetError);
    assert.ok(e instanceof Error);
    assert.equal(e.constructor, UniqueViolationError);
    assert.equal(e.name, 'UniqueViolationError');
    assert.equal(e.sqlstate, '23505');
    assert.equal(UniqueViolationError.sqlstate, '23505');
    assert.equal(IntegrityConstraintViolationError.sqlstate, '23000');
  });

  test('28P01 is InvalidPasswordError', () => {
    const e = postgresErrorFromFields({ S: 'FATAL', C: '28P01', M: 'password authentication failed for user "u"' });
    assert.equal(e.constructor, InvalidPasswordError);
    assert.equal(e.name, 'InvalidPasswordError');
  });

  test('3D000 is InvalidCatalogNameError', () => {
    const e = postgresErrorFromFields({ S: 'FATAL', C: '3D000', M: 'database "nope" does not exist' });
    assert.equal(e.constructor, InvalidCatalogNameError);
  });

  test('an unknown code of a known class gets the class generic error, keeping its own code', () => {
    const e = postgresErrorFromFields({ S: 'ERROR', C: '23ZZZ', M: 'new kind of violation' });
    assert.equal(e.constructor, IntegrityConstraintViolationError);
    assert.equal(e.sqlstate, '23ZZZ');
    assert.equal(e.code, '23ZZZ');
  });

  test('an unknown class gets a plain PostgresError', () => {
    const e = postgresErrorFromFields({ S: 'ERROR', C: 'ZZ999', M: 'from the future' });
    assert.equal(e.constructor, PostgresError);
    assert.equal(e.name, 'PostgresError');
    assert.equal(e.sqlstate, 'ZZ999');
  });

  test('a missing code gives a plain PostgresError', () => {
    const e = postgresErrorFromFields({ S: 'ERROR', M: 'no code' });
    assert.equal(e.constructor, PostgresError);
    assert.equal(e.sqlstate, '');
  });

  test('a warning code in an ErrorResponse still gives an Error', () => {
    const e = postgresErrorFromFields({ S: 'ERROR', C: '01P01', M: 'odd' });
    assert.equal(e.constructor, PostgresError);
    assert.ok(e instanceof Error);
  });

  test('the generic code itself maps to the generic class', () => {
    assert.equal(postgresErrorFromFields({ C: '22000', M: 'x' }).constructor, DataError);
    assert.equal(postgresErrorFromFields({ C: '42000', M: 'x' }).constructor, SyntaxOrAccessError);
  });
});

describe('generated classes', () => {
  const listed = listedCodes();

  test('every error and warning code in errcodes.txt has a class; nothing else does', () => {
    const expected = [...listed].filter(([, kind]) => kind !== 'S').map(([code]) => code);
    assert.deepEqual([...SQLSTATE_CLASSES.keys()].sort(), expected.sort());
    assert.ok(SQLSTATE_CLASSES.size > 250);
    assert.equal(SQLSTATE_CLASSES.has('00000'), false);
  });

  test('each class carries its own SQLSTATE, its name, and is exported under that name', () => {
    const exported = errors as unknown as Record<string, unknown>;
    const names = new Set<string>();
    for (const [code, cls] of SQLSTATE_CLASSES) {
      assert.equal(cls.sqlstate, code);
      const instance = new cls({ C: code, M: 'm' });
      assert.equal(instance.name, cls.name, code);
      assert.equal(exported[cls.name], cls, `${cls.name} is exported`);
      assert.match(cls.name, /^[A-Z][A-Za-z0-9]*$/);
      names.add(cls.name);
    }
    assert.equal(names.size, SQLSTATE_CLASSES.size, 'class names are unique');
  });

  test('errors end in Error and descend from PostgresError; warnings do not and descend from PostgresWarning', () => {
    for (const [code, cls] of SQLSTATE_CLASSES) {
      const proto = prototypeOf(cls);
      if (listed.get(code) === 'W') {
        assert.ok(proto instanceof PostgresLogMessage || cls === PostgresWarning, code);
        assert.ok(!(proto instanceof Error), code);
        if (cls !== PostgresWarning) assert.ok(proto instanceof PostgresWarning, code);
      } else {
        assert.ok(proto instanceof PostgresError, code);
        assert.match(cls.name, /Error$/, code);
      }
    }
  });

  test('each code descends from the generic code of its class when there is one', () => {
    for (const [code, cls] of SQLSTATE_CLASSES) {
      const generic = SQLSTATE_CLASSES.get(`${code.slice(0, 2)}000`);
      if (generic === undefined || generic === cls) continue;
      assert.ok(prototypeOf(cls) instanceof generic, `${code} under ${generic.sqlstate}`);
      assert.equal(Object.getPrototypeOf(cls), generic, `${code} directly under ${generic.sqlstate}`);
    }
  });

  test('warning classes: PostgresWarning is 01000, NoData (02000) extends it', () => {
    assert.equal(PostgresWarning.sqlstate, '01000');
    assert.equal(Object.getPrototypeOf(PostgresWarning), PostgresLogMessage);
    assert.equal(Object.getPrototypeOf(NoData), PostgresWarning);
    assert.equal(Object.getPrototypeOf(NoAdditionalDynamicResultSetsReturned), NoData);
    assert.equal(Object.getPrototypeOf(DeprecatedFeature), PostgresWarning);
  });

  test('a condition name used twice gives two distinct classes, as in asyncpg', () => {
    assert.equal(StringDataRightTruncation.sqlstate, '01004');
    assert.equal(StringDataRightTruncationError.sqlstate, '22001');
    assert.equal(ModifyingSQLDataNotPermittedError.sqlstate, '2F002');
    assert.equal(ModifyingExternalRoutineSQLDataNotPermittedError.sqlstate, '38002');
  });

  test('names that would clash with built-ins or pgjet classes take a Postgres prefix', () => {
    assert.equal(PostgresSyntaxError.sqlstate, '42601');
    assert.equal(PostgresConnectionError.sqlstate, '08000');
    assert.notEqual(PostgresConnectionError as unknown, errors.ConnectionError);
    assert.equal(SQLSTATE_CLASSES.get('58030')?.name, 'PostgresIOError');
    assert.equal(SQLSTATE_CLASSES.get('22P01')?.name, 'PostgresFloatingPointError');
  });

  test('asyncpg spellings: acronyms, Exception/Failure become Error', () => {
    const name = (code: string): string | undefined => SQLSTATE_CLASSES.get(code)?.name;
    assert.equal(name('25001'), 'ActiveSQLTransactionError');
    assert.equal(name('HV000'), 'FDWError');
    assert.equal(name('P0000'), 'PLPGSQLError');
    assert.equal(name('P0001'), 'RaiseError');
    assert.equal(name('40001'), 'SerializationError');
    assert.equal(name('22000'), 'DataError');
    assert.equal(name('08001'), 'ClientCannotConnectError');
    assert.equal(name('XX000'), 'InternalServerError');
    assert.equal(name('34000'), 'InvalidCursorNameError');
    assert.equal(name('2202E'), 'ArraySubscriptError');
  });
});
