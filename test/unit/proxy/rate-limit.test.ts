import { deepStrictEqual } from 'node:assert/strict';

import { LineRateLimiter } from '../../../src/proxy/log/rate-limit.js';

describe('LineRateLimiter', () => {
  it('admits a burst per key and window, then counts the rest', () => {
    const limiter = new LineRateLimiter(2, 1000);
    const admitted = [0, 1, 2, 3, 4].map((i) => limiter.admit('a', 100 + i).admitted);
    deepStrictEqual(admitted, [true, true, false, false, false]);
    deepStrictEqual(limiter.admit('b', 105), { admitted: true, suppressedBefore: 0 });
  });

  it('reports what the last window held back when the next one opens', () => {
    const limiter = new LineRateLimiter(1, 1000);
    limiter.admit('a', 0);
    limiter.admit('a', 10);
    limiter.admit('a', 20);
    deepStrictEqual(limiter.admit('a', 999), { admitted: false, suppressedBefore: 0 });
    deepStrictEqual(limiter.admit('a', 1000), { admitted: true, suppressedBefore: 3 });
  });

  it('hands over counts of ended windows once, and all of them at exit', () => {
    const limiter = new LineRateLimiter(1, 1000);
    for (let i = 0; i < 5; i++) limiter.admit('a', i);
    limiter.admit('b', 500);
    limiter.admit('b', 501);
    limiter.admit('quiet', 0);
    deepStrictEqual(limiter.takeSuppressed(999), []);
    deepStrictEqual(limiter.takeSuppressed(1000), [{ key: 'a', suppressed: 4 }]);
    deepStrictEqual(limiter.takeSuppressed(1000), []);
    deepStrictEqual(limiter.takeSuppressed(Infinity), [{ key: 'b', suppressed: 1 }]);
    deepStrictEqual(limiter.admit('a', 1001), { admitted: true, suppressedBefore: 0 });
  });
});
