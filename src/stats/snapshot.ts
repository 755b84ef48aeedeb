/**
 * Builds version-1 snapshots from a StatsSource. The builder is stateful on
 * purpose: per-flow rates need the previous sample of each flow, and
 * "recent" needs a history of the counters. One builder serves every client
 * of a proxy, so all of them see the same rates.
 */
import { FAILURE_REASONS, type DataPlaneCounters, type FailureReason, type FlowRecord } from '../base/flows.js';
import { CounterHistory } from './counter-history.js';
import { sourceListeners } from './listeners.js';
import { RateTracker, type ByteCounts } from './rate-tracker.js';
import {
  SNAPSHOT_VERSION,
  type CountersSnapshot,
  type FlowSnapshot,
  type ListenerSnapshot,
  type StatsSnapshot,
  type Throughput,
} from './schema.js';
import type { ListenerStats, StatsSource } from './source.js';

/** Enough for any terminal or script; beyond it the slowest flows are left out (and counted). */
export const DEFAULT_MAX_FLOWS = 5000;

export interface SnapshotBuilderOptions {
  now?: () => number;
  maxFlows?: number;
}

const TOTALS_KEY = 'totals';

function fullFailures(counters: DataPlaneCounters): Record<FailureReason, number> {
  const failures = {} as Record<FailureReason, number>;
  for (const reason of FAILURE_REASONS) failures[reason] = counters.failures[reason] ?? 0;
  return failures;
}

