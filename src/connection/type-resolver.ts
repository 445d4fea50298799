/**
 * Types found at run time, for one connection: when a statement's
 * description names a type OID the registry has no codec for (an enum, a
 * composite, a domain, a range, an extension type), the catalog is asked
 * about it, and about everything it depends on, with one query per batch of
 * OIDs, and the codecs made from the answer are registered.
 *
 * The catalog answers are kept in a TypeCache, which a pool can share between
 * its connections (same database, same OIDs); the codecs themselves are per
 * connection, because custom codecs are.
 *
 * The query runs with JIT compilation off: a recursive catalog query can
 * look expensive enough to the planner to be compiled, which costs far more
 * than running it. The setting is changed for the batch only and restored in
 * the same round trip, inside the caller's transaction if there is one.
 */
import { InterfaceError, ProtocolError } from '../errors/client.js';
import { encodeFrontend, writeExecute, writeParse, writeSync } from '../protocol/frontend.js';
import { BackendCode } from '../protocol/messages.js';
import type { FieldDescription } from '../protocol/messages.js';
import type { Writer } from '../protocol/writer.js';
import { arrayOf } from '../types/builtins/index.js';
import { CompositeCodec } from '../types/builtins/record.js';
import { decodeUtf8 } from '../types/builtins/text.js';
import type { Codec } from '../types/codec.js';
import { checkTypeCodecOptions, namedCodec, userCodec } from '../types/custom.js';
import type { BuiltinTypeCodecOptions, TypeCodecOptions } from '../types/custom.js';
import { buildCodecs, dependencies, displayName, introspectionQuery, parseTypeInfos } from '../types/introspect.js';
import type { TypeInfo } from '../types/introspect.js';
import type { TypeRegistry } from '../types/registry.js';
import type { ConnectionCore } from './core.js';
import { PrepareRequest, Settle } from './requests.js';
import type { PendingRequest } from './requests.js';
import { serverErrorAt, unexpectedMessage } from './server-reply.js';
import { parseServerVersion } from './server-version.js';

/** Saves jit in a placeholder setting and turns it off, both until the end of the transaction. */
const JIT_OFF = "SELECT pg_catalog.set_config('pgjet.saved_jit', pg_catalog.current_setting('jit'), true), pg_catalog.set_config('jit', 'off', true)";
/** Puts jit back as it was (the implicit transaction of the batch, or the caller's). */
const JIT_RESTORE = "SELECT pg_catalog.set_config('jit', pg_catalog.current_setting('pgjet.saved_jit'), true)";

const textEncoder = new TextEncoder();
/** A lookup waits at most this long (ms) for descriptions still arriving, in case one fails and never reports. */
const MAX_WAIT_MS = 20;

/**
 * Catalog answers by type OID. Shareable between the connections of a pool:
 * type OIDs are the same for every connection to one database.
 */
export class TypeCache {
  private readonly infos = new Map<number, TypeInfo>();

  /** The entries, read-only. */
  get view(): ReadonlyMap<number, TypeInfo> {
    return this.infos;
  }

  /** Number of types described. */
  get size(): number {
    return this.infos.size;
  }

  /** Add or replace descriptions. */
  add(infos: Iterable<TypeInfo>): void {
    for (const i of infos) this.infos.set(i.oid, i);
  }

  /** Forget these types. */
  delete(oids: Iterable<number>): void {
    for (const o of oids) this.infos.delete(o);
  }

  /** Forget every type. */
  clear(): void {
    this.infos.clear();
  }
}

/**
 * JIT off, the catalog query, JIT back, Sync: its one DataRow of interest is
 * the query's. The answer is parsed, and `apply` run, synchronously at
 * ReadyForQuery, before the read loop decodes the next request's rows: a
 * reloaded composite must have its new shape by then.
 */
class IntrospectionRequest implements PendingRequest {
  private statement = 0;
  private json: string | undefined;
  private error: Error | undefined;

  constructor(
    private readonly settle: Settle<TypeInfo[]>,
    readonly sql: string,
    private readonly apply: ((infos: TypeInfo[]) => void) | undefined,
  ) {}

