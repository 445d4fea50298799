/**
 * What the server told us about a prepared statement, and the per-column
 * decoders built from it once so every row is decoded without lookups.
 */
import { ProtocolError } from '../errors/client.js';
import type { FieldDescription, FormatCode } from '../protocol/messages.js';
import type { Codec } from '../types/codec.js';
import type { TypeRegistry } from '../types/registry.js';

const textDecoder = new TextDecoder();

/** Decodes a column value in text format when no binary codec is known. */
const textColumnCodec = {
  decode(buf: Uint8Array, start: number, end: number): string {
    return textDecoder.decode(buf.subarray(start, end));
  },
};

type ColumnDecoder = Pick<Codec, 'decode'>;

/** A server-side prepared statement and how to read its rows. */
export class StatementInfo {
  /** Set when the statement was closed on the server; users must prepare again. */
  closed = false;
  /** Result format per column, as sent in Bind. */
  readonly resultFormats: FormatCode[];
  readonly names: string[];
  private readonly decoders: ColumnDecoder[];
  /** A row with every column set to null: each decoded row starts as a copy. */
  private readonly template: Record<string, unknown>;

  /** When it was prepared (ms since the epoch), for maxCachedStatementLifetime. */
  readonly createdAt = Date.now();

  constructor(
    /** Server-side name; '' for the unnamed statement, parsed afresh with every execution. */
    readonly name: string,
    readonly sql: string,
    readonly parameterOids: number[],
    /** null when the statement returns no rows (NoData). */
    readonly fields: FieldDescription[] | null,
    registry: TypeRegistry,
  ) {
    const fs = fields ?? [];
    this.names = fs.map((f) => f.name);
    this.resultFormats = [];
    this.decoders = [];
    for (const f of fs) {
      const codec = registry.get(f.dataTypeOid);
      if (codec && codec.format === 1) {
        this.resultFormats.push(1);
        this.decoders.push(codec);
      } else {
        // No binary codec: ask for text and hand back the server's text.
        this.resultFormats.push(0);
        this.decoders.push(codec && codec.format === 0 ? codec : textColumnCodec);
      }
    }
    // Built as data (JSON), never as code from column names; JSON.parse makes
    // "__proto__" an ordinary own key.
    this.template = JSON.parse(JSON.stringify(Object.fromEntries(this.names.map((n) => [n, null])))) as Record<string, unknown>;
  }

  /** True when `fields` (from a fresh RowDescription) has the same column types as this statement. */
  sameShape(fields: FieldDescription[] | null): boolean {
    const a = this.fields ?? [];
    const b = fields ?? [];
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (a[i]!.dataTypeOid !== b[i]!.dataTypeOid || a[i]!.name !== b[i]!.name) return false;
    }
    return true;
  }

  /** Decode one DataRow body into an object keyed by column name. */
  decodeObject(buf: Uint8Array, start: number, end: number): Record<string, unknown> {
    const n = this.decoders.length;
    if (end - start < 2 || ((buf[start]! << 8) | buf[start + 1]!) !== n) {
      throw new ProtocolError(`DataRow has a column count that does not match RowDescription (${n} expected)`);
    }
    let p = start + 2;
    // Copying a template gives every row the same shape at once, far cheaper
    // than growing an empty object key by key. Because the template's keys
    // (even "__proto__") are own data properties, the stores below only
    // ever overwrite them and never reach Object.prototype.
    const row: Record<string, unknown> = { ...this.template };
    for (let i = 0; i < n; i++) {
      if (p + 4 > end) throw new ProtocolError('DataRow truncated before a column length');
      const len = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
      p += 4;
      let v: unknown = null;
      if (len >= 0) {
        if (p + len > end) throw new ProtocolError(`DataRow column ${i} declares ${len} bytes but only ${end - p} remain`);
        v = this.decoders[i]!.decode(buf, p, p + len);
        p += len;
      } else if (len !== -1) {
        throw new ProtocolError(`DataRow column ${i} has an invalid length ${len}`);
      }
      row[this.names[i]!] = v;
    }
    if (p !== end) throw new ProtocolError(`DataRow has ${end - p} trailing byte(s)`);
    return row;
  }

  /** Decode one DataRow body into an array of values in column order. */
  decodeArray(buf: Uint8Array, start: number, end: number): unknown[] {
    const n = this.decoders.length;
    if (end - start < 2 || ((buf[start]! << 8) | buf[start + 1]!) !== n) {
      throw new ProtocolError(`DataRow has a column count that does not match RowDescription (${n} expected)`);
    }
    let p = start + 2;
    const row = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      if (p + 4 > end) throw new ProtocolError('DataRow truncated before a column length');
      const len = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
      p += 4;
      if (len >= 0) {
        if (p + len > end) throw new ProtocolError(`DataRow column ${i} declares ${len} bytes but only ${end - p} remain`);
        row[i] = this.decoders[i]!.decode(buf, p, p + len);
        p += len;
      } else if (len === -1) {
        row[i] = null;
      } else {
        throw new ProtocolError(`DataRow column ${i} has an invalid length ${len}`);
      }
    }
    if (p !== end) throw new ProtocolError(`DataRow has ${end - p} trailing byte(s)`);
    return row;
  }

  /** Decode the first column of a DataRow only. */
  decodeFirst(buf: Uint8Array, start: number, end: number): unknown {
    if (this.decoders.length === 0) return null;
    let p = start + 2;
    if (p + 4 > end) throw new ProtocolError('DataRow truncated before a column length');
    const len = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
    p += 4;
    if (len === -1) return null;
    if (len < 0 || p + len > end) throw new ProtocolError(`DataRow column 0 has an invalid length ${len}`);
    return this.decoders[0]!.decode(buf, p, p + len);
  }
}
