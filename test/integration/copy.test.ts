import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { AbortError, connect, ConnectionError, InterfaceError, TimeoutError } from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import { runDocExample } from './docs-example.js';
import { testDsn } from './harness.js';

const RECORDS = 1_000_000;

describe('COPY', () => {
  let conn: Connection;
  let other: Connection;
  let dir: string;
  before(async () => {
    conn = await connect(testDsn());
    other = await connect(testDsn());
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgjet-copy-'));
    await conn.execute(`
      DROP TABLE IF EXISTS copy_people, copy_load, copy_kinds, copy_bin2;
      DROP TYPE IF EXISTS copy_mood;
      CREATE TYPE copy_mood AS ENUM ('happy', 'sad');
      CREATE TABLE copy_people (id int PRIMARY KEY, name text, score float8, born date, active boolean);
      CREATE TABLE copy_load (id int8, label text, amount numeric, at timestamptz, tags text[], doc jsonb, blob bytea);
      CREATE TABLE copy_kinds (id int, addr inet, mood copy_mood, note text);
    `);
  });
  after(async () => {
    await conn.execute('DROP TABLE IF EXISTS copy_people, copy_load, copy_kinds, copy_bin2; DROP TYPE IF EXISTS copy_mood');
    await other.close();
    await conn.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function count(table: string): Promise<number> {
    return Number(await conn.fetchVal(`SELECT count(*) FROM ${table}`));
  }

  describe('copyRecordsToTable', () => {
    test(`${RECORDS.toLocaleString('en')} records stream in with binary COPY; count and checksum match`, { timeout: 300_000 }, async () => {
      await conn.execute('TRUNCATE copy_load');
      function* records(): Generator<unknown[]> {
        for (let i = 1; i <= RECORDS; i++) {
          yield [BigInt(i), `label-${i}`, `${i}.25`, new Date(Date.UTC(2024, 0, 1) + i * 1000), ['a', String(i)], { i }, Buffer.from([i & 255])];
        }
      }
      const t0 = Date.now();
      const tag = await conn.copyRecordsToTable('copy_load', { records: records() });
      const ms = Date.now() - t0;
      assert.equal(tag, `COPY ${RECORDS}`);
      const hash = createHash('md5');
      for (let i = 1; i <= RECORDS; i++) hash.update(`${i}:label-${i};`);
      const expected = hash.digest('hex');
      const row = await conn.fetchRow<{ n: bigint; s: string; md5: string; amount: string; bytes: bigint }>(`
        SELECT count(*) AS n, sum(id)::text AS s, sum(amount)::text AS amount, sum(get_byte(blob, 0))::int8 AS bytes,
               md5(string_agg(id || ':' || label, ';' ORDER BY id) || ';') AS md5
        FROM copy_load`);
      assert.ok(row);
      assert.equal(row.n, BigInt(RECORDS));
      assert.equal(row.s, String((RECORDS * (RECORDS + 1)) / 2));
      assert.equal(row.md5, expected);
      assert.equal(row.amount, ((RECORDS * (RECORDS + 1)) / 2 + RECORDS * 0.25).toFixed(2));
      let bytes = 0n;
      for (let i = 1; i <= RECORDS; i++) bytes += BigInt(i & 255);
      assert.equal(row.bytes, bytes);
      const sample = await conn.fetchRow('SELECT * FROM copy_load WHERE id = 77');
      assert.deepEqual(sample, {
        id: 77n,
        label: 'label-77',
        amount: '77.25',
        at: new Date(Date.UTC(2024, 0, 1) + 77_000),
        tags: ['a', '77'],
        doc: { i: 77 },
        blob: Buffer.from([77]),
      });
      process.stdout.write(`# copyRecordsToTable: ${RECORDS} records in ${ms} ms\n`);
    });

    test('arrays, objects, async iterables, columns, schemaName and where', async () => {
      await conn.execute('TRUNCATE copy_people');
      await conn.copyRecordsToTable('copy_people', {
        records: [
          [1, 'Ann', 1.5, '2000-01-02', true],
          [2, null, null, null, null],
        ],
      });
      await conn.copyRecordsToTable('copy_people', {
        records: [{ id: 3, name: 'Cy' }, { name: 'Di', id: 4 }],
        columns: ['id', 'name'],
        schemaName: 'public',
      });
      async function* gen(): AsyncGenerator<unknown[]> {
        for (let i = 5; i <= 10; i++) {
          await new Promise((r) => setImmediate(r));
          yield [i, `p${i}`];
        }
      }
      const tag = await conn.copyRecordsToTable('copy_people', { records: gen(), columns: ['id', 'name'], where: 'id % 2 = 0' });
      assert.equal(tag, 'COPY 3');
      const rows = await conn.fetch('SELECT id, name, score, born, active FROM copy_people ORDER BY id');
      assert.deepEqual(rows, [
        { id: 1, name: 'Ann', score: 1.5, born: '2000-01-02', active: true },
        { id: 2, name: null, score: null, born: null, active: null },
        { id: 3, name: 'Cy', score: null, born: null, active: null },
        { id: 4, name: 'Di', score: null, born: null, active: null },
        { id: 6, name: 'p6', score: null, born: null, active: null },
        { id: 8, name: 'p8', score: null, born: null, active: null },
        { id: 10, name: 'p10', score: null, born: null, active: null },
      ]);
    });

    test('a column without a binary codec (inet, an enum) switches the load to text format', async () => {
      await conn.execute('TRUNCATE copy_kinds');
      const note = 'tab\there, newline\nthere, back\\slash, \\N is not null';
      await conn.copyRecordsToTable('copy_kinds', {
        records: [
          [1, '10.0.0.1/32', 'happy', note],
          [2, null, 'sad', null],
        ],
      });
      const rows = await conn.fetch('SELECT id, addr::text AS addr, mood::text AS mood, note FROM copy_kinds ORDER BY id');
      assert.deepEqual(rows, [
        { id: 1, addr: '10.0.0.1/32', mood: 'happy', note },
        { id: 2, addr: null, mood: 'sad', note: null },
      ]);
    });

    test('an encode error sends CopyFail: nothing is loaded and the connection stays usable', async () => {
      await conn.execute('TRUNCATE copy_people');
      function* records(): Generator<unknown[]> {
        for (let i = 1; i <= 50_000; i++) yield [i, `n${i}`, i === 40_000 ? 'not a number' : i, null, null];
      }
      await assert.rejects(
        conn.copyRecordsToTable('copy_people', { records: records() }),
        (e) => e instanceof InterfaceError && /record 39999, column "score" \(float8\)/.test(e.message),
      );
      assert.equal(await count('copy_people'), 0);
      assert.equal(await conn.fetchVal('SELECT 1'), 1);
      await assert.rejects(conn.copyRecordsToTable('copy_people', { records: [[1, 'x']] }), /record 0 has 2 value\(s\) but 5 column\(s\)/);
      await assert.rejects(conn.copyRecordsToTable('copy_people', { records: [[1, undefined, null, null, null]] }), /column "name" \(text\): the value is undefined/);
      await assert.rejects(conn.copyRecordsToTable('copy_people', { records: [[1, 'a', 1, null, null]], columns: ['id', 'nope'] }), /has no column "nope"/);
      assert.equal(await count('copy_people'), 0);
    });

    test('a throwing iterator sends CopyFail and its error comes back', async () => {
      const boom = new Error('source broke');
      async function* records(): AsyncGenerator<unknown[]> {
        for (let i = 1; i <= 100_000; i++) {
          if (i === 70_000) throw boom;
          yield [i, 'x', 1, null, true];
        }
      }
      await assert.rejects(conn.copyRecordsToTable('copy_people', { records: records() }), (e) => e === boom);
      assert.equal(await count('copy_people'), 0);
      assert.equal(conn.isInTransaction(), false);
      assert.equal(await conn.fetchVal('SELECT 2'), 2);
    });

    test('a server-side failure (duplicate key) rolls the COPY back', async () => {
      await assert.rejects(
        conn.copyRecordsToTable('copy_people', { records: [[1, 'a', 1, null, null], [1, 'b', 2, null, null]] }),
        (e: Error & { sqlstate?: string }) => e.sqlstate === '23505',
      );
      assert.equal(await count('copy_people'), 0);
      assert.equal(await conn.fetchVal('SELECT 3'), 3);
    });

    test('bad arguments are InterfaceErrors', async () => {
      await assert.rejects(conn.copyRecordsToTable('copy_people', {} as never), /"records" must be an array/);
      await assert.rejects(conn.copyRecordsToTable('copy_people', { records: [], nope: 1 } as never), /unknown option "nope"/);
      await assert.rejects(conn.copyRecordsToTable('', { records: [] }), /table name must be a non-empty string/);
      await assert.rejects(conn.copyRecordsToTable('no_such_table', { records: [] }), (e: Error & { sqlstate?: string }) => e.sqlstate === '42P01');
    });
  });

  describe('copyToTable', () => {
    test('CSV from a file with header, delimiter, null, quote, escape, forceNull and forceNotNull', async () => {
      await conn.execute('TRUNCATE copy_people');
      const file = path.join(dir, 'people.csv');
      fs.writeFileSync(file, 'id;name;score;born;active\n1;"Ann `"A`" Smith";1.5;2001-02-03;t\n2;NIL;NIL;NIL;f\n3;"NIL";2;"NIL";t\n4;"`"";3;NIL;t\n');
      const tag = await conn.copyToTable('copy_people', {
        source: file,
        format: 'csv',
        header: true,
        delimiter: ';',
        null: 'NIL',
        quote: '"',
        escape: '`',
        forceNull: ['born'],
        forceNotNull: ['name'],
      });
      assert.equal(tag, 'COPY 4');
      const rows = await conn.fetch('SELECT id, name, score, born, active FROM copy_people ORDER BY id');
      assert.deepEqual(rows, [
        { id: 1, name: 'Ann "A" Smith', score: 1.5, born: '2001-02-03', active: true },
        { id: 2, name: 'NIL', score: null, born: null, active: false },
        { id: 3, name: 'NIL', score: 2, born: null, active: true },
        { id: 4, name: '"', score: 3, born: null, active: true },
      ]);
    });

    test('text format from a Buffer, a Readable and an async iterable of strings; encoding and freeze', async () => {
      await conn.execute('TRUNCATE copy_people');
      await conn.copyToTable('copy_people', { source: Buffer.from('1\tA\n2\t\\N\n'), columns: ['id', 'name'] });
      await conn.copyToTable('copy_people', { source: Readable.from([Buffer.from('3\tC\n4'), Buffer.from('\tD\n')]), columns: ['id', 'name'] });
      async function* lines(): AsyncGenerator<string> {
        yield '5\tÉ\n';
        yield '6\tF\n';
      }
      await conn.copyToTable('copy_people', { source: lines(), columns: ['id', 'name'], encoding: 'UTF8' });
      await conn.transaction(async () => {
        await conn.execute('CREATE TABLE copy_bin2 (id int, name text)');
        await conn.copyToTable('copy_bin2', { source: ['7\tG\n'], freeze: true });
      });
      const rows = await conn.fetch<{ id: number; name: string | null }>('SELECT id, name FROM copy_people ORDER BY id');
      assert.deepEqual(rows.map((r) => [r.id, r.name]), [
        [1, 'A'],
        [2, null],
        [3, 'C'],
        [4, 'D'],
        [5, 'É'],
        [6, 'F'],
      ]);
      assert.deepEqual(await conn.fetch('SELECT * FROM copy_bin2'), [{ id: 7, name: 'G' }]);
      await conn.execute('DROP TABLE copy_bin2');
    });

    test('a binary export loads back with format binary', async () => {
      const chunks: Buffer[] = [];
      for await (const c of conn.copyFromTable('copy_people', { format: 'binary' })) chunks.push(c);
      const data = Buffer.concat(chunks);
      assert.equal(data.subarray(0, 11).toString('latin1'), 'PGCOPY\n\xff\r\n\0');
      await conn.execute('CREATE TEMP TABLE copy_people_bin (LIKE copy_people)');
      assert.equal(await conn.copyToTable('copy_people_bin', { source: data, format: 'binary' }), 'COPY 6');
      assert.deepEqual(await conn.fetch('SELECT * FROM copy_people_bin ORDER BY id'), await conn.fetch('SELECT * FROM copy_people ORDER BY id'));
    });

    test('bad data fails on the server and the connection stays usable', async () => {
      await assert.rejects(
        conn.copyToTable('copy_people', { source: Buffer.from('100\tok\nnot-a-number\tbad\n'), columns: ['id', 'name'] }),
        (e: Error & { sqlstate?: string }) => e.sqlstate === '22P02',
      );
      assert.equal(await count('copy_people WHERE id = 100'), 0);
      assert.equal(await conn.fetchVal('SELECT 4'), 4);
    });

    test('a failing source stream sends CopyFail and rethrows its error', async () => {
      const source = new Readable({
        read() {
          this.push('200\tx\n');
          this.destroy(new Error('disk on fire'));
        },
      });
      await assert.rejects(conn.copyToTable('copy_people', { source, columns: ['id', 'name'] }), /disk on fire/);
      assert.equal(await count('copy_people WHERE id = 200'), 0);
      await assert.rejects(conn.copyToTable('copy_people', { source: path.join(dir, 'missing.csv') }), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
      await assert.rejects(conn.copyToTable('copy_people', { source: [42] as never }), /chunk 0 of the source is number 42/);
      await assert.rejects(conn.copyToTable('copy_people', { source: 42 as never }), /"source" must be a file path/);
      await assert.rejects(conn.copyToTable('copy_people', { source: Buffer.alloc(0), format: 'xml' as never }), /"format" must be 'text', 'csv' or 'binary'/);
      assert.equal(await conn.fetchVal('SELECT 5'), 5);
    });

    test('calls made during a COPY wait for it and keep their order', async () => {
      await conn.execute('TRUNCATE copy_people');
      async function* slow(): AsyncGenerator<string> {
        for (let i = 1; i <= 20; i++) {
          await new Promise((r) => setTimeout(r, 2));
          yield `${i}\tn${i}\n`;
        }
      }
      const copy = conn.copyToTable('copy_people', { source: slow(), columns: ['id', 'name'] });
      const during = conn.fetchVal('SELECT count(*)::int FROM copy_people');
      const copy2 = conn.copyToTable('copy_people', { source: ['21\tx\n'], columns: ['id', 'name'] });
      const afterBoth = conn.fetchVal('SELECT count(*)::int FROM copy_people');
      assert.equal(await copy, 'COPY 20');
      assert.equal(await during, 20);
      assert.equal(await copy2, 'COPY 1');
      assert.equal(await afterBoth, 21);
    });

    test('a large load waits for the socket instead of buffering the whole source', { timeout: 120_000 }, async () => {
      await conn.execute('CREATE TEMP TABLE copy_big (line text)');
      const line = 'x'.repeat(1000) + '\n';
      const lines = 150_000; // about 150 MB
      let produced = 0;
      let peak = 0;
      const base = process.memoryUsage.rss();
      function* source(): Generator<string> {
        for (let i = 0; i < lines; i += 100) {
          produced += 100;
          if (produced % 10_000 === 0) peak = Math.max(peak, process.memoryUsage.rss());
          yield line.repeat(100);
        }
      }
      assert.equal(await conn.copyToTable('copy_big', { source: source() }), `COPY ${lines}`);
      const growth = peak - base;
      assert.ok(growth < 100 * 1024 * 1024, `RSS grew by ${(growth / 1048576).toFixed(0)} MB during a 150 MB load`);
      await conn.execute('DROP TABLE copy_big');
    });

    test('a timeout or an abort during COPY FROM sends CopyFail; the connection stays usable', async () => {
      const never = (): AsyncIterable<string> => ({
        [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<string>>(() => undefined) }),
      });
      const t0 = Date.now();
      await assert.rejects(conn.copyToTable('copy_people', { source: never(), timeout: 150 }), TimeoutError);
      assert.ok(Date.now() - t0 < 2000);
      assert.equal(await conn.fetchVal('SELECT 6'), 6);
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('user gave up')), 100);
      await assert.rejects(conn.copyRecordsToTable('copy_people', { records: (async function* () {
        yield [300, 'x', 1, null, true];
        await new Promise(() => undefined);
      })(), signal: ac.signal }), AbortError);
      assert.equal(await conn.fetchVal('SELECT 7'), 7);
      assert.equal(await count('copy_people WHERE id = 300'), 0);
      assert.equal(conn.isInTransaction(), false);
    });

    test('a connection lost in the middle of a COPY settles every call', async () => {
      const victim = await connect(testDsn());
      let sent = 0;
      async function* endless(): AsyncGenerator<string> {
        while (true) {
          sent++;
          if (sent === 50) await other.execute('SELECT pg_terminate_backend($1)', victim.getServerPid());
          await new Promise((r) => setTimeout(r, 2));
          yield 'x\n';
        }
      }
      await victim.execute('CREATE TEMP TABLE lost (v text)');
      const copying = victim.copyToTable('lost', { source: endless() });
      const queued = victim.fetchVal('SELECT 1');
      await assert.rejects(copying, (e) => e instanceof ConnectionError);
      await assert.rejects(queued, (e) => e instanceof ConnectionError);
      assert.equal(victim.isClosed(), true);

      const victim2 = await connect(testDsn());
      const out = victim2.copyFromQuery('SELECT g, pg_sleep(0.001) FROM generate_series(1, 100000) g', {
        output: async () => {
          await new Promise((r) => setTimeout(r, 5));
        },
      });
      await new Promise((r) => setTimeout(r, 100));
      await other.execute('SELECT pg_terminate_backend($1)', victim2.getServerPid());
      await assert.rejects(out, (e) => e instanceof ConnectionError);
    });

    test('COPY FROM STDIN through execute() is refused with a pointer to copyToTable', async () => {
      await assert.rejects(conn.execute('COPY copy_people FROM STDIN'), /copyToTable\(\)/);
      assert.equal(await conn.fetchVal('SELECT 8'), 8);
    });

    test('a COPY inside a transaction rolls back with it', async () => {
      await conn.execute('TRUNCATE copy_people');
      await assert.rejects(
        conn.transaction(async () => {
          await conn.copyRecordsToTable('copy_people', { records: [[1, 'a', 1, null, null]] });
          assert.equal(await count('copy_people'), 1);
          throw new Error('undo');
        }),
        /undo/,
      );
      assert.equal(await count('copy_people'), 0);
    });
  });

  describe('copyFromTable and copyFromQuery', () => {
    before(async () => {
      await conn.execute('TRUNCATE copy_people');
      await conn.copyRecordsToTable('copy_people', {
        records: [
          [1, 'Ann', 1.5, '2000-01-02', true],
          [2, "O'Brien, \"Bo\"", null, null, false],
          [3, 'Cy', 3, null, null],
        ],
      });
    });

    test('to a Writable, a path, a callback and an async iterator', async () => {
      const got: Buffer[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, cb) {
          got.push(chunk);
          cb();
        },
      });
      assert.equal(await conn.copyFromTable('copy_people', { output: sink, columns: ['id', 'name'] }), 'COPY 3');
      assert.equal(Buffer.concat(got).toString(), '1\tAnn\n2\tO\'Brien, "Bo"\n3\tCy\n');

      const file = path.join(dir, 'out.csv');
      assert.equal(await conn.copyFromTable('copy_people', { output: file, format: 'csv', header: true, forceQuote: ['name'], schemaName: 'public' }), 'COPY 3');
      assert.equal(
        fs.readFileSync(file, 'utf8'),
        'id,name,score,born,active\n1,"Ann",1.5,2000-01-02,t\n2,"O\'Brien, ""Bo""",,,f\n3,"Cy",3,,\n',
      );

      const parts: string[] = [];
      await conn.copyFromQuery('SELECT id FROM copy_people ORDER BY id', {
        output: async (chunk) => {
          await new Promise((r) => setImmediate(r));
          parts.push(chunk.toString());
        },
      });
      assert.equal(parts.join(''), '1\n2\n3\n');

      let text = '';
      for await (const chunk of conn.copyFromQuery('SELECT name FROM copy_people WHERE id > $1 AND name <> $2 ORDER BY id', { args: [1, "it's"], format: 'csv' })) {
        text += chunk.toString();
      }
      assert.equal(text, '"O\'Brien, ""Bo"""\nCy\n');
    });

    test('args are written into the query as literals, injection-safe', async () => {
      const evil = "x'); DROP TABLE copy_people; --";
      const out: string[] = [];
      await conn.copyFromQuery("SELECT $1::text AS a, $2::int + 1 AS b, '$1' AS c, $3::bytea AS d, $4::text AS e", {
        args: [evil, 41, Buffer.from([1, 2]), null],
        output: (c) => void out.push(c.toString()),
      });
      assert.equal(out.join(''), `${evil}\t42\t$1\t\\\\x0102\t\\N\n`);
      assert.equal(await count('copy_people'), 3);
      assert.throws(() => conn.copyFromQuery('SELECT $2::int', { args: [1, 2] }), /does not use \$1/);
      assert.throws(() => conn.copyFromQuery('SELECT $1::int', { args: [] }), /uses \$1 but 0 arguments were given/);
      await assert.rejects(conn.copyFromQuery('SELECT $1::int', { args: [], output: () => undefined }), InterfaceError);
    });

    test('a slow consumer holds the server back (backpressure), and everything arrives', { timeout: 60_000 }, async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let bytes = 0;
      let first = true;
      const done = conn.copyFromQuery("SELECT g, repeat('y', 200) FROM generate_series(1, 200000) g", {
        output: async (chunk) => {
          bytes += chunk.length;
          if (first) {
            first = false;
            await gate;
          }
        },
      });
      // The server blocks writing to the client while the output waits.
      let waitEvent: string | null = null;
      for (let i = 0; i < 100 && waitEvent !== 'ClientWrite'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        waitEvent = await other.fetchVal<string>('SELECT wait_event FROM pg_stat_activity WHERE pid = $1', conn.getServerPid());
      }
      assert.equal(waitEvent, 'ClientWrite');
      release();
      assert.equal(await done, 'COPY 200000');
      let expected = 0;
      for (let g = 1; g <= 200000; g++) expected += String(g).length + 1 + 200 + 1;
      assert.equal(bytes, expected);
    });

    test('breaking out of the iterator cancels the COPY; the connection stays usable', async () => {
      let n = 0;
      for await (const chunk of conn.copyFromQuery('SELECT g FROM generate_series(1, 5000000) g')) {
        n += chunk.length;
        if (n > 100_000) break;
      }
      assert.ok(n > 100_000);
      assert.equal(await conn.fetchVal('SELECT 9'), 9);
      assert.equal(conn.isInTransaction(), false);
    });

    test('an output that fails stops the COPY and its error comes back', async () => {
      const sink = new Writable({
        write(_chunk, _enc, cb) {
          cb(new Error('disk full'));
        },
      });
      await assert.rejects(conn.copyFromQuery('SELECT g FROM generate_series(1, 1000000) g', { output: sink }), /disk full/);
      await assert.rejects(
        conn.copyFromQuery('SELECT 1', {
          output: () => {
            throw new Error('callback broke');
          },
        }),
        /callback broke/,
      );
      assert.equal(await conn.fetchVal('SELECT 10'), 10);
    });

    test('timeouts and aborts work during COPY TO', async () => {
      await assert.rejects(conn.copyFromQuery('SELECT pg_sleep(5)', { output: () => undefined, timeout: 150 }), TimeoutError);
      assert.equal(await conn.fetchVal('SELECT 11'), 11);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      await assert.rejects(
        (async () => {
          for await (const _ of conn.copyFromQuery('SELECT pg_sleep(5)', { signal: ac.signal })) assert.fail('no data expected');
        })(),
        AbortError,
      );
      assert.equal(await conn.fetchVal('SELECT 12'), 12);
    });

    test('server errors and bad options', async () => {
      await assert.rejects(conn.copyFromQuery('SELECT 1/0', { output: () => undefined }), (e: Error & { sqlstate?: string }) => e.sqlstate === '22012');
      await assert.rejects(conn.copyFromTable('copy_people', { output: 42 as never }), /"output" must be a file path, a Writable stream, or a function/);
      assert.throws(() => conn.copyFromTable('copy_people', { forceQuote: [] }), /"forceQuote" must be true or a non-empty array/);
      await assert.rejects(conn.copyFromTable('copy_people', { output: () => undefined, header: 'yes' as never }), /"header" must be true, false or 'match'/);
      assert.equal(await conn.fetchVal('SELECT 13'), 13);
    });
  });

  test('the docs/copy.md example runs as written', async () => {
    await runDocExample('docs/copy.md');
  });
});
