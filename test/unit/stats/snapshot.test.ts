import assert from 'node:assert/strict';

import { SnapshotBuilder } from '../../../src/stats/snapshot.js';
import { recordedCounters, recordedFlow, recordedSource } from '../../support/recorded-source.js';

describe('stats snapshot builder', () => {
  const START = Date.UTC(2026, 10, 25, 20, 0, 0);

  function given(): { clock: { now: number }; source: ReturnType<typeof recordedSource>; builder: SnapshotBuilder } {
    const clock = { now: START + 60_000 };
    const source = recordedSource(START);
    const builder = new SnapshotBuilder(source, { now: () => clock.now });
    return { clock, source, builder };
  }

  it('describes the proxy: version 1, uptime, config, every failure reason present', () => {
    const { builder } = given();
    const snapshot = builder.build();
    assert.equal(snapshot.version, 1);
    assert.equal(snapshot.proxy.pid, 4242);
    assert.equal(snapshot.proxy.uptimeSeconds, 60);
    assert.equal(snapshot.proxy.startedAt, '2026-11-25T20:00:00.000Z');
    assert.equal(snapshot.sampledAt, '2026-11-25T20:01:00.000Z');
    assert.equal(snapshot.counters.failures.connect_timeout, 0);
    assert.equal(snapshot.proxy.config.listeners, 2);
    assert.deepEqual(JSON.parse(JSON.stringify(snapshot)), snapshot, 'the snapshot is plain JSON');
  });

  it('carries the UDP header counts for a UDP proxy only (added within version 1)', () => {
    const { builder, source } = given();
    assert.equal(builder.build().counters.udpHeaders, undefined, 'a TCP proxy has no datagrams');
    source.summary = { ...source.summary, protocol: 'udp', config: { ...source.summary.config, udpHeader: 'spp' } };
    source.current.counters = recordedCounters({
      udpHeaders: {
        datagrams: { proxyV2: 0, spp: 9, bare: 0 },
        headerlessDropped: 0,
        sppSessions: 3,
        headerChanges: 0,
      },
    });
    const snapshot = builder.build();
    assert.equal(snapshot.proxy.config.udpHeader, 'spp');
    assert.equal(snapshot.counters.udpHeaders?.sppSessions, 3);
    assert.equal(snapshot.counters.udpHeaders?.datagrams.spp, 9);
  });

  it('gives a flow seen once its average rate, then the rate between two samples', () => {
    // Given a flow that started 10 s ago and has moved 10 000 bytes to the target
    const { clock, source, builder } = given();
    source.current.flows = [recordedFlow(1, { startedAtMs: clock.now - 10_000, bytesToTarget: 10_000 })];
    // When it is sampled, then 2 s later after 6 000 more bytes each way
    const first = builder.build().flows[0]!;
    clock.now += 2000;
    source.current.flows = [
      recordedFlow(1, { startedAtMs: clock.now - 12_000, bytesToTarget: 16_000, bytesToClient: 6000 }),
    ];
    const second = builder.build().flows[0]!;
    // Then the first rate is over its life and the second over the 2 s between samples
    assert.deepEqual(first.rate, { toTarget: 1000, toClient: 0 });
    assert.deepEqual(second.rate, { toTarget: 3000, toClient: 3000 });
    assert.equal(second.ageSeconds, 12);
  });

  it('reuses the last rate when asked again too soon, instead of dividing by nearly nothing', () => {
    const { clock, source, builder } = given();
    source.current.flows = [recordedFlow(1, { startedAtMs: clock.now - 1000, bytesToTarget: 1000 })];
    builder.build();
    clock.now += 10;
    source.current.flows = [recordedFlow(1, { startedAtMs: clock.now - 1010, bytesToTarget: 5000 })];
    assert.deepEqual(builder.build().flows[0]!.rate, { toTarget: 1000, toClient: 0 });
  });

  it('computes total throughput from the cumulative byte counters', () => {
    // Given counters sampled at zero when the builder started, then 60 000 bytes 2 s later
    const { clock, source, builder } = given();
    clock.now += 2000;
    source.current.counters = recordedCounters({ bytesToTarget: 60_000 });
    assert.equal(builder.build().counters.rate.toTarget, 30_000);
    clock.now += 1000;
    source.current.counters = recordedCounters({ bytesToTarget: 65_000, bytesToClient: 2000 });
    assert.deepEqual(builder.build().counters.rate, { toTarget: 5000, toClient: 2000 });
  });

  it('reports recent failures and a per-second throughput history', () => {
    // Given three connect timeouts over 3 s of history with 1000 B/s to the target
    const { clock, source, builder } = given();
    for (let second = 1; second <= 3; second++) {
      clock.now += 1000;
      const failures = { ...recordedCounters().failures, connect_timeout: second };
      source.current.counters = recordedCounters({ failures, bytesToTarget: 1000 * second, accepted: second });
      builder.recordHistory();
    }
    // When a snapshot is built
    const { recent } = builder.build();
    // Then the window shows them
    assert.equal(recent.windowSeconds, 3);
    assert.deepEqual(recent.failures, { connect_timeout: 3 });
    assert.equal(recent.accepted, 3);
    assert.equal(recent.established, 0);
    assert.deepEqual(recent.throughput, [
      { toTarget: 1000, toClient: 0 },
      { toTarget: 1000, toClient: 0 },
      { toTarget: 1000, toClient: 0 },
    ]);
  });

  it('counts connect timeouts in a row since the last connect that succeeded', () => {
    // Given connects that succeed for two seconds (one timeout among them), then only time out
    const { clock, source, builder } = given();
    const timeline = [
      { established: 1, timeouts: 0 },
      { established: 2, timeouts: 1 },
      { established: 2, timeouts: 2 },
      { established: 2, timeouts: 3 },
      { established: 2, timeouts: 4 },
    ];
    for (const { established, timeouts } of timeline) {
      clock.now += 1000;
      source.current.counters = recordedCounters({
        established,
        failures: { ...recordedCounters().failures, connect_timeout: timeouts },
      });
      builder.recordHistory();
    }
    // Then the run is the three timeouts after the last success, not all four of the window
    assert.equal(builder.build().recent.connectTimeoutRun, 3);
    assert.equal(builder.build().recent.failures.connect_timeout, 4);
    // And one success ends the run
    clock.now += 1000;
    source.current.counters = recordedCounters({
      established: 3,
      failures: { ...recordedCounters().failures, connect_timeout: 4 },
    });
    assert.equal(builder.build().recent.connectTimeoutRun, 0);
  });

  it('keeps the history to about a minute', () => {
    const { clock, builder } = given();
    for (let second = 0; second < 200; second++) {
      clock.now += 1000;
      builder.recordHistory();
    }
    const { recent } = builder.build();
    assert.equal(recent.windowSeconds, 60);
    assert.equal(recent.throughput.length, 60);
  });

  it('bounds the flow list, keeping the busiest and counting the rest', () => {
    const clock = { now: START + 60_000 };
    const source = recordedSource(START);
    const builder = new SnapshotBuilder(source, { now: () => clock.now, maxFlows: 2 });
    source.current.flows = [10, 500, 20, 900].map((bytes, i) =>
      recordedFlow(i + 1, { startedAtMs: clock.now - 1000, bytesToClient: bytes }),
    );
    const snapshot = builder.build();
    assert.deepEqual(
      snapshot.flows.map((flow) => flow.id),
      [2, 4],
    );
    assert.equal(snapshot.flowsOmitted, 2);
  });

  it('forgets the samples of flows that ended', () => {
    const { clock, source, builder } = given();
    source.current.flows = [recordedFlow(7, { startedAtMs: clock.now - 1000, bytesToTarget: 1_000_000 })];
    builder.build();
    source.current.flows = [];
    clock.now += 1000;
    builder.build();
    // Same id again (a reused id) with fewer bytes: treated as new, not as a negative rate.
    clock.now += 1000;
    source.current.flows = [recordedFlow(7, { startedAtMs: clock.now - 1000, bytesToTarget: 500 })];
    assert.deepEqual(builder.build().flows[0]!.rate, { toTarget: 500, toClient: 0 });
  });
});
