/**
 * Every built-in codec against bytes a real PostgreSQL produced (see
 * fixtures/gen-server-vectors.mjs): decoding the server's bytes gives the
 * value its text output stands for, and encoding that value gives the
 * server's bytes back.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { BUILTIN_CODECS, Interval, PreciseDate, Range, timestampAsString, timestamptzAsString } from '../../../src/types/builtins/index.js';
import type { Codec } from '../../../src/types/codec.js';
import { SERVER_VECTORS } from './fixtures/server-vectors.js';
import { decode, encode, encodeHex } from './helpers.js';

const byName = new Map<string, Codec>(BUILTIN_CODECS.map((c) => [c.name, c]));

const TS = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:\+00)?( BC)?$/;

/** The Date (or ±Infinity) a timestamp's text output stands for: a PreciseDate when it has digits below the millisecond. */
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
  return micros % 1000 === 0 ? d : new PreciseDate(d.getTime(), micros % 1000);
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
    case 'inet':
      // The vectors' text is the text(inet) cast, which always shows the prefix; inet_out leaves out a full-width one.
      return text.replace(text.includes(':') ? /\/128$/ : /\/32$/, '');
    case 'point':
    case 'line':
    case 'lseg':
    case 'box':
    case 'path':
    case 'polygon':
    case 'circle':
      return geometryFromText(type, text);
    default:
      return text;
  }
}

/** The numbers in a geometric type's text output, in the shape its codec returns. */
function geometryFromText(type: string, text: string): unknown {
  const n = [...text.matchAll(/-?[\d.]+(?:e[+-]?\d+)?/gi)].map((m) => Number(m[0]));
  const pt = (i: number) => ({ x: n[i]!, y: n[i + 1]! });
  const points = () => Array.from({ length: n.length / 2 }, (_, i) => pt(2 * i));
  switch (type) {
    case 'point':
      return pt(0);
    case 'line':
      return { a: n[0], b: n[1], c: n[2] };
    case 'lseg':
      return { p1: pt(0), p2: pt(2) };
    case 'box':
      return { high: pt(0), low: pt(2) };
    case 'path':
      return { closed: text.startsWith('('), points: points() };
    case 'polygon':
      return { points: points() };
    default:
      return { center: pt(0), radius: n[2] };
  }
}

const asText = new Map<string, Codec>([
  ['timestamp', timestampAsString],
  ['timestamptz', timestamptzAsString],
]);

/** A range bound as the server prints it: quoted when it holds a space or a delimiter. */
function boundText(subtype: string, v: unknown): string {
  let s: string;
  const through = asText.get(subtype);
  if (through !== undefined && v instanceof Date) s = decode(through, encode(byName.get(subtype)!, v)) as string;
  else if (v === Infinity) s = 'infinity';
  else if (v === -Infinity) s = '-infinity';
  else s = String(v);
  return /[\s",()[\]\\]/.test(s) || s === '' ? `"${s}"` : s;
}

const RANGE_SUBTYPE: Readonly<Record<string, string>> = {
  int4range: 'int4', int8range: 'int8', numrange: 'numeric', daterange: 'date', tsrange: 'timestamp', tstzrange: 'timestamptz',
  int4multirange: 'int4', datemultirange: 'date',
};

/** A Range in the server's literal form. */
function rangeText(subtype: string, r: Range<unknown>): string {
  if (r.empty) return 'empty';
  const lower = r.lower === null ? '' : boundText(subtype, r.lower);
  const upper = r.upper === null ? '' : boundText(subtype, r.upper);
  return `${r.lowerInclusive ? '[' : '('}${lower},${upper}${r.upperInclusive ? ']' : ')'}`;
}

/** A decoded value in the form it is compared in: classes as the server's text. */
function comparable(type: string, v: unknown): unknown {
  if (v instanceof Interval) return v.toPostgres();
  if (v instanceof Range) return rangeText(RANGE_SUBTYPE[type]!, v);
  if (type.endsWith('multirange') && Array.isArray(v)) return `{${v.map((r: Range<unknown>) => rangeText(RANGE_SUBTYPE[type]!, r)).join(',')}}`;
  return v;
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
  // The server fills the unused scale field of NaN and ±Infinity with header bits; we send 0.
  if (type === 'numeric' && /^-?Infinity$|^NaN$/.test(text)) return false;
  return true;
}

describe('codecs against a real server', () => {
  for (const v of SERVER_VECTORS) {
    test(`${v.type} ${v.literal}`, () => {
      // "char" is quoted in SQL (bare char is bpchar); the codec is named char. bit(10) is bit.
      const type = v.type.replace(/"/g, '').replace(/\(\d+\)/, '');
      const codec = byName.get(type);
      assert.ok(codec, `no builtin codec named ${v.type}`);
      const isArray = v.elements !== null;
      const expected = isArray ? mapNested(v.elements, (s) => expectedScalar(elementType(type), s)) : expectedScalar(type, v.text);
      const decoded = decode(codec, v.hex);
      const view = (x: unknown) => (isArray ? mapNested(x, (e) => comparable(elementType(type), e)) : comparable(type, x));
      assert.deepStrictEqual(view(decoded), expected);
      if (encodesExactly(type, v.literal, v.text)) {
        assert.equal(encodeHex(codec, decoded), v.hex);
      } else {
        assert.deepStrictEqual(view(decode(codec, Buffer.from(encodeHex(codec, decoded), 'hex'))), expected);
      }
    });
  }

  test('every builtin scalar codec has server vectors', () => {
    const covered = new Set(SERVER_VECTORS.map((v) => v.type));
    for (const name of ['bool', 'int2', 'int4', 'int8', 'oid', 'xid', 'cid', 'xid8', 'float4', 'float8', 'numeric',
      'text', 'varchar', 'bpchar', 'name', '"char"', 'bytea', 'uuid', 'json', 'jsonb', 'date', 'timestamp', 'timestamptz',
      'time', 'timetz', 'interval', 'inet', 'cidr', 'macaddr', 'macaddr8', 'bit', 'varbit', 'point', 'line', 'lseg', 'box', 'path',
      'polygon', 'circle', 'tid', 'pg_lsn', 'pg_snapshot', 'txid_snapshot', 'jsonpath', 'int4range', 'int8range', 'numrange',
      'daterange', 'tsrange', 'tstzrange', 'int4multirange', 'datemultirange']) {
      assert.ok(covered.has(name), `no server vector for ${name}`);
    }
  });
});
