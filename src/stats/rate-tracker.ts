/**
 * Current rates from successive byte counts. The data plane only counts
 * bytes; the rate is the difference between two samples of the same key
 * over the time between them. One sample per key is kept, and keys that are
 * no longer reported are forgotten.
 */
import type { Throughput } from './schema.js';

/** Samples closer together than this give noisy rates; the last rate is reused instead. */
export const MIN_RATE_WINDOW_MS = 500;

interface Sample {
  atMs: number;
  toTarget: number;
  toClient: number;
  rate: Throughput;
}

export interface ByteCounts {
  toTarget: number;
  toClient: number;
  /** When counting started: the first rate of a key is averaged over its whole life. */
  sinceMs: number;
}

function perSecond(bytes: number, ms: number): number {
  return ms > 0 ? Math.max(0, Math.round((bytes * 1000) / ms)) : 0;
}

export class RateTracker<Key> {
  private readonly last = new Map<Key, Sample>();

  rate(key: Key, atMs: number, counts: ByteCounts): Throughput {
    const previous = this.last.get(key);
    if (previous && atMs - previous.atMs < MIN_RATE_WINDOW_MS) return previous.rate;
    // A count that went down belongs to something new under a reused key.
    const continues =
      previous !== undefined && counts.toTarget >= previous.toTarget && counts.toClient >= previous.toClient;
    const base = continues ? previous : { atMs: Math.min(counts.sinceMs, atMs), toTarget: 0, toClient: 0 };
    const elapsedMs = atMs - base.atMs;
    const rate = {
      toTarget: perSecond(counts.toTarget - base.toTarget, elapsedMs),
      toClient: perSecond(counts.toClient - base.toClient, elapsedMs),
    };
    this.last.set(key, { atMs, toTarget: counts.toTarget, toClient: counts.toClient, rate });
    return rate;
  }

  /** Forgets every key not in `live`, so ended flows do not accumulate. */
  retain(live: ReadonlySet<Key>): void {
    for (const key of this.last.keys()) if (!live.has(key)) this.last.delete(key);
  }
}