  onMessage(type: number, buf: Uint8Array, start: number, end: number): void {
    switch (type) {
      case BackendCode.ParseComplete:
      case BackendCode.BindComplete:
        return;
      case BackendCode.DataRow:
        // The second statement is the catalog query: one row, one text column.
        if (this.statement === 1 && this.json === undefined) {
          if (end - start < 6) throw new ProtocolError('the type catalog query returned a malformed row');
          const len = (buf[start + 2]! << 24) | (buf[start + 3]! << 16) | (buf[start + 4]! << 8) | buf[start + 5]!;
          if (len < 0 || start + 6 + len > end) throw new ProtocolError('the type catalog query returned a malformed row');
          this.json = decodeUtf8(buf, start + 6, start + 6 + len);
        }
        return;
      case BackendCode.CommandComplete:
        this.statement++;
        return;
      case BackendCode.ErrorResponse:
        this.error ??= serverErrorAt(buf, start, end, this.sql);
        return;
      default:
        throw unexpectedMessage(type, 'a type lookup');
    }
  }

  onReadyForQuery(): void {
    if (this.error !== undefined) return this.settle.reject(this.error);
    if (this.json === undefined) return this.settle.reject(new ProtocolError('the type catalog query returned no row'));
    let infos: TypeInfo[];
    try {
      infos = parseTypeInfos(this.json);
      this.apply?.(infos);
    } catch (e) {
      return this.settle.reject(e instanceof Error ? e : new Error(String(e)));
    }
    this.settle.resolve(infos);
  }

  onConnectionLost(err: Error): void {
    this.settle.reject(err);
  }
}

/** Parse + Bind (text parameters, text results) + Execute of the unnamed statement. */
function writeStatement(w: Writer, sql: string, params: readonly (string | null)[]): void {
  writeParse(w, '', sql, []);
  encodeFrontend(
    {
      type: 'Bind',
      portal: '',
      statement: '',
      parameterFormats: [],
      parameters: params.map((p) => (p === null ? null : textEncoder.encode(p))),
      resultFormats: [],
    },
    w,
  );
  writeExecute(w, '', 0);
}

/** OIDs being looked up together, and who waits for them. */
interface Batch {
  readonly oids: Set<number>;
  /** When the batch was opened (ms). */
  readonly opened: number;
  /** Set once the lookup is sent. */
  sent: boolean;
  readonly promise: Promise<void>;
  resolve(): void;
  reject(e: Error): void;
}

/** The run-time type state of one connection. */
export class TypeResolver {
  /** OIDs whose codec was made from the catalog (not a builtin, not custom). */
  private readonly introspected = new Set<number>();
  /** OIDs with a codec from setTypeCodec / setBuiltinTypeCodec, and the array type given the same codec. */
  private readonly custom = new Map<number, { codec: Codec; arrayOid: number }>();
  private open: Batch | undefined;
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly reloading = new Set<number>();
  private readonly onOutdated = (oid: number): void => {
    if (this.reloading.has(oid)) return;
    this.reloading.add(oid);
    // Not from inside the read loop: queue the lookup once the current message is done.
    queueMicrotask(() => {
      this.reload([oid])
        .catch(() => undefined)
        .finally(() => this.reloading.delete(oid));
    });
  };

  /**
   * @param core the connection the catalog queries run on
   * @param registry the connection's registry, which receives the codecs
   * @param cache catalog answers, possibly shared with other connections
   */
  constructor(
    private readonly core: ConnectionCore,
    readonly registry: TypeRegistry,
    cache: TypeCache = new TypeCache(),
  ) {
    this.cache = cache;
  }

  /** Catalog answers this connection reads from and adds to. */
  cache: TypeCache;

  /**
   * Share catalog answers with other connections to the same database (a
   * pool calls this with one TypeCache for all its connections); what this
   * connection learnt so far is added to it.
   */
  useCache(shared: TypeCache): void {
    if (shared === this.cache) return;
    shared.add(this.cache.view.values());
    this.cache = shared;
  }

  /**
   * Make sure every OID of a statement's parameters and columns has a codec.
   * Undefined when they all have one already (the usual case: no await);
   * otherwise a promise that settles once they do.
   */
  ensureDescribed(parameterOids: readonly number[], fields: readonly FieldDescription[] | null): Promise<void> | undefined {
    // A lookup may be waiting for this description to arrive.
    const open = this.open;
    if (open !== undefined) setImmediate(() => this.flush(open));
    let missing: number[] | undefined;
    for (const oid of parameterOids) if (oid !== 0 && !this.registry.has(oid)) (missing ??= []).push(oid);
    if (fields !== null) for (const f of fields) if (f.dataTypeOid !== 0 && !this.registry.has(f.dataTypeOid)) (missing ??= []).push(f.dataTypeOid);
    return missing === undefined ? undefined : this.ensure(missing);
  }

