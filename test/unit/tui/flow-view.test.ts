import assert from 'node:assert/strict';

import { filterFlows, nextSortKey, sortFlows } from '../../../src/tui/model/flow-view.js';
import { busySnapshot } from '../../support/recorded-snapshots.js';

describe('which flows top shows', () => {
  const { flows } = busySnapshot(12);
  const clients = (list: typeof flows): string[] => list.map((flow) => `${flow.client?.address}:${flow.client?.port}`);

  it('sorts by total rate, total bytes, age (oldest first) or client address', () => {
    assert.equal(clients(sortFlows(flows, { key: 'rate', reversed: false }))[0], '203.0.113.12:40011');
    assert.equal(clients(sortFlows(flows, { key: 'bytes', reversed: false }))[0], '203.0.113.12:40011');
    assert.equal(clients(sortFlows(flows, { key: 'age', reversed: false }))[0], '203.0.113.12:40011');
    const byClient = clients(sortFlows(flows, { key: 'client', reversed: false }));
    // Numeric order (.2 before .10), IPv4 before IPv6
    assert.deepEqual(byClient.slice(0, 3), ['203.0.113.1:40000', '203.0.113.2:40001', '203.0.113.3:40002']);
    assert.equal(byClient.at(-1), '2001:db8:85a3::8a2e:370:7334:51234');
  });

  it('cycles rate → bytes → age → client → rate', () => {
    assert.deepEqual(
      ['rate', 'bytes', 'age', 'client'].map((key) => nextSortKey(key as never)),
      ['bytes', 'age', 'client', 'rate'],
    );
  });

  it('filters on any address or the state, case-insensitively', () => {
    assert.equal(filterFlows(flows, '203.0.113.1').length, 4, '.1, .10, .11, .12');
    assert.equal(filterFlows(flows, '2001:DB8').length, 1);
    assert.equal(filterFlows(flows, '192.0.2.10:30003').length, 1, 'load balancer address');
    assert.equal(filterFlows(flows, 'connecting').length, 2);
    assert.equal(filterFlows(flows, '  ').length, flows.length);
  });
});
