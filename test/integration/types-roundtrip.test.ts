/**
 * Property round trips against the server: a value sent as a parameter of
 * each type comes back from the server as the same value.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { connect, Interval, PreciseDate, Range, withLowerBounds, lowerBoundsOf } from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import { testDsn } from './harness.js';

const RUNS = { numRuns: 60 };

/** Strings PostgreSQL text can hold: no NUL. */
const pgString = (max = 40) => fc.string({ unit: 'binary', maxLength: max }).filter((s) => !s.includes('\0'));

describe('values round-trip through the server (property tests)', () => {
  let conn: Connection;
  before(async () => {
    conn = await connect(testDsn());
  });
  after(async () => {
    await conn.close();
  });

  /** Send `value` as a `type` parameter and read it back. */
  const back = (type: string, value: unknown) => conn.fetchVal(`SELECT $1::${type}`, value);

  const roundTrips = async (type: string, arb: fc.Arbitrary<unknown>, expected: (v: unknown) => unknown = (v) => v) => {
    await fc.assert(
      fc.asyncProperty(arb, async (v) => {
        assert.deepStrictEqual(await back(type, v), expected(v));
      }),
      RUNS,
    );
  };

  test('bool and integers', async () => {
    await roundTrips('bool', fc.boolean());
    await roundTrips('int2', fc.integer({ min: -32768, max: 32767 }));
    await roundTrips('int4', fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
    await roundTrips('int8', fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
    await roundTrips('oid', fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    await roundTrips('xid8', fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
  });

  test('floats, NaN, infinities and -0 exactly', async () => {
    await roundTrips('float8', fc.double());
    await roundTrips('float4', fc.float());
    assert.ok(Object.is(await back('float8', -0), -0));
  });

  test('numeric as exact decimal text, any scale', async () => {
    const decimal = fc
      .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 40n }), fc.nat({ max: 30 }))
      .map(([neg, digits, scale]) => {
        const s = digits.toString().padStart(scale + 1, '0');
        const text = scale === 0 ? s : `${s.slice(0, -scale)}.${s.slice(-scale)}`;
        return neg && digits !== 0n ? `-${text}` : text;
      });
    await roundTrips('numeric', fc.oneof(decimal, fc.constantFrom('NaN', 'Infinity', '-Infinity')));
  });

  test('text, bytea, uuid', async () => {
    await roundTrips('text', pgString(200));
    await roundTrips('varchar', pgString());
    await roundTrips('bytea', fc.uint8Array({ maxLength: 300 }), (v) => Buffer.from(v as Uint8Array));
    await roundTrips('uuid', fc.uuid());
  });

  test('json and jsonb as parsed values', async () => {
    const normal = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
    await roundTrips('json', fc.jsonValue(), normal);
    // jsonb cannot store the NUL character even escaped.
    await roundTrips('jsonb', fc.jsonValue().filter((v) => !JSON.stringify(v).includes('\\u0000')), normal);
  });

  test('date strings, BC and infinities included', async () => {
    const days = fc.integer({ min: -2451545 + 10957, max: 2000000 });
    const asDate = days.map((d) => {
      const t = new Date(0);
      t.setUTCDate(t.getUTCDate() + d);
      const y = t.getUTCFullYear();
      const ymd = `${String(y > 0 ? y : 1 - y).padStart(4, '0')}-${String(t.getUTCMonth() + 1).padStart(2, '0')}-${String(t.getUTCDate()).padStart(2, '0')}`;
      return y > 0 ? ymd : `${ymd} BC`;
    });
    await roundTrips('date', fc.oneof(asDate, fc.constantFrom('infinity', '-infinity')));
  });

  test('timestamps keep their microseconds', async () => {
    const instant = fc
      .tuple(fc.integer({ min: -210866803200000, max: 8.64e15 - 1 }), fc.integer({ min: 0, max: 999 }))
      .map(([ms, us]) => (us === 0 ? new Date(ms) : new PreciseDate(ms, us)));
    await roundTrips('timestamptz', fc.oneof(instant, fc.constantFrom(Infinity, -Infinity)));
    await roundTrips('timestamp', instant);
  });

  test('time, timetz and interval', async () => {
    const tod = fc.integer({ min: 0, max: 86400e6 }).map((us) => {
      const s = Math.floor(us / 1e6);
      const frac = us % 1e6;
      const two = (n: number) => String(n).padStart(2, '0');
      return `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}${frac ? '.' + String(frac).padStart(6, '0').replace(/0+$/, '') : ''}`;
    });
    await roundTrips('time', tod);
    const zone = fc.integer({ min: -(15 * 3600 + 59 * 60), max: 15 * 3600 + 59 * 60 }).map((s) => s - (s % 60));
    const withZone = fc.tuple(tod, zone).map(([t, z]) => {
      const a = Math.abs(z);
      const hh = String(Math.floor(a / 3600)).padStart(2, '0');
      const mm = (a / 60) % 60;
      return `${t}${z < 0 ? '-' : '+'}${hh}${mm ? ':' + String(mm).padStart(2, '0') : ''}`;
    });
    await roundTrips('timetz', withZone);
    await roundTrips(
      'interval',
      fc
        .tuple(fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 2 }), fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 2 }), fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }))
        .map(([m, d, us]) => new Interval(m, d, us)),
    );
  });

  test('network, bit strings, geometry and system types', async () => {
    await roundTrips('inet', fc.ipV4());
    await roundTrips('macaddr', fc.uint8Array({ minLength: 6, maxLength: 6 }), (v) => Buffer.from(v as Uint8Array).toString('hex').replace(/(..)(?!$)/g, '$1:'));
    await roundTrips('varbit', fc.array(fc.constantFrom('0', '1'), { maxLength: 80 }).map((a) => a.join('')));
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
    const point = fc.record({ x: finite, y: finite }, { noNullPrototype: true });
    await roundTrips('point', point);
    await roundTrips('path', fc.record({ closed: fc.boolean(), points: fc.array(point, { minLength: 1, maxLength: 5 }) }, { noNullPrototype: true }));
    await roundTrips('polygon', fc.record({ points: fc.array(point, { minLength: 1, maxLength: 5 }) }, { noNullPrototype: true }));
    await roundTrips('circle', fc.record({ center: point, radius: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }) }, { noNullPrototype: true }));
    await roundTrips('pg_lsn', fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `${a.toString(16).toUpperCase()}/${b.toString(16).toUpperCase()}`));
  });

  test('arrays of any shape, with NULLs and lower bounds', async () => {
    const shaped = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }).chain((dims) => {
      const build = (level: number): fc.Arbitrary<unknown[]> =>
        fc.array(level === dims.length - 1 ? fc.option(fc.integer()) : build(level + 1), { minLength: dims[level]!, maxLength: dims[level]! });
      return fc.tuple(build(0), fc.array(fc.integer({ min: -5, max: 5 }), { minLength: dims.length, maxLength: dims.length }));
    });
    await fc.assert(
      fc.asyncProperty(shaped, async ([arr, bounds]) => {
        const sent = withLowerBounds(arr, bounds);
        const got = (await back('int4[]', sent)) as unknown[];
        assert.deepStrictEqual(got, arr);
        assert.deepStrictEqual(lowerBoundsOf(got) ?? dims1(arr), bounds);
      }),
      RUNS,
    );
    await roundTrips('text[]', fc.array(fc.option(pgString())));
  });

  test('ranges in canonical form', async () => {
    // int4range: discrete, so the server stores [lower, upper) with inclusive bounds adjusted.
    const bounds = fc.tuple(fc.option(fc.integer({ min: -1000, max: 1000 })), fc.option(fc.integer({ min: -1000, max: 1000 })), fc.boolean(), fc.boolean());
    await fc.assert(
      fc.asyncProperty(bounds, async ([lo, hi, loInc, hiInc]) => {
        if (lo !== null && hi !== null && lo > hi) return;
        const r = new Range(lo, hi, `${loInc ? '[' : '('}${hiInc ? ']' : ')'}` as '[)');
        let cl = lo === null ? null : loInc ? lo : lo + 1;
        let cu = hi === null ? null : hiInc ? hi + 1 : hi;
        const expected = cl !== null && cu !== null && cl >= cu ? Range.empty() : new Range(cl, cu);
        if (expected.empty) cl = cu = null;
        assert.deepStrictEqual(await back('int4range', r), expected);
      }),
      RUNS,
    );
  });
});

