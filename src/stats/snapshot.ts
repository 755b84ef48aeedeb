/**
 * Builds version-1 snapshots from a StatsSource. The builder is stateful on
 * purpose: per-flow rates need the previous sample of each flow, and
 * "recent" needs a history of the counters. One builder serves every client
 * of a proxy, so all of them see the same rates.
 */
import { FAILURE_REASONS, type DataPlaneCounters, type FailureReason, type FlowRecord } from '../base/flows.js';
import { CounterHistory } from './counter-history.js';
import { RateTracker } from './rate-tracker.js';
import {
  SNAPSHOT_VERSION,
  type CountersSnapshot,
  type FlowSnapshot,
  type StatsSnapshot,
  type Throughput,
} from './schema.js';
import type { StatsSource } from './source.js';

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

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export class SnapshotBuilder {
  private readonly now: () => number;
  private readonly maxFlows: number;
  private readonly history = new CounterHistory();
  private readonly flowRates = new RateTracker<number>();
  private readonly totalRates = new RateTracker<string>();

  constructor(
    private readonly source: StatsSource,
    options: SnapshotBuilderOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.maxFlows = options.maxFlows ?? DEFAULT_MAX_FLOWS;
    this.recordHistory();
  }

  /** Call about once a second: feeds "recent", the sparklines and the total rate. */
  recordHistory(): void {
    const atMs = this.now();
    const counters = this.source.counters();
    this.history.record(atMs, counters);
    this.totalRate(counters, atMs);
  }

  build(): StatsSnapshot {
    const atMs = this.now();
    const counters = this.source.counters();
    const records = this.source.flows();
    const { summary } = this.source;
    const flows = this.boundFlows(records.map((record) => this.flowSnapshot(record, atMs)));
    this.flowRates.retain(new Set(records.map((record) => record.id)));
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
      counters: this.countersSnapshot(counters, atMs),
      recent: this.history.recent(atMs, counters),
      flows: flows.kept,
      flowsOmitted: flows.omitted,
      sampledAt: iso(atMs),
    };
  }

  private totalRate(counters: DataPlaneCounters, atMs: number): Throughput {
    return this.totalRates.rate(TOTALS_KEY, atMs, {
      toTarget: counters.bytesToTarget,
      toClient: counters.bytesToClient,
      sinceMs: this.source.summary.startedAtMs,
    });
  }

  private countersSnapshot(counters: DataPlaneCounters, atMs: number): CountersSnapshot {
    const { udpHeaders, ...rest } = counters;
    return {
      ...rest,
      // Only where they mean something: a TCP proxy has no datagrams.
      ...(this.source.summary.protocol === 'udp' ? { udpHeaders } : {}),
      internalErrors: this.source.internalErrors?.() ?? 0,
      failures: fullFailures(counters),
      badHeaders: { ...counters.badHeaders },
      rate: this.totalRate(counters, atMs),
    };
  }

  private flowSnapshot(record: FlowRecord, atMs: number): FlowSnapshot {
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
