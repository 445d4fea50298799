/**
 * Types found at run time: the catalog query that describes them, and the
 * codecs made from its answer. Pure: the connection runs the query
 * (connection/type-resolver.ts) and registers the codecs.
 *
 * One query answers for a whole batch of OIDs and everything they depend on
 * (an array's element, a domain's base, a composite's attributes, a range's
 * subtype, a multirange's range), so a nested composite of enums and ranges
 * is known after a single round trip.
 */
import { ProtocolError } from '../errors/client.js';
import { arrayOf } from './builtins/index.js';
import { hstoreCodec } from './builtins/hstore.js';
import { multirangeCodec, rangeCodec, textMultirangeCodec, textRangeCodec } from './builtins/range.js';
import { CompositeCodec } from './builtins/record.js';
import { textFormatCodec, utf8Codec } from './builtins/text.js';
import type { Codec } from './codec.js';

/** What the catalog says about one type. */
export interface TypeInfo {
  /** pg_type.oid */
  readonly oid: number;
  /** pg_type.typname */
  readonly name: string;
  /** The type's schema. */
  readonly schema: string;
  /** pg_type.typtype: b base, c composite, d domain, e enum, p pseudo, r range, m multirange. */
  readonly kind: string;
  /** pg_type.typcategory. */
  readonly category: string;
  /** pg_type.typelem: an array's element type, else 0 (or the element of a fixed-size type such as point). */
  readonly element: number;
  /** pg_type.typarray: the type's array type, or 0. */
  readonly array: number;
  /** pg_type.typbasetype: a domain's base type, else 0. */
  readonly base: number;
  /** pg_type.typdelim: the element delimiter in array literals. */
  readonly delimiter: string;
  /** The name of the type's binary output function (typsend): 'array_send', 'hstore_send' ... */
  readonly send: string;
  /** A composite's attributes in order (dropped ones left out); null for other types. */
  readonly attributes: readonly { readonly name: string; readonly oid: number }[] | null;
  /** A range's subtype, else 0. */
  readonly subtype: number;
  /** A multirange's range type, else 0. */
  readonly range: number;
  /** Whether the type is one the query asked for, rather than a dependency. */
  readonly seed: boolean;
}

/** What the query builder needs to know about the server. */
export interface IntrospectionQueryOptions {
  /** The server has multiranges (PostgreSQL 14 and later). */
  readonly multiranges: boolean;
  /**
   * Look the type up by name rather than by OID: then $1 is the name and $2
   * the schema (NULL to resolve the name through search_path, as
   * to_regtype() does, which also accepts 'schema.name' and aliases such as
   * 'integer').
   */
  readonly byName?: boolean;
}

/**
 * The catalog query. By OID, $1 is an oid[] of the types wanted; by name,
 * see IntrospectionQueryOptions.byName. The single row's single column is a
 * JSON array of TypeInfo objects, for the types asked for and everything they
 * depend on.
 */
export function introspectionQuery(options: IntrospectionQueryOptions): string {
  const seed = options.byName
    ? `SELECT t.oid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
       WHERE CASE WHEN $2::text IS NULL THEN t.oid = pg_catalog.to_regtype($1::text)
                  ELSE t.typname = $1::text AND n.nspname = $2::text END`
    : 'SELECT pg_catalog.unnest($1::pg_catalog.oid[])';
  const multirangeDep = options.multiranges
    ? 'UNION ALL SELECT r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngmultitypid = t.oid'
    : '';
  const multirangeCol = options.multiranges
    ? '(SELECT r.rngtypid::int8 FROM pg_catalog.pg_range r WHERE r.rngmultitypid = t.oid)'
    : 'NULL::int8';
  return `WITH RECURSIVE seed(oid) AS (
  ${seed}
), wanted(oid) AS (
  SELECT oid FROM seed
  UNION
  SELECT d.dep FROM wanted w
  JOIN pg_catalog.pg_type t ON t.oid = w.oid
  CROSS JOIN LATERAL (
    SELECT t.typelem WHERE t.typelem <> 0
    UNION ALL SELECT t.typbasetype WHERE t.typbasetype <> 0
    UNION ALL SELECT a.atttypid FROM pg_catalog.pg_attribute a
      WHERE t.typrelid <> 0 AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid
    ${multirangeDep}
  ) AS d(dep)
)
SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object(
  'oid', t.oid::int8,
  'name', t.typname,
  'schema', n.nspname,
  'kind', t.typtype,
  'category', t.typcategory,
  'element', t.typelem::int8,
  'array', t.typarray::int8,
  'base', t.typbasetype::int8,
  'delimiter', t.typdelim,
  'send', (SELECT p.proname FROM pg_catalog.pg_proc p WHERE p.oid = t.typsend),
  'attributes', (SELECT pg_catalog.json_agg(pg_catalog.json_build_array(a.attname, a.atttypid::int8) ORDER BY a.attnum)
                 FROM pg_catalog.pg_attribute a
                 WHERE t.typrelid <> 0 AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
  'subtype', (SELECT r.rngsubtype::int8 FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid),
  'range', ${multirangeCol},
  'seed', t.oid IN (SELECT oid FROM seed)
)), '[]')
FROM (SELECT DISTINCT oid FROM wanted) w
JOIN pg_catalog.pg_type t ON t.oid = w.oid
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace`;
}

