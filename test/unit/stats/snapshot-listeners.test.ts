/**
 * Snapshots of a process with many listeners (issue 17): each listener's description, counters and rate,
 * flows named by their listener, totals for the process; listeners a reload adds and removes between samples.
 */
import assert from 'node:assert/strict';

import { SnapshotBuilder } from '../../../src/stats/snapshot.js';
import {
  recordedCounters,
  recordedFlow,
  recordedListener,
  recordedListenerSource,
  recordedSource,
} from '../../support/recorded-source.js';

describe('stats snapshot of several listeners', () => {
  const START = Date.UTC(2026, 10, 25, 20, 0, 0);

  function given() {
    const clock = { now: START + 10_000 };
    const web = recordedListener('web', 8443);
    const dns = recordedListener('dns.udp', 5353, {
      protocol: 'udp',
      lastPort: 5360,
      config: { ...recordedSource().summary.config, udpHeader: 'spp' },
    });
    const listeners = [web, dns];
    const builder = new SnapshotBuilder(recordedListenerSource(listeners, START), { now: () => clock.now });
    return { clock, web, dns, listeners, builder };
  }

  it('describes each listener with its own counters and the process with their sum', () => {
    // Given two listeners with traffic of their own
    const { clock, web, dns, builder } = given();
    clock.now += 2000;
    web.current.counters = recordedCounters({ active: 2, accepted: 5, bytesToTarget: 24_000 });
    web.current.flows = [recordedFlow(1), recordedFlow(3)];
    dns.current.counters = recordedCounters({ active: 1, accepted: 1, bytesToClient: 6000 });
    dns.current.flows = [recordedFlow(2, { protocol: 'udp' })];
    // When a snapshot is built
    const snapshot = builder.build();
    // Then each listener is there, in order, with its counters and its rate over the 2 s since the first sample
    const [webShown, dnsShown] = snapshot.listeners!;
    assert.deepEqual(
      snapshot.listeners!.map(({ name, state, lastPort }) => ({ name, state, lastPort })),
      [
        { name: 'web', state: 'serving', lastPort: 8443 },
        { name: 'dns.udp', state: 'serving', lastPort: 5360 },
      ],
    );
    assert.equal(webShown!.counters.active, 2);
    assert.deepEqual(webShown!.counters.rate, { toTarget: 12_000, toClient: 0 });
    assert.deepEqual(dnsShown!.counters.rate, { toTarget: 0, toClient: 3000 });
    assert.equal(dnsShown!.config.udpHeader, 'spp');
    assert.equal(webShown!.counters.udpHeaders, undefined, 'a TCP listener has no datagrams');
    assert.ok(dnsShown!.counters.udpHeaders, 'a UDP listener has its header counts');
    // And the process's counters are the sum, its flows every listener's, each naming its listener
    assert.equal(snapshot.counters.active, 3);
    assert.equal(snapshot.counters.accepted, 6);
    assert.deepEqual(
      snapshot.flows.map(({ id, listener }) => [id, listener]),
      [
        [1, 'web'],
        [2, 'dns.udp'],
        [3, 'web'],
      ],
    );
    assert.deepEqual(JSON.parse(JSON.stringify(snapshot)), snapshot, 'the snapshot is plain JSON');
  });

  it('follows a reload: a new listener starts its rate when first seen, a removed one is forgotten', () => {
    const { clock, web, listeners, builder } = given();
    // Given a reload that removes web and adds api between two samples
    clock.now += 1000;
    builder.recordHistory();
    listeners.splice(0, 1);
    const api = recordedListener('api', 9443);
    api.current.counters = recordedCounters({ bytesToTarget: 50_000 });
    listeners.push(api);
    // When sampled now and again a second later with 3000 more bytes
    const first = builder.build();
    clock.now += 1000;
    api.current.counters = recordedCounters({ bytesToTarget: 53_000 });
    const second = builder.build();
    // Then web is gone, and api's rate counts from when it appeared, not from the proxy's start
    assert.deepEqual(
      first.listeners!.map(({ name }) => name),
      ['dns.udp', 'api'],
    );
    assert.deepEqual(first.listeners![1]!.counters.rate, { toTarget: 0, toClient: 0 });
    assert.deepEqual(second.listeners![1]!.counters.rate, { toTarget: 3000, toClient: 0 });
    // And web coming back under the same name, counting from zero, starts afresh (no negative or stale rate)
    web.current.counters = recordedCounters({ bytesToTarget: 100 });
    listeners.push(web);
    clock.now += 1000;
    assert.deepEqual(builder.build().listeners![2]!.counters.rate, { toTarget: 0, toClient: 0 });
  });

  it('shows a source without listeners as one listener, default, described by its summary', () => {
    // Given a command-line proxy's source (no listeners())
    const source = recordedSource(START);
    source.current.counters = recordedCounters({ active: 1 });
    source.current.flows = [recordedFlow(4)];
    const snapshot = new SnapshotBuilder(source, { now: () => START + 5000 }).build();
    // Then it has one listener named default, like its proxy part
    assert.equal(snapshot.listeners!.length, 1);
    const [only] = snapshot.listeners!;
    assert.equal(only!.name, 'default');
    assert.deepEqual(only!.listen, snapshot.proxy.listen);
    assert.equal(only!.lastPort, snapshot.proxy.listen.port);
    assert.equal(only!.counters.active, 1);
    assert.equal(snapshot.flows[0]!.listener, 'default');
  });
});
