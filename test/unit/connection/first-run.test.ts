import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { Writer } from '../../../src/protocol/writer.js';
import { Framer } from '../../../src/protocol/framer.js';
import { firstRunTexts, writeFirstRun } from '../../../src/connection/first-run.js';

describe('first run: which parameter values go as text before the types are known', () => {
  test('null, booleans, safe integers and plain strings go, as the text the server reads', () => {
    assert.deepEqual(firstRunTexts([null, true, false, 0, -7, 9007199254740991, 'alice', '', ' x', 'nancy', 'tru'], true), [
      null, 't', 'f', '0', '-7', '9007199254740991', 'alice', '', ' x', 'nancy', 'tru',
    ]);
    assert.deepEqual(firstRunTexts([], true), []);
  });

  test('strings that are JSON text wait for the types (a json parameter would read them as JSON)', () => {
    for (const s of ['42', '-1', '"q"', '{"a":1}', '[1]', 'true', 'false', 'null', '  null\n', ' {']) {
      assert.equal(firstRunTexts([s], true), undefined, JSON.stringify(s));
    }
  });

  test('values whose text could mean something else, or that have none, wait for the types', () => {
    for (const v of [0.5, -0, NaN, Infinity, 2 ** 53, 5n, new Date(0), Buffer.from('x'), [1], { a: 1 }, undefined, 'a\0b']) {
      assert.equal(firstRunTexts(['ok', v], true), undefined, String(v));
    }
  });

  test('without primitives (a user codec on the connection) only null and plain strings go', () => {
    assert.deepEqual(firstRunTexts([null, 'word'], false), [null, 'word']);
    assert.equal(firstRunTexts([1], false), undefined);
    assert.equal(firstRunTexts([true], false), undefined);
  });
});

describe('first run: the flight', () => {
  test('Parse, Describe, Bind (text parameters, binary results), Execute and Sync, in order', () => {
    const w = new Writer(64);
    writeFirstRun(w, 'stmt1', 'SELECT $1, $2', ['a', null], 1);
    const framer = new Framer();
    framer.push(Buffer.from(w.toBytes()));
    const types: string[] = [];
    let bind: Buffer | undefined;
    for (;;) {
      const f = framer.next();
      if (f === null) break;
      types.push(String.fromCharCode(f.type));
      if (f.type === 0x42) bind = Buffer.from(f.buf.subarray(f.start, f.end));
    }
    assert.deepEqual(types, ['P', 'D', 'B', 'E', 'S']);
    // portal '', statement 'stmt1', 0 format codes (all text), 2 values ('a', NULL), 1 result format: binary.
    assert.deepEqual(bind, Buffer.concat([Buffer.from('\0stmt1\0'), Buffer.from([0, 0, 0, 2, 0, 0, 0, 1, 0x61, 0xff, 0xff, 0xff, 0xff, 0, 1, 0, 1])]));
  });
});
