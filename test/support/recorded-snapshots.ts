/**
 * Snapshots as the stats server would send them, made by the real
 * SnapshotBuilder from recorded data and a fixed clock, so they are
 * deterministic: the same frame every run.
 */
import type { DataPlaneCounters, FlowRecord } from '../../src/base/flows.js';
import type { StatsSnapshot } from '../../src/stats/schema.js';
import { SnapshotBuilder } from '../../src/stats/snapshot.js';
import {
  recordedCounters,
  recordedFlow,
  recordedListener,
  recordedListenerSource,
  recordedSource,
  zeroFailures,
} from './recorded-source.js';

export const RECORDED_AT = Date.UTC(2026, 10, 25, 20, 15, 0);
const STARTED_AT = RECORDED_AT - 3 * 3600_000 - 125_000;

/** Samples once a second for `seconds`, moving the counters with `step`, then builds. */
function record(
  seconds: number,
  step: (second: number) => { counters: DataPlaneCounters; flows: FlowRecord[] },
): StatsSnapshot {
  const clock = { now: RECORDED_AT - seconds * 1000 };
  const source = recordedSource(STARTED_AT);
  Object.assign(source.current, step(0));
  const builder = new SnapshotBuilder(source, { now: () => clock.now });
  builder.build();
  for (let second = 1; second <= seconds; second++) {
    clock.now += 1000;
    Object.assign(source.current, step(second));
    builder.recordHistory();
  }
  return builder.build();
}

export function emptySnapshot(): StatsSnapshot {
  return record(5, () => ({ counters: recordedCounters(), flows: [] }));
}

/** `count` flows from 203.0.113.0/24 with different rates and ages, one IPv6 client, some failures. */
export function busySnapshot(count = 40): StatsSnapshot {
  return record(30, (second) => {
    const flows = Array.from({ length: count }, (_, i) =>
      recordedFlow(i + 1, {
        client: { family: 4, address: `203.0.113.${(i % 250) + 1}`, port: 40000 + i },
        loadBalancer: { family: 4, address: '192.0.2.10', port: 30000 + i },
        startedAtMs: RECORDED_AT - 60_000 - i * 11_000,
        bytesToTarget: (i + 1) * 1000 * second,
        bytesToClient: (i + 1) * 20_000 * second + (i % 3) * 7,
        state: i % 7 === 3 ? 'connecting' : 'established',
      }),
    );
    flows.push(
      recordedFlow(count + 1, {
        client: { family: 6, address: '2001:db8:85a3::8a2e:370:7334', port: 51234 },
        loadBalancer: { family: 6, address: '2001:db8::10', port: 33333 },
        target: { family: 6, address: '::1', port: 8080 },
        startedAtMs: RECORDED_AT - 5000,
        bytesToTarget: 100 * second,
        bytesToClient: 100 * second,
      }),
    );
    const failures = { ...zeroFailures(), connect_refused: 1, bad_header: 2 };
    return {
      counters: recordedCounters({
        accepted: 1000 + second,
        established: 990 + second,
        active: count + 1,
        completed: 950,
        failures,
        badHeaders: { ERR_V1_TOO_LONG: 2 },
        bytesToTarget: 5_000_000 + second * 300_000,
        bytesToClient: 90_000_000 + second * (second % 5) * 1_000_000,
      }),
      flows,
    };
  });
}

/** What missing loopback routing looks like: every upstream connect times out. */
export function connectTimeoutSnapshot(): StatsSnapshot {
  return record(20, (second) => ({
    counters: recordedCounters({
      accepted: second,
      established: 0,
      active: 2,
      failures: { ...zeroFailures(), connect_timeout: Math.floor(second / 2) },
    }),
    flows: [
      recordedFlow(1, { state: 'connecting', startedAtMs: RECORDED_AT - 2000 }),
      recordedFlow(2, { state: 'connecting', startedAtMs: RECORDED_AT - 1000 }),
    ],
  }));
}

/**
 * Three listeners (issue 17): web (TCP, a port range, 3 flows), dns (UDP, 2 flows, failures) and old (TCP,
 * draining its last flow), sampled once a second for 10 s.
 */
export function listenersSnapshot(): StatsSnapshot {
  const web = recordedListener('web', 8443, { lastPort: 8450 });
  const dns = recordedListener('dns', 5353, { protocol: 'udp' });
  const old = recordedListener('old', 9000, { state: 'draining' });
  const clock = { now: RECORDED_AT - 10_000 };
  const step = (second: number): void => {
    const flow = (id: number, client: string, bytes: number): FlowRecord =>
      recordedFlow(id, {
        client: { family: 4, address: client, port: 40000 + id },
        loadBalancer: { family: 4, address: '192.0.2.10', port: 30000 + id },
        startedAtMs: RECORDED_AT - 60_000 - id * 1000,
        bytesToTarget: bytes * second,
        bytesToClient: bytes * 10 * second,
      });
    web.current.flows = [flow(1, '203.0.113.1', 1000), flow(4, '203.0.113.4', 4000), flow(6, '203.0.113.6', 100)];
    web.current.counters = recordedCounters({ active: 3, accepted: 40, bytesToTarget: 5100 * second });
    dns.current.flows = [flow(2, '198.51.100.2', 50), flow(5, '198.51.100.5', 20)].map((f) => ({
      ...f,
      protocol: 'udp' as const,
    }));
    dns.current.counters = recordedCounters({
      active: 2,
      accepted: 9,
      bytesToClient: 700 * second,
      failures: { ...zeroFailures(), connect_refused: 2, bad_header: 1 },
    });
    old.current.flows = [flow(3, '203.0.113.3', 10)];
    old.current.counters = recordedCounters({ active: 1, accepted: 100 });
  };
  step(0);
  const source = recordedListenerSource([web, dns, old], STARTED_AT);
  const builder = new SnapshotBuilder(source, { now: () => clock.now });
  for (let second = 1; second <= 10; second++) {
    clock.now += 1000;
    step(second);
    builder.recordHistory();
  }
  return builder.build();
}
