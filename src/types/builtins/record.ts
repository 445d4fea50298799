/**
 * Composite types (a CREATE TYPE ... AS (...) type or a table's row type)
 * and anonymous records (ROW(...), functions returning record).
 *
 * Binary format (record_send): Int32 column count, then per column Int32 type
 * OID, Int32 length (-1 for NULL) and the column type's binary value. Text
 * format (record_out): '(1,"a b",,"")': an empty unquoted field is NULL.
 */
import { Buffer } from 'node:buffer';
import { InterfaceError, ProtocolError } from '../../errors/client.js';
import type { FormatCode } from '../../protocol/messages.js';
import type { Writer } from '../../protocol/writer.js';
import type { Codec } from '../codec.js';
import { describeValue, encodeError, sizeError } from '../codec.js';
import { OutdatedSchemaCacheError } from '../errors.js';
import { Oid } from '../oids.js';
import { quoteField, valueText } from './literal.js';
import { decodeUtf8 } from './text.js';

/** One attribute of a composite type, with the codec its values go through. */
export interface CompositeAttribute {
  /** The attribute's name (pg_attribute.attname). */
  readonly name: string;
  /** The attribute's type OID (a domain's own OID for a domain attribute). */
  readonly oid: number;
  /** The attribute type's codec. */
  readonly codec: Codec;
}

function readInt32(buf: Uint8Array, i: number): number {
  return (buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!;
}

/** Set obj[key] = v, as a plain own property even for '__proto__'. */
function setKey(obj: Record<string, unknown>, key: string, v: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[key] = v;
}

/**
 * Split a record literal '(a,"b c",,)' into its fields' texts (null for
 * NULL). Quoted fields use "" or \ to escape a quote.
 */
function splitRecord(name: string, s: string): (string | null)[] {
  if (s[0] !== '(' || s[s.length - 1] !== ')') throw new ProtocolError(`${name} value from the server is not a record literal`);
  const out: (string | null)[] = [];
  let i = 1;
  const end = s.length - 1;
  while (true) {
    let field = '';
    let quoted = false;
    let any = false;
    while (i < end) {
      const c = s[i]!;
      if (!quoted && c === ',') break;
      any = true;
      if (c === '\\') {
        field += s[i + 1] ?? '';
        i += 2;
      } else if (c === '"') {
        if (quoted && s[i + 1] === '"') {
          field += '"';
          i += 2;
        } else {
          quoted = !quoted;
          i++;
        }
      } else {
        field += c;
        i++;
      }
    }
    out.push(any ? field : null);
    if (i >= end) return out;
    i++;
  }
}

/**
 * The codec of one composite type: an object keyed by attribute name (in
 * attribute order, so every row has the same shape). A parameter is an
 * object with the attributes as keys (a missing one is NULL, an unknown one
 * is an error) or an array of the attribute values in order.
 *
 * Binary when every attribute type has a binary codec; otherwise the type
 * goes in text format and the attributes without a text codec of their own
 * read as the server's text.
 */
export class CompositeCodec implements Codec<Record<string, unknown>> {
  readonly oid: number;
  readonly name: string;
  readonly format: FormatCode;
  /** Called when a value's shape shows the type changed since it was looked up. */
  onOutdated: ((oid: number) => void) | undefined;
  private attrs: readonly CompositeAttribute[] = [];
  private known: ReadonlySet<string> = new Set();

  /** @param attributes the attributes in order (dropped ones left out) */
  constructor(oid: number, name: string, attributes: readonly CompositeAttribute[]) {
    this.oid = oid;
    this.name = name;
    this.format = attributes.every((a) => a.codec.format === 1) ? 1 : 0;
    this.setAttributes(attributes);
  }

  /** The attributes, in order. */
  get attributes(): readonly CompositeAttribute[] {
    return this.attrs;
  }

  /**
   * Replace the attributes after the type was looked up again, so statements
   * that hold this codec read the new shape.
   * @throws InterfaceError when the new attributes need the other format.
   */
  setAttributes(attributes: readonly CompositeAttribute[]): void {
    const format = attributes.every((a) => a.codec.format === 1) ? 1 : 0;
    if (format !== this.format) throw new InterfaceError(`composite type ${this.name} changed format; it needs a new codec`);
    this.attrs = Object.freeze([...attributes]);
    this.known = new Set(attributes.map((a) => a.name));
  }

  private outdated(detail: string): OutdatedSchemaCacheError {
    this.onOutdated?.(this.oid);
    return new OutdatedSchemaCacheError(
      `a value of composite type ${this.name} does not match its definition as looked up (${detail}): ` +
        'the type was changed (ALTER TYPE / ALTER TABLE); its definition is being reloaded, so run the query again',
      this.oid,
    );
  }

  /** The value for each attribute, in order, from an object or an array. */
  private values(value: unknown): unknown[] {
    const attrs = this.attrs;
    if (Array.isArray(value)) {
      if (value.length !== attrs.length) {
        throw new InterfaceError(`${this.name} has ${attrs.length} attributes (${attrs.map((a) => a.name).join(', ')}); the array has ${value.length} values`);
      }
      return value;
    }
    if (typeof value !== 'object' || value === null || value instanceof Date || ArrayBuffer.isView(value)) {
      throw encodeError(this.name, `an object keyed by attribute name (${attrs.map((a) => a.name).join(', ')}) or an array of the values in order`, value);
    }
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (!this.known.has(key)) {
        throw new InterfaceError(`${this.name} has no attribute "${key}"; its attributes are ${attrs.map((a) => a.name).join(', ')}`);
      }
    }
    return attrs.map((a) => (Object.prototype.hasOwnProperty.call(obj, a.name) ? obj[a.name] : undefined));
  }

  /** Write the value in this codec's format. */
  encode(value: unknown, w: Writer): void {
    const values = this.values(value);
    if (this.format === 0) {
      w.string(this.encodeText(value));
      return;
    }
    const attrs = this.attrs;
    w.int32(attrs.length);
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs[i]!;
      w.uint32(a.oid);
      const v = values[i];
      if (v === null || v === undefined) {
        w.int32(-1);
        continue;
      }
      const at = w.reserveLength();
      try {
        a.codec.encode(v, w);
      } catch (err) {
        if (!(err instanceof Error)) throw err;
        throw new InterfaceError(`${this.name} attribute "${a.name}": ${err.message}`, { cause: err });
      }
      w.patchLength(at, false);
    }
  }

  /** The record literal of a value: '("a",,"1")'. */
  encodeText(value: unknown): string {
    const values = this.values(value);
    let out = '(';
    for (let i = 0; i < this.attrs.length; i++) {
      if (i > 0) out += ',';
      const v = values[i];
      if (v === null || v === undefined) continue;
      const a = this.attrs[i]!;
      try {
        out += quoteField(valueText(a.codec, v));
      } catch (err) {
        if (!(err instanceof Error)) throw err;
        throw new InterfaceError(`${this.name} attribute "${a.name}": ${err.message}`, { cause: err });
      }
    }
    return out + ')';
  }

  /** Decode a value in this codec's format. */
  decode(buf: Uint8Array, start: number, end: number): Record<string, unknown> {
    const attrs = this.attrs;
    const row: Record<string, unknown> = {};
    if (this.format === 0) {
      const fields = splitRecord(this.name, decodeUtf8(buf, start, end));
      if (fields.length !== attrs.length) throw this.outdated(`${fields.length} attributes, ${attrs.length} expected`);
      for (let i = 0; i < attrs.length; i++) {
        const a = attrs[i]!;
        const f = fields[i]!;
        let v: unknown = f;
        if (f !== null && a.codec.format === 0) {
          const bytes = Buffer.from(f);
          v = a.codec.decode(bytes, 0, bytes.length);
        }
        setKey(row, a.name, v);
      }
      return row;
    }
    if (end - start < 4) throw sizeError(this.name, 'at least 4', end - start);
    const n = readInt32(buf, start);
    if (n !== attrs.length) throw this.outdated(`${n} attributes, ${attrs.length} expected`);
    let p = start + 4;
    for (let i = 0; i < n; i++) {
      const a = attrs[i]!;
      if (end - p < 8) throw new ProtocolError(`${this.name} value from the server ends inside attribute ${i + 1}'s header`);
      const oid = readInt32(buf, p) >>> 0;
      const len = readInt32(buf, p + 4);
      p += 8;
      if (oid !== a.oid) throw this.outdated(`attribute "${a.name}" has type OID ${oid}, ${a.oid} expected`);
      let v: unknown = null;
      if (len >= 0) {
        if (len > end - p) throw new ProtocolError(`${this.name} value from the server has an attribute of ${len} bytes with ${end - p} left`);
        v = a.codec.decode(buf, p, p + len);
        p += len;
      } else if (len !== -1) {
        throw new ProtocolError(`${this.name} value from the server has an attribute of length ${len}`);
      }
      if (a.name === '__proto__') setKey(row, a.name, v);
      else row[a.name] = v;
    }
    if (p !== end) throw new ProtocolError(`${this.name} value from the server has ${end - p} bytes after its last attribute`);
    return row;
  }
}

