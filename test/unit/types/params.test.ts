import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { InterfaceError } from '../../../src/errors/client.js';
import { DataError } from '../../../src/errors/sqlstate.generated.js';
import { ParameterError } from '../../../src/types/errors.js';
import type { TypeRegistry } from '../../../src/types/registry.js';
import { Writer } from '../../../src/protocol/writer.js';
import { Oid } from '../../../src/types/oids.js';
import { encodeParameter } from '../../../src/types/params.js';
import { createBuiltinRegistry } from '../../../src/types/registry.js';
import { int4 } from '../../../src/types/builtins/int.js';
import { aliasCodec } from '../../../src/types/introspect.js';
import { decode } from './helpers.js';

const registry = createBuiltinRegistry();

/** Encode one parameter; returns its format code and the bytes after the length word (null for NULL). */
function param(value: unknown, oid: number, index = 0): { format: number; bytes: Buffer | null } {
  return paramWith(registry, value, oid, index);
}

function paramWith(r: TypeRegistry, value: unknown, oid: number, index = 0): { format: number; bytes: Buffer | null } {
  const w = new Writer(4);
  w.int8(0x42); // something already in the buffer, as in a Bind message
  const format = encodeParameter(w, value, oid, r, index);
  const out = Buffer.from(w.toBytes());
  assert.equal(out[0], 0x42);
  const len = out.readInt32BE(1);
  if (len === -1) {
    assert.equal(out.length, 5);
    return { format, bytes: null };
  }
  assert.equal(out.length, 5 + len, 'length word matches the bytes written');
  return { format, bytes: out.subarray(5) };
}