describe('run-time types round-trip through the server (property tests)', () => {
  let conn: Connection;
  const schema = `pgjet_prop_${process.pid}`;
  before(async () => {
    conn = await connect(testDsn(), { serverSettings: { search_path: `${schema}, public` } });
    await conn.execute(`
      DROP SCHEMA IF EXISTS ${schema} CASCADE;
      CREATE SCHEMA ${schema};
      CREATE EXTENSION IF NOT EXISTS hstore SCHEMA public;
      CREATE TYPE ${schema}.color AS ENUM ('red', 'green', 'blue');
      CREATE TYPE ${schema}.pair AS (c ${schema}.color, n numeric, t text, at timestamptz, r int8range);
    `);
  });
  after(async () => {
    await conn.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await conn.close();
  });

  const back = (type: string, value: unknown) => conn.fetchVal(`SELECT $1::${type}`, value);

  test('enums, composites of several types, arrays of both', async () => {
    const color = fc.constantFrom('red', 'green', 'blue');
    const instant = fc.tuple(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: 0, max: 999 })).map(([ms, us]) => (us === 0 ? new Date(ms) : new PreciseDate(ms, us)));
    const range = fc.tuple(fc.bigInt({ min: -100n, max: 100n }), fc.bigInt({ min: 1n, max: 100n })).map(([lo, len]) => new Range(lo, lo + len));
    const pair = fc.record(
      { c: fc.option(color), n: fc.option(fc.integer().map(String)), t: fc.option(pgString()), at: fc.option(instant), r: fc.option(range) },
      { noNullPrototype: true },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(pair), { maxLength: 4 }), fc.array(fc.option(color)), async (pairs, colors) => {
        assert.deepStrictEqual(await back('pair[]', pairs), pairs);
        assert.deepStrictEqual(await back('color[]', colors), colors);
      }),
      RUNS,
    );
  });

  test('hstore, multiranges, continuous ranges, cidr and box', async () => {
    const hs = fc.dictionary(pgString(10), fc.option(pgString(10)), { noNullPrototype: true }).filter((d) => !Object.keys(d).includes('__proto__'));
    await fc.assert(fc.asyncProperty(hs, async (h) => assert.deepStrictEqual(await back('hstore', h), h)), RUNS);
    const spans = fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 0, maxLength: 8 }).map((xs) => {
      const sorted = [...xs].sort((a, b) => a - b);
      const out: Range<number>[] = [];
      for (let i = 0; i + 1 < sorted.length; i += 2) if (sorted[i + 1]! > sorted[i]! + 1) out.push(new Range(sorted[i]!, sorted[i + 1]!));
      // Ranges that touch merge on the server: keep a gap between them.
      return out.filter((r, i) => i === 0 || (r.lower as number) > (out[i - 1]!.upper as number));
    });
    await fc.assert(fc.asyncProperty(spans, async (m) => assert.deepStrictEqual(await back('int4multirange', m), m)), RUNS);
    // Continuous ranges keep their bounds and inclusivity as given.
    const ordered = fc.tuple(fc.integer(), fc.integer({ min: 1, max: 1e6 }), fc.boolean(), fc.boolean());
    await fc.assert(fc.asyncProperty(ordered, async ([a, len, li, ui]) => {
      const b = `${li ? '[' : '('}${ui ? ']' : ')'}` as '[)';
      const nr = new Range(`${a}.5`, `${a + len}.25`, b);
      assert.deepStrictEqual(await back('numrange', nr), nr);
      const tr = new Range(new Date(a * 1000), new PreciseDate((a + len) * 1000, 1), b);
      assert.deepStrictEqual(await back('tstzrange', tr), tr);
    }), RUNS);
    await fc.assert(fc.asyncProperty(fc.ipV4(), fc.integer({ min: 0, max: 32 }), async (ip, bits) => {
      const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
      const masked = bits === 0 ? 0 : Math.floor(n / 2 ** (32 - bits)) * 2 ** (32 - bits);
      const text = `${[24, 16, 8, 0].map((s) => Math.floor(masked / 2 ** s) % 256).join('.')}/${bits}`;
      assert.equal(await back('cidr', text), text);
    }), RUNS);
    const corner = fc.record({ x: fc.double({ noNaN: true, noDefaultInfinity: true }), y: fc.double({ noNaN: true, noDefaultInfinity: true }) }, { noNullPrototype: true });
    await fc.assert(fc.asyncProperty(corner, corner, async (p, q) => {
      // The server orders the corners as box_recv does: it swaps a coordinate
      // only when high's is strictly less than low's (so -0 and 0 stay put).
      const [hx, lx] = p.x < q.x ? [q.x, p.x] : [p.x, q.x];
      const [hy, ly] = p.y < q.y ? [q.y, p.y] : [p.y, q.y];
      const expected = { high: { x: hx, y: hy }, low: { x: lx, y: ly } };
      assert.deepStrictEqual(await back('box', { high: p, low: q }), expected);
    }), RUNS);
  });
});

/** Lower bounds of 1 for every dimension of a rectangular nested array. */
function dims1(arr: unknown[]): number[] {
  const out: number[] = [];
  let level: unknown = arr;
  while (Array.isArray(level) && level.length > 0) {
    out.push(1);
    level = level[0];
  }
  return out;
}
