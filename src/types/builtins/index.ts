/**
 * Every built-in codec, and the list the builtin registry is made from:
 * binary codecs for the types pgjet maps, text-format codecs for the other
 * built-in types (so that none of them needs a catalog lookup), ranges,
 * multiranges and the array of each.
 */
import type { Codec } from '../codec.js';
import { ARRAY_OID, Oid, TYPE_NAME } from '../oids.js';
import type { TypeOptions } from '../options.js';
import { arrayCodec } from './array.js';
import { bit, varbit } from './bits.js';
import { bool } from './bool.js';
import { bytea } from './bytea.js';
import { date, timestamp, timestampAsString, timestamptz, timestamptzAsString } from './datetime.js';
import { float4, float8 } from './float.js';
import { box, circle, line, lseg, path, point, polygon } from './geometric.js';
import { cid, int2, int4, int8, int8AsNumber, int8AsString, oid, xid, xid8 } from './int.js';
import { interval } from './interval.js';
import { json, jsonb, jsonCodecs, jsonpath } from './json.js';
import { cidr, inet, macaddr, macaddr8 } from './network.js';
import { numeric, numericWithDecoder } from './numeric.js';
import { multirangeCodec, rangeCodec } from './range.js';
import { recordCodec } from './record.js';
import type { CodecLookup } from './record.js';
import { pg_lsn, pg_snapshot, tid, txid_snapshot, voidCodec } from './system.js';
import { textArrayCodec } from './text-array.js';
import { bpchar, char, name, text, textFormatCodec, unknown, utf8Codec, varchar, xml } from './text.js';
import { time, timetz } from './time.js';
import { uuid } from './uuid.js';

export { arrayCodec, lowerBoundsOf, withLowerBounds } from './array.js';
export type { ArrayCodecOptions, PgArray } from './array.js';
export { bit, varbit } from './bits.js';
export { bool } from './bool.js';
export { bytea } from './bytea.js';
export { date, timestamp, timestampAsString, timestamptz, timestamptzAsString } from './datetime.js';
export { float4, float8 } from './float.js';
export { box, circle, line, lseg, path, point, polygon } from './geometric.js';
export type { Box, Circle, Line, LineSegment, Path, Point, Polygon } from './geometric.js';
export { hstoreCodec } from './hstore.js';
export { cid, int2, int4, int8, int8AsNumber, int8AsString, oid, xid, xid8 } from './int.js';
export { Interval, interval } from './interval.js';
export type { IntervalParts } from './interval.js';
export { json, jsonb, jsonCodecs, jsonpath } from './json.js';
export type { JsonParse, JsonStringify } from './json.js';
export { cidr, inet, macaddr, macaddr8 } from './network.js';
export { numeric, numericWithDecoder } from './numeric.js';
export { PreciseDate } from './precise-date.js';
export { multirangeCodec, Range, rangeCodec, textMultirangeCodec, textRangeCodec } from './range.js';
export type { RangeBounds } from './range.js';
export { CompositeCodec, recordCodec } from './record.js';
export type { CodecLookup, CompositeAttribute } from './record.js';
export { pg_lsn, pg_snapshot, tid, txid_snapshot, voidCodec } from './system.js';
export { textArrayCodec } from './text-array.js';
export { bpchar, char, decodeUtf8, name, text, textFormatCodec, unknown, utf8Codec, varchar, xml } from './text.js';
export { time, timetz } from './time.js';
export { uuid } from './uuid.js';

/** The scalar built-in codecs with a binary format, one per type (default mapping). */
export const SCALAR_CODECS: readonly Codec[] = Object.freeze([
  bool, bytea, char, name, int8, int2, int4, text, oid, xid, cid, xid8,
  json, jsonb, jsonpath, xml, float4, float8, unknown, bpchar, varchar, numeric, uuid,
  date, time, timetz, timestamp, timestamptz, interval,
  inet, cidr, macaddr, macaddr8, bit, varbit,
  point, line, lseg, box, path, polygon, circle,
  tid, pg_lsn, pg_snapshot, txid_snapshot, voidCodec,
  utf8Codec(Oid.refcursor, 'refcursor'),
  // Its binary output is its text; the server accepts no input of it at all.
  utf8Codec(Oid.pg_node_tree, 'pg_node_tree'),
]);