function field<T>(o: Record<string, unknown>, key: string, check: (v: unknown) => v is T, fallback?: T): T {
  const v = o[key];
  if (check(v)) return v;
  if (fallback !== undefined && (v === null || v === undefined)) return fallback;
  throw new ProtocolError(`the type catalog query returned an unexpected ${key}: ${JSON.stringify(v)}`);
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isString = (v: unknown): v is string => typeof v === 'string';

/**
 * The TypeInfo objects in the introspection query's JSON answer.
 * @throws ProtocolError when the answer does not have the expected shape.
 */
export function parseTypeInfos(jsonText: string): TypeInfo[] {
  let rows: unknown;
  try {
    rows = JSON.parse(jsonText);
  } catch (err) {
    throw new ProtocolError(`the type catalog query returned text that is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(rows)) throw new ProtocolError('the type catalog query did not return a JSON array');
  return rows.map((r: unknown): TypeInfo => {
    if (typeof r !== 'object' || r === null) throw new ProtocolError('the type catalog query returned a row that is not an object');
    const o = r as Record<string, unknown>;
    const attrs = o['attributes'];
    let attributes: { name: string; oid: number }[] | null = null;
    if (Array.isArray(attrs)) {
      attributes = attrs.map((a: unknown) => {
        if (!Array.isArray(a) || !isString(a[0]) || !isNumber(a[1])) throw new ProtocolError('the type catalog query returned a malformed attribute');
        return { name: a[0], oid: a[1] };
      });
    } else if (attrs !== null && attrs !== undefined) {
      throw new ProtocolError('the type catalog query returned malformed attributes');
    }
    return {
      oid: field(o, 'oid', isNumber),
      name: field(o, 'name', isString),
      schema: field(o, 'schema', isString),
      kind: field(o, 'kind', isString),
      category: field(o, 'category', isString),
      element: field(o, 'element', isNumber, 0),
      array: field(o, 'array', isNumber, 0),
      base: field(o, 'base', isNumber, 0),
      delimiter: field(o, 'delimiter', isString, ','),
      send: field(o, 'send', isString, ''),
      attributes,
      subtype: field(o, 'subtype', isNumber, 0),
      range: field(o, 'range', isNumber, 0),
      seed: o['seed'] === true,
    };
  });
}

/** The name shown for a type in codecs and messages: qualified unless it lives in pg_catalog. */
export function displayName(info: Pick<TypeInfo, 'name' | 'schema'>): string {
  return info.schema === 'pg_catalog' ? info.name : `${info.schema}.${info.name}`;
}

/** `codec` under another type's OID and name: a domain over it, or an extension type with the same wire format. */
export function aliasCodec(codec: Codec, oid: number, name: string): Codec {
  const alias: Codec = {
    oid,
    name,
    format: codec.format,
    aliasOf: codec.aliasOf ?? codec.oid,
    ...(codec.userDefined === true ? { userDefined: true } : {}),
    encode: (value, w) => codec.encode(value, w),
    decode: (buf, start, end) => codec.decode(buf, start, end),
  };
  if (codec.encodeText !== undefined) alias.encodeText = (value) => codec.encodeText!(value);
  return alias;
}

/**
 * Binary output functions of extension base types whose format pgjet reads,
 * by name; the codec is made under the type's own OID.
 */
const BY_SEND_FUNCTION: Readonly<Record<string, (oid: number, name: string) => Codec>> = Object.freeze({
  hstore_send: (oid, name) => hstoreCodec(oid, name),
  citextsend: (oid, name) => utf8Codec(oid, name),
  textsend: (oid, name) => utf8Codec(oid, name),
  varcharsend: (oid, name) => utf8Codec(oid, name),
  bpcharsend: (oid, name) => utf8Codec(oid, name),
});

/** How codecs for run-time types are made. */
export interface CodecSource {
  /** The codec already registered for `oid`, if any (custom codecs included). */
  existing(oid: number): Codec | undefined;
  /** Whether an existing codec must be replaced even so (a reload). */
  rebuild?(oid: number): boolean;
}

/**
 * Make codecs for `wanted` from the catalog's answer, and for whatever they
 * need that has no codec yet. Returns the new codecs by OID, to be
 * registered; types already covered by `source` are reused, not rebuilt,
 * unless `source.rebuild` says so (then an existing composite codec is
 * updated in place and returned).
 * A type the catalog did not describe (dropped meanwhile) gets a text codec.
 */
export function buildCodecs(infos: ReadonlyMap<number, TypeInfo>, wanted: Iterable<number>, source: CodecSource): Map<number, Codec> {
  const made = new Map<number, Codec>();
  const building = new Set<number>();

  const build = (oid: number): Codec => {
    const done = made.get(oid);
    if (done !== undefined) return done;
    const existing = source.existing(oid);
    if (existing !== undefined && source.rebuild?.(oid) !== true) return existing;
    const info = infos.get(oid);
    if (info === undefined || building.has(oid)) {
      const c = existing ?? textFormatCodec(oid, `oid:${oid}`);
      made.set(oid, c);
      return c;
    }
    building.add(oid);
    const c = make(info);
    building.delete(oid);
    made.set(oid, c);
    return c;
  };

  const make = (info: TypeInfo): Codec => {
    const name = displayName(info);
    if (info.send === 'array_send' && info.element !== 0) {
      const element = build(info.element);
      const delimiter = infos.get(info.element)?.delimiter ?? info.delimiter;
      return arrayOf(element, info.oid, `${element.name}[]`, delimiter);
    }
    switch (info.kind) {
      case 'd':
        return aliasCodec(build(info.base), info.oid, name);
      case 'e':
        // An enum's binary form is its label's UTF-8 text.
        return utf8Codec(info.oid, name);
      case 'c': {
        const attributes = (info.attributes ?? []).map((a) => ({ name: a.name, oid: a.oid, codec: build(a.oid) }));
        // Rebuilding: statements and arrays hold the old object, so give it the new shape.
        const old = source.existing(info.oid);
        const format = attributes.every((a) => a.codec.format === 1) ? 1 : 0;
        if (old instanceof CompositeCodec && old.format === format) {
          old.setAttributes(attributes);
          return old;
        }
        return new CompositeCodec(info.oid, name, attributes);
      }
      case 'r': {
        const sub = build(info.subtype);
        return sub.format === 1 ? rangeCodec(sub, info.oid, name) : textRangeCodec(sub, info.oid, name);
      }
      case 'm': {
        const rangeInfo = infos.get(info.range);
        if (rangeInfo !== undefined) build(rangeInfo.oid);
        const sub = rangeInfo === undefined ? undefined : build(rangeInfo.subtype);
        if (sub === undefined) return textFormatCodec(info.oid, name);
        return sub.format === 1 ? multirangeCodec(sub, info.oid, name) : textMultirangeCodec(sub, info.oid, name);
      }
      default: {
        const byFunction = BY_SEND_FUNCTION[info.send];
        return byFunction !== undefined ? byFunction(info.oid, name) : textFormatCodec(info.oid, name);
      }
    }
  };

  for (const oid of wanted) build(oid);
  return made;
}

/**
 * Every OID `oids` depend on, closed over `infos` and stopping at types
 * `known` says already have a codec; the OIDs without an entry in `infos`
 * are returned in `missing`.
 */
export function dependencies(
  infos: ReadonlyMap<number, TypeInfo>,
  oids: Iterable<number>,
  known: (oid: number) => boolean = () => false,
): { all: Set<number>; missing: Set<number> } {
  const all = new Set<number>();
  const missing = new Set<number>();
  const stack = [...oids];
  // The types asked for are followed even when known (a reload); their dependencies only when not.
  const wanted = new Set(stack);
  while (stack.length > 0) {
    const oid = stack.pop()!;
    if (all.has(oid) || (!wanted.has(oid) && known(oid))) continue;
    all.add(oid);
    const info = infos.get(oid);
    if (info === undefined) {
      missing.add(oid);
      continue;
    }
    if (info.element !== 0 && info.send === 'array_send') stack.push(info.element);
    if (info.base !== 0) stack.push(info.base);
    if (info.subtype !== 0) stack.push(info.subtype);
    if (info.range !== 0) stack.push(info.range);
    for (const a of info.attributes ?? []) stack.push(a.oid);
  }
  return { all, missing };
}
