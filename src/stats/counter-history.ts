/**
 * A short history of the cumulative counters, sampled about once a second,
 * so a snapshot can say what happened recently (failures in the last minute,
 * throughput per second for the sparklines) and not just since start.
 */
import { FAILURE_REASONS, type DataPlaneCounters, type FailureReason } from '../base/flows.js';
import type { RecentActivity, Throughput } from './schema.js';

const HISTORY_WINDOW_SECONDS = 60;

interface CounterSample {
  atMs: number;
  bytesToTarget: number;
  bytesToClient: number;
  accepted: number;
  established: number;
  failures: Record<FailureReason, number>;
}

function toSample(atMs: number, counters: DataPlaneCounters): CounterSample {
  const failures = {} as Record<FailureReason, number>;
  for (const reason of FAILURE_REASONS) failures[reason] = counters.failures[reason] ?? 0;
  return {
    atMs,
    bytesToTarget: counters.bytesToTarget,
    bytesToClient: counters.bytesToClient,
    accepted: counters.accepted,
    established: counters.established,
    failures,
  };
}

function throughputBetween(older: CounterSample, newer: CounterSample): Throughput {
  const seconds = (newer.atMs - older.atMs) / 1000;
  if (seconds <= 0) return { toTarget: 0, toClient: 0 };
  return {
    toTarget: Math.max(0, Math.round((newer.bytesToTarget - older.bytesToTarget) / seconds)),
    toClient: Math.max(0, Math.round((newer.bytesToClient - older.bytesToClient) / seconds)),
  };
}

export class CounterHistory {
  private samples: CounterSample[] = [];

  constructor(private readonly windowSeconds = HISTORY_WINDOW_SECONDS) {}

  record(atMs: number, counters: DataPlaneCounters): void {
    this.samples.push(toSample(atMs, counters));
    const oldestKept = atMs - this.windowSeconds * 1000;
    // Keep one sample at or before the window's start so the window is fully covered.
    while (this.samples.length > 2 && this.samples[1]!.atMs <= oldestKept) this.samples.shift();
  }

  /** Activity between the oldest kept sample and `counters` read at `atMs`. */
  recent(atMs: number, counters: DataPlaneCounters): RecentActivity {
    const now = toSample(atMs, counters);
    const oldest = this.samples[0] ?? now;
    const throughput: Throughput[] = [];
    for (let i = 1; i < this.samples.length; i++) {
      throughput.push(throughputBetween(this.samples[i - 1]!, this.samples[i]!));
    }
    const failures: Partial<Record<FailureReason, number>> = {};
    for (const reason of FAILURE_REASONS) {
      const delta = now.failures[reason] - oldest.failures[reason];
      if (delta > 0) failures[reason] = delta;
    }
    return {
      windowSeconds: Math.round((atMs - oldest.atMs) / 1000),
      throughput,
      failures,
      accepted: Math.max(0, now.accepted - oldest.accepted),
      established: Math.max(0, now.established - oldest.established),
      connectTimeoutRun: this.connectTimeoutRun(now),
    };
  }

  /** Walks back from `now` through the samples until a second in which a connect succeeded. */
  private connectTimeoutRun(now: CounterSample): number {
    let run = 0;
    let newer = now;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const older = this.samples[i]!;
      if (newer.established > older.established) break;
      run += Math.max(0, newer.failures.connect_timeout - older.failures.connect_timeout);
      newer = older;
    }
    return run;
  }
}
