import assert from 'node:assert/strict';
import { sumCounters, zeroCounters } from '../../../src/base/counters-sum.js';
import { FAILURE_REASONS, type DataPlaneCounters } from '../../../src/base/flows.js';

function sample(seed: number): DataPlaneCounters {
  const counters = zeroCounters([0.1, 1, 10]);
  counters.accepted = seed;
  counters.active = seed + 1;
  counters.bytesToTarget = seed * 1000;
  counters.failures.connect_timeout = seed;
  counters.failures.local_client = 2 * seed;
  counters.badHeaders = { ERR_V1_TOO_LONG: seed };
  counters.connectDurations.counts = [seed, 0, 1, 2];
  counters.connectDurations.count = seed + 3;
  counters.connectDurations.sumSeconds = seed / 10;
  counters.udpHeaders.datagrams.spp = seed;
  counters.udpHeaders.headerChanges = 1;
  return counters;
}

describe('sumCounters', () => {
  it('adds every count, failure reason, parser code, bucket and UDP header count', () => {
    const total = sumCounters([sample(1), sample(4)]);
    assert.equal(total.accepted, 5);
    assert.equal(total.active, 7);
    assert.equal(total.bytesToTarget, 5000);
    assert.equal(total.failures.connect_timeout, 5);
    assert.equal(total.failures.local_client, 10);
    assert.deepEqual(total.badHeaders, { ERR_V1_TOO_LONG: 5 });
    assert.deepEqual(total.connectDurations.boundsMs, [0.1, 1, 10]);
    assert.deepEqual(total.connectDurations.counts, [5, 0, 2, 4]);
    assert.equal(total.connectDurations.count, 11);
    assert.ok(Math.abs(total.connectDurations.sumSeconds - 0.5) < 1e-9);
    assert.equal(total.udpHeaders.datagrams.spp, 5);
    assert.equal(total.udpHeaders.headerChanges, 2);
  });

  it('is all zeros, every failure reason present, for no parts', () => {
    const total = sumCounters([]);
    assert.equal(total.accepted, 0);
    assert.deepEqual(Object.keys(total.failures), [...FAILURE_REASONS]);
    assert.deepEqual(total.connectDurations.counts, [0]);
  });

  it('leaves its parts as they were', () => {
    const part = sample(2);
    const before = structuredClone(part);
    sumCounters([part, sample(3)]);
    assert.deepEqual(part, before);
  });
});