/** Built-in range types and their subtypes; multiranges (PostgreSQL 14+) follow their range. */
const RANGES: readonly (readonly [range: number, multirange: number, subtype: number])[] = [
  [Oid.int4range, Oid.int4multirange, Oid.int4],
  [Oid.int8range, Oid.int8multirange, Oid.int8],
  [Oid.numrange, Oid.nummultirange, Oid.numeric],
  [Oid.tsrange, Oid.tsmultirange, Oid.timestamp],
  [Oid.tstzrange, Oid.tstzmultirange, Oid.timestamptz],
  [Oid.daterange, Oid.datemultirange, Oid.date],
];

/** The scalar codecs with the given options applied, keyed by OID. */
function scalarsFor(options: TypeOptions): Map<number, Codec> {
  const byOid = new Map<number, Codec>(SCALAR_CODECS.map((c) => [c.oid, c]));
  if (options.int8 === 'number') byOid.set(Oid.int8, int8AsNumber);
  else if (options.int8 === 'string') byOid.set(Oid.int8, int8AsString);
  if (options.numericDecoder !== undefined) byOid.set(Oid.numeric, numericWithDecoder(options.numericDecoder));
  if (options.jsonParse !== undefined || options.jsonStringify !== undefined) {
    const j = jsonCodecs(options.jsonParse, options.jsonStringify);
    byOid.set(Oid.json, j.json);
    byOid.set(Oid.jsonb, j.jsonb);
  }
  if (options.timestamps === 'string') {
    byOid.set(Oid.timestamp, timestampAsString);
    byOid.set(Oid.timestamptz, timestamptzAsString);
  }
  // Every other built-in type reads as its text, without a catalog lookup.
  const special = new Set<number>([Oid.record, Oid.int2vector, Oid.oidvector, ...RANGES.flatMap(([r, m]) => [r, m])]);
  for (const key of Object.keys(TYPE_NAME)) {
    const id = Number(key);
    if (byOid.has(id) || isArrayType(id) || special.has(id)) continue;
    byOid.set(id, textFormatCodec(id, TYPE_NAME[id]!));
  }
  return byOid;
}

/** Whether a built-in OID is an array type (its name starts with '_'; _record has no ELEMENT_OID entry). */
function isArrayType(id: number): boolean {
  return (TYPE_NAME[id] ?? '').startsWith('_');
}

/** The array codec for `element`: binary when the element is binary, else a text-format array. */
export function arrayOf(element: Codec, arrayOid: number, name = `${element.name}[]`, delimiter = ','): Codec {
  if (element.format === 0) return textArrayCodec(element, arrayOid, name, delimiter);
  const elementsMayBeArrays = element.oid === Oid.json || element.oid === Oid.jsonb;
  return arrayCodec(element, arrayOid, name, { elementsMayBeArrays, delimiter });
}

/**
 * Every built-in codec for the given options: scalars, ranges, multiranges,
 * records (columns looked up in `lookup`) and the array of each.
 */
export function builtinCodecs(options: TypeOptions, lookup: CodecLookup): Codec[] {
  const scalars = scalarsFor(options);
  const out: Codec[] = [...scalars.values()];
  for (const [rangeOid, multiOid, subOid] of RANGES) {
    const sub = scalars.get(subOid)!;
    const name = TYPE_NAME[rangeOid]!;
    out.push(rangeCodec(sub, rangeOid, name), multirangeCodec(sub, multiOid, TYPE_NAME[multiOid]!));
  }
  out.push(recordCodec(lookup));
  // int2vector and oidvector are arrays on the wire, with lower bound 0.
  out.push(arrayCodec(int2, Oid.int2vector, 'int2vector', { lowerBound: 0 }));
  out.push(arrayCodec(oid, Oid.oidvector, 'oidvector', { lowerBound: 0 }));
  const withArrays: Codec[] = [...out];
  for (const c of out) {
    const arrayOid = ARRAY_OID[c.oid];
    if (arrayOid === undefined) continue;
    withArrays.push(arrayOf(c, arrayOid, `${c.name}[]`, c.oid === Oid.box ? ';' : ','));
  }
  return withArrays;
}

/**
 * Every built-in codec with the default mapping. Its record codec finds no
 * column types (a registry makes its own); for listing and tests.
 */
export const BUILTIN_CODECS: readonly Codec[] = Object.freeze(builtinCodecs({}, { get: () => undefined }));
