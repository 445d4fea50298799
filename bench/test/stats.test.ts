import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { median, Samples, spread } from '../lib/stats.js';

describe('Samples', () => {
  test('nearest-rank percentiles over samples pushed in any order, past the initial capacity', () => {
    const s = new Samples();
    for (let i = 10_000; i >= 1; i--) s.push(i);
    assert.equal(s.length, 10_000);
    assert.deepEqual(s.percentiles(50, 99, 100), [5000, 9900, 10_000]);
  });

  test('an empty set has NaN percentiles', () => {
    assert.ok(new Samples().percentiles(50).every(Number.isNaN));
  });
});

describe('median and spread', () => {
  test('median of odd and even counts, ignoring non-finite values', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([NaN, 5]), 5);
    assert.ok(Number.isNaN(median([])));
  });

  test('spread is (max - min) / median, 0 for a single round', () => {
    assert.equal(spread([90, 100, 110]), 0.2);
    assert.equal(spread([100]), 0);
  });
});
