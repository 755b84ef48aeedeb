import assert from 'node:assert/strict';

import {
  fit,
  fitMiddle,
  formatAge,
  formatBytes,
  endpointCell,
  formatRate,
  sparkline,
} from '../../../src/tui/model/format.js';

describe('top formatting', () => {
  it('prints bytes in at most four characters, 1024-based', () => {
    const cases: [number, string][] = [
      [0, '0B'],
      [999, '999B'],
      [1000, '1.0K'],
      [9.5 * 1024, '9.5K'],
      [312 * 1024 * 1024, '312M'],
      [1023 * 1024, '1.0M'],
      [5 * 1024 ** 4, '5.0T'],
    ];
    for (const [bytes, text] of cases) assert.equal(formatBytes(bytes), text, String(bytes));
    assert.equal(formatRate(2048), '2.0K/s');
  });

  it('prints ages like top does', () => {
    assert.deepEqual([0, 42, 187, 7500, 3 * 86_400 + 4 * 3600].map(formatAge), [
      '0s',
      '42s',
      '3m07s',
      '2h05m',
      '3d04h',
    ]);
  });

  it('brackets IPv6 endpoints and dashes missing ones', () => {
    assert.equal(endpointCell({ family: 4, address: '192.0.2.1', port: 80 }), '192.0.2.1:80');
    assert.equal(endpointCell({ family: 6, address: '2001:db8::1', port: 443 }), '[2001:db8::1]:443');
    assert.equal(endpointCell(null), '-');
  });

  it('draws sparklines scaled to their maximum, as wide as asked at most', () => {
    assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8), '▁▂▃▄▅▆▇█');
    assert.equal(sparkline([5, 10], 1), '█');
    assert.equal(sparkline([0, 0], 5), '▁▁');
    assert.equal(sparkline([], 5), '');
  });

  it('fits text to a width, keeping both ends of addresses', () => {
    assert.equal(fit('abc', 5), 'abc  ');
    assert.equal(fit('abc', 5, 'right'), '  abc');
    assert.equal(fit('abcdef', 4), 'abc…');
    assert.equal(fitMiddle('[2001:db8:85a3::8a2e:370:7334]:51234', 20), '[2001:db8:…34]:51234');
    assert.equal(fitMiddle('[2001:db8:85a3::8a2e:370:7334]:51234', 20).length, 20);
  });
});
