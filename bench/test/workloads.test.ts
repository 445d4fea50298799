import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyTextChunks } from '../clients/adapter.js';
import { allWorkloads, INSERT_BATCH, makeRecords } from '../lib/workloads.js';

describe('workloads', () => {
  test('the ten workloads of the issue, with unique ids', () => {
    const ws = allWorkloads();
    assert.equal(ws.length, 10);
    assert.equal(new Set(ws.map((w) => w.id)).size, 10);
    assert.deepEqual(
      ws.filter((w) => w.concurrency === 1).map((w) => w.id),
      ['select1', 'cursor'],
    );
  });

  test('pgbench scripts: the insert batch and the pipeline run in one pipeline each', () => {
    const byId = new Map(allWorkloads().map((w) => [w.id, w]));
    const insert = byId.get('insert')!.pgbench!;
    assert.equal(insert.match(/^INSERT /gm)?.length, INSERT_BATCH);
    assert.match(insert, /\\startpipeline[\s\S]*\\endpipeline/);
    const pipeline = byId.get('pipeline')!.pgbench!;
    assert.equal(pipeline.match(/^SELECT /gm)?.length, 10);
    assert.match(byId.get('point')!.pgbench!, /WHERE id = :id;/);
    assert.equal(byId.get('copy')!.pgbench, undefined);
    assert.equal(byId.get('cursor')!.pgbench, undefined);
  });

  test('records and their COPY text form', () => {
    const r = makeRecords(3, 10);
    assert.deepEqual(r.map((x) => x[0]), [10, 11, 12]);
    assert.equal(r[1]![1], 'name 11');
    const chunks = copyTextChunks(makeRecords(5, 1), 2);
    assert.equal(chunks.length, 3);
    const lines = chunks.join('').split('\n').filter(Boolean);
    assert.equal(lines.length, 5);
    assert.deepEqual(lines[0]!.split('\t'), ['1', 'name 1', '0.5', '2024-01-01T00:00:01.000Z']);
  });
});
