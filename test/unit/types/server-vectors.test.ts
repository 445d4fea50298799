/**
 * Every built-in codec against bytes a real PostgreSQL produced (see
 * fixtures/gen-server-vectors.mjs): decoding the server's bytes gives the
 * value its text output stands for, and encoding that value gives the
 * server's bytes back.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { BUILTIN_CODECS } from '../../../src/types/builtins/index.js';
import type { Codec } from '../../../src/types/codec.js';
import { SERVER_VECTORS } from './fixtures/server-vectors.js';
import { decode, encodeHex } from './helpers.js';

const byName = new Map<string, Codec>(BUILTIN_CODECS.map((c) => [c.name, c]));

const TS = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:\+00)?( BC)?$/;

/** The Date (or ±Infinity) a timestamp's text output stands for, floored to the millisecond. */
function timestampFromText(text: string): Date | number {
  if (text === 'infinity') return Infinity;
  if (text === '-infinity') return -Infinity;
  const m = TS.exec(text);
  assert.ok(m, `unexpected timestamp text ${text}`);
  const year = m[8] === undefined ? Number(m[1]) : 1 - Number(m[1]);
  const micros = Number((m[7] ?? '').padEnd(6, '0'));
  const d = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  d.setUTCFullYear(year, Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), Math.floor(micros / 1000));
  return d;
}

/** The JS value the server's text output of a scalar stands for. */
function expectedScalar(type: string, text: string): unknown {
  switch (type) {
    case 'bool':
      return text === 'true' || text === 't';
    case 'int2':
    case 'int4':
    case 'oid':
    case 'xid':
    case 'cid':
    case 'float8':
      return Number(text);
    case 'float4':
      return Math.fround(Number(text));
    case 'int8':
    case 'xid8':
      return BigInt(text);
    case 'bytea':
      return Buffer.from(text.slice(2), 'hex');
    case 'json':
    case 'jsonb':
      return JSON.parse(text);
    case 'timestamp':
    case 'timestamptz':
      return timestampFromText(text);
    default:
      return text;
  }
}

function elementType(type: string): string {
  if (type === 'int2vector') return 'int2';
  if (type === 'oidvector') return 'oid';
  return type.slice(0, -2);
}

function mapNested(v: unknown, f: (s: string) => unknown): unknown {
  if (v === null) return null;
  if (Array.isArray(v)) return v.map((x) => mapNested(x, f));
  return f(v as string);
}

/** Whether encoding the expected value must reproduce the server's bytes exactly. */
function encodesExactly(type: string, literal: string, text: string): boolean {
  // json keeps the input's spacing and jsonb prints its own; both differ from JSON.stringify.
  if (/^jsonb?(\[\])?$/.test(type)) return false;
  // A Date drops microseconds below the millisecond.
  if (type.startsWith('timestamp') && /\.\d{4,}/.test(text)) return false;
  // The server fills the unused scale field of NaN and ±Infinity with header bits; we send 0.
  if (type === 'numeric' && /^-?Infinity$|^NaN$/.test(text)) return false;
  // Non-default lower bounds are not kept.
  if (literal.startsWith('[')) return false;
  return true;
}

describe('codecs against a real server', () => {
  for (const v of SERVER_VECTORS) {
    test(`${v.type} ${v.literal}`, () => {
      // "char" is quoted in SQL (bare char is bpchar); the codec is named char.
      const type = v.type.replace(/"/g, '');
      const codec = byName.get(type);
      assert.ok(codec, `no builtin codec named ${v.type}`);
      const expected =
        v.elements === null
          ? expectedScalar(type, v.text)
          : mapNested(v.elements, (s) => expectedScalar(elementType(type), s));
      assert.deepStrictEqual(decode(codec, v.hex), expected);
      if (encodesExactly(type, v.literal, v.text)) {
        assert.equal(encodeHex(codec, expected), v.hex);
      } else {
        assert.deepStrictEqual(decode(codec, Buffer.from(encodeHex(codec, expected), 'hex')), expected);
      }
    });
  }

  test('every builtin scalar codec has server vectors', () => {
    const covered = new Set(SERVER_VECTORS.map((v) => v.type));
    for (const name of ['bool', 'int2', 'int4', 'int8', 'oid', 'xid', 'cid', 'xid8', 'float4', 'float8', 'numeric',
      'text', 'varchar', 'bpchar', 'name', '"char"', 'bytea', 'uuid', 'json', 'jsonb', 'date', 'timestamp', 'timestamptz']) {
      assert.ok(covered.has(name), `no server vector for ${name}`);
    }
  });
});
