/** The header for a UDP proxy: its --udp-header mode on the proxy line, the datagrams by kind of header. */
import assert from 'node:assert/strict';

import { headerModel } from '../../../src/tui/model/header.js';
import type { StatsSnapshot } from '../../../src/stats/schema.js';
import { busySnapshot } from '../../support/recorded-snapshots.js';

function udpSnapshot(mode: 'every' | 'first' | 'spp' | 'auto' | undefined, udpHeaders = true): StatsSnapshot {
  const snapshot = busySnapshot(2);
  return {
    ...snapshot,
    proxy: { ...snapshot.proxy, protocol: 'udp', config: { ...snapshot.proxy.config, udpHeader: mode } },
    counters: {
      ...snapshot.counters,
      udpHeaders: udpHeaders
        ? { datagrams: { proxyV2: 4, spp: 0, bare: 40 }, headerlessDropped: 3, sppSessions: 0, headerChanges: 0 }
        : undefined,
    },
  };
}

describe('top header (UDP)', () => {
  it('Given a first-mode proxy, Then the proxy line names the mode and the counts line the datagrams by header', () => {
    const model = headerModel(udpSnapshot('first'), 120, false);
    assert.match(model.proxy, /^udp 0\.0\.0\.0:8443 \(first headers\) → /);
    assert.equal(model.datagrams, 'datagrams v2 4 · bare 40 · 3 headerless dropped');
  });

  it('Given spp, Then SPP is always shown, and a kind the mode does not expect only when it came', () => {
    assert.equal(
      headerModel(udpSnapshot('spp'), 120, false).datagrams,
      'datagrams v2 4 · spp 0 · bare 40 · 3 headerless dropped',
    );
    assert.match(headerModel(udpSnapshot('auto'), 120, false).datagrams ?? '', /^datagrams v2 4 · spp 0 · bare 40/);
  });

  it('Given a proxy from before the mode and counts, Then it reads as every, without a datagram line', () => {
    const model = headerModel(udpSnapshot(undefined, false), 120, false);
    assert.match(model.proxy, /\(every headers\)/);
    assert.equal(model.datagrams, null);
  });

  it('Given TCP, Then neither shows', () => {
    const model = headerModel(busySnapshot(2), 120, false);
    assert.doesNotMatch(model.proxy, /headers/);
    assert.equal(model.datagrams, null);
  });
});
