/** --dynamic-destination-allow entries: prefixes with optional ports, both families, and what is refused. */
import assert from 'node:assert/strict';

import {
  DestinationRuleError,
  formatDestinationRule,
  parseDestinationRule,
  parseDestinationRules,
} from '../../../src/base/net/destination-rule.js';

describe('destination rules (--dynamic-destination-allow)', function () {
  const cases: [string, string, number, number][] = [
    ['192.0.2.0/24', '192.0.2.0/24', 1, 65535],
    ['198.51.100.7', '198.51.100.7/32', 1, 65535],
    ['198.51.100.7:443', '198.51.100.7/32', 443, 443],
    ['10.0.0.0/8:8000-8100', '10.0.0.0/8', 8000, 8100],
    ['2001:db8::/32', '2001:db8::/32', 1, 65535],
    ['2001:db8::/32:443', '2001:db8::/32', 443, 443],
    ['2001:db8::7', '2001:db8::7/128', 1, 65535],
    ['[2001:db8::7]:443', '2001:db8::7/128', 443, 443],
    ['[2001:db8::/48]:1-1024', '2001:db8::/48', 1, 1024],
  ];
  for (const [text, prefix, firstPort, lastPort] of cases) {
    it(`reads ${text}`, function () {
      assert.deepEqual(parseDestinationRule(text), { prefix, firstPort, lastPort });
    });
  }

  it('reads a comma-separated list and writes each entry back', function () {
    const rules = parseDestinationRules(' 192.0.2.0/24:443 , [2001:db8::/32]:8000-8100,10.0.0.1 ');
    assert.deepEqual(rules.map(formatDestinationRule), [
      '192.0.2.0/24:443',
      '[2001:db8::/32]:8000-8100',
      '10.0.0.1/32',
    ]);
  });

  for (const bad of [
    '',
    ',',
    '192.0.2.0/33',
    'example.com',
    '192.0.2.1:0',
    '192.0.2.1:70000',
    '192.0.2.1:9-3',
    '[2001:db8::1',
    '[::1]443',
  ]) {
    it(`refuses ${JSON.stringify(bad)}`, function () {
      assert.throws(() => parseDestinationRules(bad), DestinationRuleError);
    });
  }
});