/** Looks up a codec by OID, for the columns of an anonymous record. */
export interface CodecLookup {
  get(oid: number): Codec | undefined;
}

/**
 * The codec of anonymous records (type record, OID 2249): an array of the
 * column values in order, each decoded with the codec for the type OID the
 * value carries. A column whose type has no binary codec reads as a Buffer of
 * its binary bytes. A record cannot be a parameter: the server has no input
 * for anonymous records (use a composite type, or ROW($1, $2)).
 */
export function recordCodec(lookup: CodecLookup, oid: number = Oid.record, name = 'record'): Codec<unknown[]> {
  return {
    oid,
    name,
    format: 1,
    encode(value: unknown): void {
      throw new InterfaceError(
        `${name} cannot be a parameter: PostgreSQL has no input for anonymous records (got ${describeValue(value)}); ` +
          'pass the fields as separate parameters (ROW($1, $2)) or cast to a composite type',
      );
    },
    decode(buf: Uint8Array, start: number, end: number): unknown[] {
      if (end - start < 4) throw sizeError(name, 'at least 4', end - start);
      const n = readInt32(buf, start);
      if (n < 0 || n * 8 > end - start - 4) throw new ProtocolError(`${name} value from the server claims ${n} columns in ${end - start - 4} bytes`);
      const out = new Array<unknown>(n);
      let p = start + 4;
      for (let i = 0; i < n; i++) {
        if (end - p < 8) throw new ProtocolError(`${name} value from the server ends inside column ${i + 1}'s header`);
        const colOid = readInt32(buf, p) >>> 0;
        const len = readInt32(buf, p + 4);
        p += 8;
        if (len === -1) {
          out[i] = null;
          continue;
        }
        if (len < 0 || len > end - p) throw new ProtocolError(`${name} value from the server has a column of length ${len} with ${end - p} bytes left`);
        const codec = lookup.get(colOid);
        out[i] = codec !== undefined && codec.format === 1 ? codec.decode(buf, p, p + len) : Buffer.copyBytesFrom(buf, p, len);
        p += len;
      }
      if (p !== end) throw new ProtocolError(`${name} value from the server has ${end - p} bytes after its last column`);
      return out;
    },
  };
}