/** Counters as a snapshot carries them, for the whole process or one listener. */
function countersSnapshot(
  counters: DataPlaneCounters,
  udp: boolean,
  rate: Throughput,
): Omit<CountersSnapshot, 'internalErrors'> {
  const { udpHeaders, ...rest } = counters;
  return {
    ...rest,
    // Only where they mean something: a TCP listener has no datagrams.
    ...(udp ? { udpHeaders } : {}),
    failures: fullFailures(counters),
    badHeaders: { ...counters.badHeaders },
    rate,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A byte count's rate, keyed by what it belongs to, started at `sinceMs` when first seen. */
function byteCounts(counters: DataPlaneCounters, sinceMs: number): ByteCounts {
  return { toTarget: counters.bytesToTarget, toClient: counters.bytesToClient, sinceMs };
}

export class SnapshotBuilder {
  private readonly now: () => number;
  private readonly maxFlows: number;
  private readonly history = new CounterHistory();
  private readonly flowRates = new RateTracker<number>();
  private readonly totalRates = new RateTracker<string>();
  private readonly listenerRates = new RateTracker<string>();
  /** When each listener was first seen: the first rate of one added by a reload starts there, not at start-up. */
  private readonly listenerSinceMs = new Map<string, number>();
  /** Listeners seen after the first sample were added by a reload. */
  private sampledOnce = false;

  constructor(
    private readonly source: StatsSource,
    options: SnapshotBuilderOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.maxFlows = options.maxFlows ?? DEFAULT_MAX_FLOWS;
    this.recordHistory();
    this.sampledOnce = true;
  }

  /** Call about once a second: feeds "recent", the sparklines and the total and per-listener rates. */
  recordHistory(): void {
    const atMs = this.now();
    const counters = this.source.counters();
    this.history.record(atMs, counters);
    this.totalRate(counters, atMs);
    for (const listener of this.currentListeners()) this.listenerRate(listener.name, listener.counters(), atMs);
  }

  build(): StatsSnapshot {
    const atMs = this.now();
    const counters = this.source.counters();
    const listeners = this.currentListeners();
    const records = listeners.flatMap((listener) =>
      listener.flows().map((record) => ({ record, listener: listener.name })),
    );
    const { summary } = this.source;
    const flows = this.boundFlows(records.map(({ record, listener }) => this.flowSnapshot(record, listener, atMs)));
    this.flowRates.retain(new Set(records.map(({ record }) => record.id)));
    const anyUdp = listeners.some((listener) => listener.protocol === 'udp') || summary.protocol === 'udp';
    return {
      version: SNAPSHOT_VERSION,
      proxy: {
        pid: summary.pid,
        protocol: summary.protocol,
        listen: summary.listen,
        targets: summary.targets,
        startedAt: iso(summary.startedAtMs),
        uptimeSeconds: Math.max(0, Math.floor((atMs - summary.startedAtMs) / 1000)),
        config: summary.config,
        ...(summary.build ? { build: summary.build } : {}),
        ...(summary.host ? { host: summary.host } : {}),
      },
      counters: {
        ...countersSnapshot(counters, anyUdp, this.totalRate(counters, atMs)),
        internalErrors: this.source.internalErrors?.() ?? 0,
      },
      listeners: listeners.map((listener) => this.listenerSnapshot(listener, atMs)),
      recent: this.history.recent(atMs, counters),
      flows: flows.kept,
      flowsOmitted: flows.omitted,
      sampledAt: iso(atMs),
    };
  }

  /** The source's listeners now; the rates of those a reload removed are forgotten. */
  private currentListeners(): ListenerStats[] {
    const listeners = sourceListeners(this.source);
    const names = new Set(listeners.map((listener) => listener.name));
    this.listenerRates.retain(names);
    for (const name of this.listenerSinceMs.keys()) if (!names.has(name)) this.listenerSinceMs.delete(name);
    return listeners;
  }

  private listenerSnapshot(listener: ListenerStats, atMs: number): ListenerSnapshot {
    const counters = listener.counters();
    return {
      name: listener.name,
      protocol: listener.protocol,
      listen: listener.listen,
      lastPort: listener.lastPort,
      targets: listener.targets,
      config: listener.config,
      state: listener.state,
      counters: countersSnapshot(
        counters,
        listener.protocol === 'udp',
        this.listenerRate(listener.name, counters, atMs),
      ),
    };
  }

  private totalRate(counters: DataPlaneCounters, atMs: number): Throughput {
    return this.totalRates.rate(TOTALS_KEY, atMs, byteCounts(counters, this.source.summary.startedAtMs));
  }

  private listenerRate(name: string, counters: DataPlaneCounters, atMs: number): Throughput {
    let sinceMs = this.listenerSinceMs.get(name);
    if (sinceMs === undefined) {
      // Those of the first sample started with the proxy; any later one with the reload that added it.
      sinceMs = this.sampledOnce ? atMs : this.source.summary.startedAtMs;
      this.listenerSinceMs.set(name, sinceMs);
    }
    return this.listenerRates.rate(name, atMs, byteCounts(counters, sinceMs));
  }

  private flowSnapshot(record: FlowRecord, listener: string, atMs: number): FlowSnapshot {
    return {
      id: record.id,
      worker: record.worker,
      protocol: record.protocol,
      state: record.state,
      loadBalancer: record.loadBalancer,
      client: record.client,
      target: record.target,
      startedAt: iso(record.startedAtMs),
      ageSeconds: Math.max(0, Math.floor((atMs - record.startedAtMs) / 1000)),
      bytesToTarget: record.bytesToTarget,
      bytesToClient: record.bytesToClient,
      rate: this.flowRates.rate(record.id, atMs, {
        toTarget: record.bytesToTarget,
        toClient: record.bytesToClient,
        sinceMs: record.startedAtMs,
      }),
      listener,
    };
  }

  private boundFlows(flows: FlowSnapshot[]): { kept: FlowSnapshot[]; omitted: number } {
    let kept = flows;
    if (flows.length > this.maxFlows) {
      const busiestFirst = [...flows].sort(
        (a, b) => b.rate.toTarget + b.rate.toClient - (a.rate.toTarget + a.rate.toClient),
      );
      kept = busiestFirst.slice(0, this.maxFlows);
    }
    return { kept: [...kept].sort((a, b) => a.id - b.id), omitted: flows.length - kept.length };
  }
}
