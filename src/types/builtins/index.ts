/**
 * Every built-in codec, and the list the builtin registry is made from.
 */
import type { Codec } from '../codec.js';
import { ARRAY_OID, Oid } from '../oids.js';
import { arrayCodec } from './array.js';
import { bool } from './bool.js';
import { bytea } from './bytea.js';
import { date, timestamp, timestamptz } from './datetime.js';
import { float4, float8 } from './float.js';
import { cid, int2, int4, int8, oid, xid, xid8 } from './int.js';
import { json, jsonb } from './json.js';
import { numeric } from './numeric.js';
import { bpchar, char, name, text, unknown, varchar, xml } from './text.js';
import { uuid } from './uuid.js';

export { arrayCodec } from './array.js';
export type { ArrayCodecOptions, PgArray } from './array.js';
export { bool } from './bool.js';
export { bytea } from './bytea.js';
export { date, timestamp, timestamptz } from './datetime.js';
export { float4, float8 } from './float.js';
export { cid, int2, int4, int8, int8AsNumber, int8AsString, oid, xid, xid8 } from './int.js';
export { json, jsonb } from './json.js';
export { numeric } from './numeric.js';
export { bpchar, char, decodeUtf8, name, text, unknown, varchar, xml } from './text.js';
export { uuid } from './uuid.js';

/** The scalar built-in codecs, one per type. */
export const SCALAR_CODECS: readonly Codec[] = Object.freeze([
  bool, bytea, char, name, int8, int2, int4, text, oid, xid, cid, xid8,
  json, jsonb, xml, float4, float8, unknown, bpchar, varchar, numeric, uuid,
  date, timestamp, timestamptz,
]);

/** The array codec of each scalar codec, plus int2vector and oidvector (arrays on the wire). */
function arrayCodecs(): Codec[] {
  const out: Codec[] = [];
  for (const c of SCALAR_CODECS) {
    const arrayOid = ARRAY_OID[c.oid];
    if (arrayOid === undefined) continue;
    const elementsMayBeArrays = c.oid === Oid.json || c.oid === Oid.jsonb;
    out.push(arrayCodec(c, arrayOid, `${c.name}[]`, { elementsMayBeArrays }));
  }
  out.push(arrayCodec(int2, Oid.int2vector, 'int2vector', { lowerBound: 0 }));
  out.push(arrayCodec(oid, Oid.oidvector, 'oidvector', { lowerBound: 0 }));
  return out;
}

/** Every built-in codec: the scalars and their arrays. */
export const BUILTIN_CODECS: readonly Codec[] = Object.freeze([...SCALAR_CODECS, ...arrayCodecs()]);