describe('encodeParameter', () => {
  test('null is NULL', () => {
    assert.deepEqual(param(null, Oid.int4), { format: 1, bytes: null });
    assert.deepEqual(param(null, 0), { format: 1, bytes: null });
  });

  test('undefined is an error naming the parameter', () => {
    assert.throws(() => param(undefined, Oid.int4, 2), (e: unknown) =>
      e instanceof InterfaceError && /^parameter \$3 \(int4\) is undefined; pass null for SQL NULL/.test(e.message));
  });

  test('values with a binary codec go binary', () => {
    assert.deepEqual(param(7, Oid.int4), { format: 1, bytes: Buffer.from('00000007', 'hex') });
    assert.deepEqual(param(true, Oid.bool), { format: 1, bytes: Buffer.from('01', 'hex') });
    assert.deepEqual(param(Buffer.from([1, 2]), Oid.bytea), { format: 1, bytes: Buffer.from([1, 2]) });
    const p = param([1, null], Oid._int4);
    assert.equal(p.format, 1);
    assert.deepEqual(decode(registry.get(Oid._int4)!, p.bytes!), [1, null]);
  });

  test('a JS string goes as text for the server to parse', () => {
    assert.deepEqual(param('42', Oid.int4), { format: 0, bytes: Buffer.from('42') });
    assert.deepEqual(param('2024-01-01 12:00+02', Oid.timestamptz), { format: 0, bytes: Buffer.from('2024-01-01 12:00+02') });
    assert.deepEqual(param('{1,2}', Oid._int4), { format: 0, bytes: Buffer.from('{1,2}') });
    assert.deepEqual(param('1 day', Oid.interval), { format: 0, bytes: Buffer.from('1 day') });
  });

  test('a string for a text type uses the (identical) binary form', () => {
    assert.deepEqual(param('héllo', Oid.text), { format: 1, bytes: Buffer.from('héllo') });
    assert.deepEqual(param('x', Oid.varchar), { format: 1, bytes: Buffer.from('x') });
    // name's binary input rejects long names that its text input truncates: keep the text behaviour.
    assert.deepEqual(param('x', Oid.name), { format: 0, bytes: Buffer.from('x') });
    assert.throws(() => param('a\0b', Oid.text, 0), /^ParameterError: parameter \$1: text expects a string without NUL/);
  });

  test('json and jsonb always JSON-encode, strings included', () => {
    assert.deepEqual(param('hi', Oid.json), { format: 1, bytes: Buffer.from('"hi"') });
    assert.deepEqual(param({ a: 1 }, Oid.jsonb), { format: 1, bytes: Buffer.from('\x01{"a":1}', 'latin1') });
    assert.throws(() => param(undefined, Oid.json), /is undefined/);
    assert.throws(() => param(1n, Oid.jsonb, 1), /^ParameterError: parameter \$2: jsonb expects a value JSON.stringify can encode/);
  });

  test('codec errors are DataErrors naming the parameter, the type and the value', () => {
    assert.throws(() => param(3.5, Oid.int4, 0), (e: unknown) =>
      e instanceof ParameterError && e instanceof DataError && e.message.startsWith('parameter $1: int4 expects an integer') &&
      e.message.endsWith('got number 3.5') && e.cause instanceof InterfaceError &&
      e.parameterNumber === 1 && e.typeName === 'int4' && e.typeOid === Oid.int4 && e.sqlstate === '22000' && e.dataTypeName === 'int4');
    assert.throws(() => param([1, 2.5], Oid._int4, 4), /^ParameterError: parameter \$5: int4\[\] element \[1\]: int4 expects/);
    for (const [value, oid, pattern] of [
      [2 ** 40, Oid.int4, /int4 expects an integer from -2147483648 to 2147483647/],
      [70000, Oid.int2, /int2 expects an integer from -32768 to 32767/],
      [new Date(NaN), Oid.timestamptz, /timestamptz expects a valid Date.*got an invalid Date/],
      ['a\0b', Oid.varchar, /varchar expects a string without NUL/],
      [{}, Oid.float8, /float8 expects a number/],
      ['x\0', Oid.money, /NUL character/],
    ] as const) {
      assert.throws(() => param(value, oid, 2), (e: unknown) => e instanceof ParameterError && e.message.startsWith('parameter $3') && pattern.test(e.message));
    }
  });

  test('an array the binary codec rejects falls back to a text literal when it holds strings', () => {
    assert.deepEqual(param(['2024-01-01T00:00:00Z', null], Oid._timestamptz), {
      format: 0,
      bytes: Buffer.from('{"2024-01-01T00:00:00Z",NULL}'),
    });
    assert.deepEqual(param([['1', 2], ['3', 4]], Oid._int4).format, 1, 'int4 takes integer strings itself');
    assert.deepEqual(param(['t', false], Oid._bool), { format: 0, bytes: Buffer.from('{"t","f"}') });
  });

  test('text-format types and types without a codec are sent in their text form', () => {
    assert.deepEqual(param(new Date('2024-01-02T03:04:05.006Z'), 123456), { format: 0, bytes: Buffer.from('2024-01-02 03:04:05.006+00') });
    assert.deepEqual(param(5, Oid.money), { format: 0, bytes: Buffer.from('5') });
    assert.deepEqual(param([1.5, 2], Oid._money), { format: 0, bytes: Buffer.from('{"1.5","2"}') });
    assert.deepEqual(param(true, 0), { format: 0, bytes: Buffer.from('t') });
    assert.throws(() => param(Symbol('x'), Oid.money, 1), /^ParameterError: parameter \$2: money expects a string the server's money input accepts/);
    assert.throws(() => param(() => 1, 123456, 0), /parameter \$1 \(the type with OID 123456\)/);
  });

  test('an object that a composite-like codec rejects but holds strings goes as its text', () => {
    const r = createBuiltinRegistry();
    const iv = { oid: 99001, name: 'x', format: 1 as const, encode: () => { throw new InterfaceError('no'); }, decode: () => null, encodeText: () => '(lit)' };
    r.set(iv);
    assert.deepEqual(paramWith(r, { a: 'text' }, 99001), { format: 0, bytes: Buffer.from('(lit)') });
    assert.throws(() => paramWith(r, { a: 1 }, 99001), ParameterError);
  });

  test('on error the writer is left as it was', () => {
    const w = new Writer(4);
    w.int32(99);
    assert.throws(() => encodeParameter(w, [1, 2, 3, 4, 5, 2.5], Oid._int4, registry, 0), ParameterError);
    assert.throws(() => encodeParameter(w, 2 ** 40, Oid.int4, registry, 0), ParameterError);
    assert.throws(() => encodeParameter(w, ['1', undefined], Oid._money, registry, 0), /element \[1\] is undefined/);
    assert.equal(w.length, 4);
  });

  test('a registry override is used', () => {
    const r = createBuiltinRegistry();
    r.set({ ...int4, encode: (v, w) => int4.encode(Number(v) * 2, w) });
    const w = new Writer();
    assert.equal(encodeParameter(w, 4, Oid.int4, r, 0), 1);
    assert.equal(Buffer.from(w.toBytes()).toString('hex'), '0000000400000008');
  });
  test('a number, bigint or boolean a built-in codec does not take goes as its text; numeric types keep their check', () => {
    assert.deepEqual(param(1, Oid.bool), { format: 0, bytes: Buffer.from('1') });
    assert.deepEqual(param(20240131, Oid.date), { format: 0, bytes: Buffer.from('20240131') });
    assert.deepEqual(param(true, Oid.text), { format: 0, bytes: Buffer.from('t') });
    assert.deepEqual(param(5n, Oid.bytea), { format: 0, bytes: Buffer.from('5') });
    assert.throws(() => param(1.5, Oid.int4), /^ParameterError: parameter \$1: int4 expects an integer/);
    assert.throws(() => param(true, Oid.int8), /^ParameterError: parameter \$1: int8 expects/);
    assert.throws(() => param(1n, Oid.json), /^ParameterError: parameter \$1: json expects/);
    // A domain over a numeric type keeps its base type's check.
    const r = createBuiltinRegistry();
    r.set(aliasCodec(int4, 900001, 'posint'));
    assert.throws(() => paramWith(r, 1.5, 900001), ParameterError);
  });
});
