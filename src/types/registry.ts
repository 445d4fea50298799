/**
 * OID -> codec tables. Each connection gets its own child of one shared,
 * frozen table of built-in codecs: a child copies nothing until it is written
 * to, and a write never reaches the parent, so one connection's custom codec
 * (or a type found by introspection) never leaks into another.
 */
import { InterfaceError } from '../errors/client.js';
import { arrayOf, builtinCodecs } from './builtins/index.js';
import { recordCodec } from './builtins/record.js';
import type { Codec } from './codec.js';
import { Oid } from './oids.js';
import { isDefaultTypeOptions } from './options.js';
import type { TypeOptions } from './options.js';

/** A table of codecs by type OID, layered over an optional parent table. */
export class TypeRegistry {
  /** The table lookups fall back to; never written through this registry. */
  readonly parent: TypeRegistry | null;
  /** This layer's own codecs, created on the first set(). */
  private own: Map<number, Codec> | null = null;
  private frozen = false;

  /** A registry with no codecs of its own, reading through to `parent` when given. */
  constructor(parent: TypeRegistry | null = null) {
    this.parent = parent;
  }

  /** The codec for `oid`: this layer's, else the nearest parent's; undefined when none has one. */
  get(oid: number): Codec | undefined {
    const c = this.own?.get(oid);
    if (c !== undefined) return c;
    return this.parent === null ? undefined : this.parent.get(oid);
  }

  /** Whether this layer or a parent has a codec for `oid`. */
  has(oid: number): boolean {
    return this.get(oid) !== undefined;
  }

  /** Whether this layer itself (not a parent) has a codec for `oid`. */
  hasOwn(oid: number): boolean {
    return this.own?.has(oid) === true;
  }

  /**
   * Add or replace the codec for codec.oid in this layer only (a parent's
   * codec for the same OID is shadowed, not changed).
   * @throws InterfaceError on a frozen registry or a malformed codec.
   */
  set(codec: Codec): this {
    this.assertWritable();
    if (!Number.isInteger(codec.oid) || codec.oid <= 0 || codec.oid > 0xffffffff) {
      throw new InterfaceError(`a codec's oid must be a type OID (a positive 32-bit integer), got ${String(codec.oid)}`);
    }
    if (codec.format !== 0 && codec.format !== 1) {
      throw new InterfaceError(`codec ${codec.name}: format must be 0 (text) or 1 (binary), got ${String(codec.format)}`);
    }
    if (typeof codec.encode !== 'function' || typeof codec.decode !== 'function') {
      throw new InterfaceError(`codec ${codec.name}: encode and decode must be functions`);
    }
    (this.own ??= new Map()).set(codec.oid, codec);
    return this;
  }

  /** Remove this layer's codec for `oid` (a parent's, if any, shows through again). */
  delete(oid: number): boolean {
    this.assertWritable();
    return this.own?.delete(oid) === true;
  }

  /** The OIDs this layer itself has codecs for. */
  ownOids(): number[] {
    return this.own === null ? [] : [...this.own.keys()];
  }

  /** Refuse every later set(); for tables shared between connections. */
  freeze(): this {
    this.frozen = true;
    return this;
  }

  /** Whether set() is refused. */
  get isFrozen(): boolean {
    return this.frozen;
  }

  private assertWritable(): void {
    if (this.frozen) {
      throw new InterfaceError('this type registry is frozen (the shared builtin table); set codecs on a child: new TypeRegistry(registry)');
    }
  }
}

/** The one shared table of built-in codecs with the default mapping; frozen, so sharing it is safe. */
const BUILTINS: TypeRegistry = (() => {
  const r = new TypeRegistry();
  for (const c of builtinCodecs({}, r)) r.set(c);
  return r.freeze();
})();

/**
 * A fresh registry for one connection: a child over the shared builtin
 * codecs, with the mapping choices of `options` (int8 as number, a numeric
 * decoder ...) applied in the child. The record codec is the child's own, so
 * an anonymous record's columns find the types this connection looked up.
 */
export function createBuiltinRegistry(options: TypeOptions = {}): TypeRegistry {
  const child = new TypeRegistry(BUILTINS);
  if (isDefaultTypeOptions(options)) {
    const record = recordCodec(child);
    child.set(record);
    child.set(arrayOf(record, Oid._record));
  } else {
    for (const c of builtinCodecs(options, child)) child.set(c);
  }
  return child;
}
