/** The stuck sessions' times in bounded memory: exact while few distinct values, close when many. */
import assert from 'node:assert/strict';

import { MAX_DISTINCT, MedianHistogram } from '../../../src/doctor/haproxy/median-histogram.js';

function exactMedian(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A deterministic generator: the same values on every run. */
function* lcg(seed: number): Generator<number> {
  for (let state = seed; ;) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    yield state;
  }
}

describe('MedianHistogram', function () {
  it('is empty with a null median', function () {
    assert.equal(new MedianHistogram().median(), null);
  });

  it('gives the exact median, minimum and maximum of clustered times, odd and even counts', function () {
    const random = lcg(7);
    for (const count of [1, 2, 3, 10, 101, 5000]) {
      const values = Array.from({ length: count }, () => 7000 + ((random.next().value as number) % 300));
      const histogram = new MedianHistogram();
      for (const value of values) histogram.add(value);
      assert.equal(histogram.median(), exactMedian(values), `${count} values`);
      assert.equal(histogram.min, Math.min(...values));
      assert.equal(histogram.max, Math.max(...values));
      assert.equal(histogram.count, count);
    }
  });

  it('keeps the median close and the extremes exact when times spread over a day', function () {
    const random = lcg(11);
    const values = Array.from({ length: 200_000 }, () => (random.next().value as number) % 86_400_000);
    const histogram = new MedianHistogram();
    for (const value of values) histogram.add(value);
    const exact = exactMedian(values);
    // MAX_DISTINCT buckets of a power-of-two width over a day: each less than twice a day / MAX_DISTINCT.
    const bucketWidth = (2 * 86_400_000) / MAX_DISTINCT;
    assert.ok(Math.abs((histogram.median() as number) - exact) < bucketWidth, `${histogram.median()} vs ${exact}`);
    assert.equal(
      histogram.min,
      values.reduce((a, b) => Math.min(a, b)),
    );
    assert.equal(
      histogram.max,
      values.reduce((a, b) => Math.max(a, b)),
    );
  });
});