  /** Make sure every OID in `oids` has a codec; resolves once they do. */
  ensure(oids: Iterable<number>): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const oid of oids) {
      if (oid === 0 || this.registry.has(oid)) continue;
      const pending = this.inFlight.get(oid);
      if (pending !== undefined) {
        waits.push(pending);
        continue;
      }
      if (this.open === undefined) {
        let resolve!: () => void;
        let reject!: (e: Error) => void;
        const promise = new Promise<void>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        const batch: Batch = { oids: new Set(), opened: Date.now(), sent: false, promise, resolve, reject };
        this.open = batch;
        setImmediate(() => this.flush(batch));
      }
      this.open.oids.add(oid);
      this.inFlight.set(oid, this.open.promise);
      if (!waits.includes(this.open.promise)) waits.push(this.open.promise);
    }
    if (waits.length === 0) return Promise.resolve();
    return waits.length === 1 ? waits[0]! : Promise.all(waits).then(() => undefined);
  }

  /**
   * Send a batch's lookup, unless the server is still answering another
   * statement's description (pipelined prepares): that takes microseconds and
   * may name more new types, so the lookup waits for it. Every description
   * that arrives checks again; a timer covers one that fails instead.
   */
  private flush(batch: Batch): void {
    if (batch.sent) return;
    if (this.core.current instanceof PrepareRequest && Date.now() - batch.opened < MAX_WAIT_MS) {
      setTimeout(() => this.flush(batch), 2);
      return;
    }
    batch.sent = true;
    if (this.open === batch) this.open = undefined;
    const oids = [...batch.oids];
    this.load(oids).then(
      () => {
        for (const o of oids) this.inFlight.delete(o);
        batch.resolve();
      },
      (e: unknown) => {
        for (const o of oids) this.inFlight.delete(o);
        batch.reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  }

  /** Codecs for `oids`: from the shared cache when it describes them all, else after one catalog query. */
  private async load(oids: readonly number[]): Promise<void> {
    const { missing } = dependencies(this.cache.view, oids, (o) => this.registry.has(o));
    if (missing.size > 0) this.cache.add(await this.query([...missing]));
    this.install(oids, new Set());
  }

  /** Register codecs for `oids` (and what they need) from the cache; those in `rebuild` are made again (composites in place). */
  private install(oids: Iterable<number>, rebuild: ReadonlySet<number>): void {
    const made = buildCodecs(this.cache.view, oids, {
      existing: (o) => this.custom.get(o)?.codec ?? this.registry.get(o),
      rebuild: (o) => rebuild.has(o) && !this.custom.has(o),
    });
    for (const [oid, codec] of made) {
      if (this.custom.has(oid)) continue;
      if (codec instanceof CompositeCodec) codec.onOutdated = this.onOutdated;
      this.registry.set(codec);
      this.introspected.add(oid);
    }
  }

  /**
   * Run the catalog query for `oids` (or a name lookup) and parse its answer;
   * `apply` runs with the answer before any later request's rows are read.
   */
  private query(params: readonly (string | null)[] | readonly number[], byName = false, apply?: (infos: TypeInfo[]) => void): Promise<TypeInfo[]> {
    const multiranges = parseServerVersion(this.core.parameters.get('server_version') ?? '').major >= 14;
    const sql = introspectionQuery({ multiranges, byName });
    const values = byName ? (params as (string | null)[]) : [`{${(params as number[]).join(',')}}`];
    return new Promise<TypeInfo[]>((resolve, reject) => {
      const req = new IntrospectionRequest(new Settle(resolve, reject), sql, apply);
      this.core.enqueue(req, (w) => {
        writeStatement(w, JIT_OFF, []);
        writeStatement(w, sql, values);
        writeStatement(w, JIT_RESTORE, []);
        writeSync(w);
      });
    });
  }

  /**
   * Look every run-time type up again and update its codec (a composite's
   * shape changes in place, so statements that hold it read the new shape);
   * codecs of types that no longer exist are dropped. One query.
   */
  async reloadSchemaState(): Promise<void> {
    this.cache.clear();
    await this.reload([...this.introspected]);
  }

  private async reload(oids: readonly number[]): Promise<void> {
    if (oids.length === 0) return;
    this.cache.delete(oids);
    await this.query(oids, false, (infos) => {
      this.cache.add(infos);
      const found = new Set(infos.map((i) => i.oid));
      for (const oid of oids) {
        if (found.has(oid) || this.custom.has(oid) || !this.introspected.has(oid)) continue;
        this.registry.delete(oid);
        this.introspected.delete(oid);
      }
      const present = oids.filter((o) => found.has(o));
      // Only composites change shape; everything else keeps its codec object.
      this.install(present, new Set(present.filter((o) => this.cache.view.get(o)?.kind === 'c')));
    });
  }

  /** The catalog entry of a type by name, after one query. @throws InterfaceError when there is no such type. */
  private async lookupName(typeName: string, schema: string | undefined, method: string): Promise<TypeInfo> {
    const infos = await this.query([typeName, schema ?? null], true);
    this.cache.add(infos);
    const info = infos.find((i) => i.seed);
    if (info === undefined) {
      throw new InterfaceError(
        `${method}(): there is no type "${typeName}"${schema === undefined ? ' in the search_path' : ` in schema "${schema}"`}; ` +
          'check the name, or pass { schema } (an extension type exists only where the extension is installed)',
      );
    }
    return info;
  }

  /** Whether setTypeCodec() or setBuiltinTypeCodec() put a codec of the user's choosing on any type. */
  get hasCustomCodecs(): boolean {
    return this.custom.size > 0;
  }

  /** setTypeCodec(): the user's encoder and decoder for the type (and its arrays). */
  async setTypeCodec(typeName: string, options: TypeCodecOptions): Promise<void> {
    checkTypeCodecOptions(typeName, options);
    const info = await this.lookupName(typeName, options.schema, 'setTypeCodec');
    this.applyCustom(info, userCodec(info.oid, displayName(info), options));
  }

  /** setBuiltinTypeCodec(): one of pgjet's codecs (hstore, text, int4 ...) for the type. */
  async setBuiltinTypeCodec(typeName: string, options: BuiltinTypeCodecOptions): Promise<void> {
    if (typeof typeName !== 'string' || typeName === '') throw new InterfaceError('setBuiltinTypeCodec(): the type name must be a non-empty string');
    if (typeof options !== 'object' || options === null || typeof options.codecName !== 'string') {
      throw new InterfaceError("setBuiltinTypeCodec(): pass options { codecName, schema? }, such as { codecName: 'hstore' }");
    }
    const info = await this.lookupName(typeName, options.schema, 'setBuiltinTypeCodec');
    this.applyCustom(info, namedCodec(options.codecName, info.oid, displayName(info)));
  }

  /** resetTypeCodec(): back to the codec pgjet would use by itself. */
  async resetTypeCodec(typeName: string, options: { schema?: string } = {}): Promise<void> {
    if (typeof typeName !== 'string' || typeName === '') throw new InterfaceError('resetTypeCodec(): the type name must be a non-empty string');
    const info = await this.lookupName(typeName, options.schema, 'resetTypeCodec');
    const entry = this.custom.get(info.oid);
    if (entry === undefined) return;
    this.custom.delete(info.oid);
    this.registry.delete(info.oid);
    if (entry.arrayOid !== 0) this.registry.delete(entry.arrayOid);
    // A builtin type shows through from the shared table; a run-time type is made again.
    const again = [info.oid, entry.arrayOid].filter((o) => o !== 0 && !this.registry.has(o));
    if (again.length > 0) await this.load(again);
    this.rebuildDependents();
  }

  private applyCustom(info: TypeInfo, codec: Codec): void {
    this.registry.set(codec);
    this.introspected.delete(info.oid);
    let arrayOid = 0;
    if (info.array !== 0) {
      arrayOid = info.array;
      this.registry.set(arrayOf(codec, arrayOid, `${codec.name}[]`, info.delimiter));
      this.introspected.delete(arrayOid);
    }
    this.custom.set(info.oid, { codec, arrayOid });
    this.rebuildDependents();
  }

  /** Codecs made from the catalog may hold a codec that just changed: make them again. */
  private rebuildDependents(): void {
    const all = new Set(this.introspected);
    this.install(all, all);
  }
}
