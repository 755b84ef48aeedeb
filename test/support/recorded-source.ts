/**
 * A StatsSource made of plain, mutable objects: what a data plane would
 * report, written down. Tests change the numbers between requests to play
 * traffic through the stats code without a proxy.
 */
import {
  FAILURE_REASONS,
  type ConnectDurations,
  type DataPlaneCounters,
  type FailureReason,
  type FlowRecord,
} from '../../src/base/flows.js';
import { sumCounters } from '../../src/base/counters-sum.js';
import type { ListenerStats, StatsSource } from '../../src/stats/source.js';

export function zeroFailures(): Record<FailureReason, number> {
  return Object.fromEntries(FAILURE_REASONS.map((reason) => [reason, 0])) as Record<FailureReason, number>;
}

/** The data plane's bucket bounds (native/src/dataplane/shared/counters.h), all counts zero unless given. */
export function recordedConnectDurations(counts: number[] = [], sumSeconds = 0): ConnectDurations {
  const boundsMs = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
  const full = boundsMs.map((_, i) => counts[i] ?? 0).concat(counts[boundsMs.length] ?? 0);
  return { boundsMs, counts: full, count: full.reduce((a, b) => a + b, 0), sumSeconds };
}

export function recordedCounters(overrides: Partial<DataPlaneCounters> = {}): DataPlaneCounters {
  return {
    accepted: 0,
    established: 0,
    active: 0,
    completed: 0,
    localHeaders: 0,
    failures: zeroFailures(),
    badHeaders: {},
    bytesToTarget: 0,
    bytesToClient: 0,
    acceptErrors: 0,
    sessionsEvicted: 0,
    datagramsDropped: 0,
    collisionFallbacks: 0,
    eventsDropped: 0,
    connectDurations: recordedConnectDurations(),
    udpHeaders: { datagrams: { proxyV2: 0, spp: 0, bare: 0 }, headerlessDropped: 0, sppSessions: 0, headerChanges: 0 },
    ...overrides,
  };
}

export function recordedFlow(id: number, overrides: Partial<FlowRecord> = {}): FlowRecord {
  return {
    id,
    worker: 0,
    protocol: 'tcp',
    state: 'established',
    loadBalancer: { family: 4, address: '127.0.0.1', port: 40000 + id },
    client: { family: 4, address: '198.51.100.7', port: 50000 + id },
    target: { family: 4, address: '127.0.0.1', port: 8080 },
    startedAtMs: Date.now() - 5000,
    bytesToTarget: 0,
    bytesToClient: 0,
    ...overrides,
  };
}

export interface RecordedSource extends StatsSource {
  current: { counters: DataPlaneCounters; flows: FlowRecord[] };
}

export function recordedSource(startedAtMs = Date.now() - 60_000): RecordedSource {
  const current = { counters: recordedCounters(), flows: [] as FlowRecord[] };
  return {
    current,
    summary: {
      pid: 4242,
      protocol: 'tcp',
      listen: { family: 4, address: '0.0.0.0', port: 8443 },
      targets: { ipv4: { family: 4, address: '127.0.0.1', port: 8080 }, ipv6: null },
      startedAtMs,
      config: {
        listeners: 2,
        mark: 0,
        allowedSubnets: [],
        dynamicDestination: false,
        listenTransparent: false,
        headerTimeoutMs: 5000,
        connectTimeoutMs: 5000,
        maxConnections: 0,
        closeAfterSeconds: 60,
        maxSessions: 0,
      },
    },
    counters: () => structuredClone(current.counters),
    flows: () => structuredClone(current.flows),
  };
}

export interface RecordedListener extends ListenerStats {
  current: { counters: DataPlaneCounters; flows: FlowRecord[] };
}

/** A listener of a config file, as a source would hand it out: TCP on 192.0.2.1:PORT unless told otherwise. */
export function recordedListener(
  name: string,
  port: number,
  overrides: Partial<Omit<ListenerStats, 'counters' | 'flows'>> = {},
): RecordedListener {
  const current = { counters: recordedCounters(), flows: [] as FlowRecord[] };
  const base = recordedSource().summary;
  return {
    current,
    name,
    protocol: 'tcp',
    listen: { family: 4, address: '192.0.2.1', port },
    lastPort: port,
    targets: { ipv4: { family: 4, address: '127.0.0.1', port: port + 1000 }, ipv6: null },
    config: base.config,
    state: 'serving',
    ...overrides,
    counters: () => structuredClone(current.counters),
    flows: () => structuredClone(current.flows),
  };
}

/** A source over `listeners` (a list the test may change between samples); its totals are their sum. */
export function recordedListenerSource(
  listeners: RecordedListener[],
  startedAtMs = Date.now() - 60_000,
): RecordedSource {
  const source = recordedSource(startedAtMs);
  return {
    ...source,
    counters: () => sumCounters(listeners.map((listener) => listener.counters())),
    flows: () => listeners.flatMap((listener) => listener.flows()),
    listeners: () => [...listeners],
  };
}
