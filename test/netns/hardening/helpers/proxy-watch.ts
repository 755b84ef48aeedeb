/**
 * What the suites read from a running mmproxy: its counters through the stats socket (as `mmproxy top` does),
 * its open flows, and its descriptors from /proc/<pid>/fd (the test runs in the root PID namespace).
 */
import assert from 'node:assert/strict';
import { readdir, readlink } from 'node:fs/promises';

import { requestSnapshot } from '../../../../src/stats/client.js';
import type { StatsSnapshot } from '../../../../src/stats/schema.js';

/** Counter name → value, flattened: 'accepted', 'failures.bad_header', 'badHeaders.ERR_V1_TOO_LONG', ... */
export type Counts = Record<string, number>;

/**
 * Gauges and byte counts move with the legitimate flow, and dropped log events depend on how fast JavaScript
 * reads them: none of them is an exact per-class count.
 */
const NOT_EXACT = new Set(['active', 'bytesToTarget', 'bytesToClient', 'eventsDropped', 'connectDurations', 'rate']);

export function countsOf(snapshot: StatsSnapshot): Counts {
  const counts: Counts = {};
  for (const [key, value] of Object.entries(snapshot.counters)) {
    if (NOT_EXACT.has(key)) continue;
    if (typeof value === 'number') counts[key] = value;
    else if (value !== null && typeof value === 'object') {
      for (const [inner, count] of Object.entries(value as Record<string, unknown>)) {
        if (typeof count === 'number') counts[`${key}.${inner}`] = count;
      }
    }
  }
  return counts;
}

/** after - before, leaving out what did not move. */
export function delta(before: Counts, after: Counts): Counts {
  const moved: Counts = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const change = (after[key] ?? 0) - (before[key] ?? 0);
    if (change !== 0) moved[key] = change;
  }
  return moved;
}

/** The counters a rejected header moves: the failure and its code. */
export const badHeader = (code: string): string[] => ['failures.bad_header', `badHeaders.${code}`];

/** Adds `amount` to each key. */
export function bump(counts: Counts, keys: readonly string[], amount = 1): void {
  for (const key of keys) counts[key] = (counts[key] ?? 0) + amount;
}

export interface FdCount {
  total: number;
  sockets: number;
  pipes: number;
}

export interface Settled {
  flowIds: number[];
  fds: FdCount;
  counts: Counts;
}

const SETTLE_POLL_MS = 100;
/**
 * A flow relaying in bulk borrows a pooled pipe per direction (two descriptors each), and the pool keeps them:
 * the legitimate flow may do so once, if a stall lets 32 KiB queue up. Hostile connections never relay.
 */
const PIPES_ONE_FLOW_MAY_POOL = 4;

/** Sockets and everything else exactly as at baseline; pipes at most one flow's worth more. */
function sameDescriptors(fds: FdCount, baseline: FdCount): boolean {
  const others = (count: FdCount): number => count.total - count.sockets - count.pipes;
  return (
    fds.sockets === baseline.sockets &&
    others(fds) === others(baseline) &&
    fds.pipes >= baseline.pipes &&
    fds.pipes <= baseline.pipes + PIPES_ONE_FLOW_MAY_POOL
  );
}

export class ProxyWatch {
  constructor(
    readonly statsSocket: string,
    readonly pid: number,
  ) {}

  static async attach(statsSocket: string): Promise<ProxyWatch> {
    return new ProxyWatch(statsSocket, (await requestSnapshot(statsSocket)).proxy.pid);
  }

  snapshot(): Promise<StatsSnapshot> {
    return requestSnapshot(this.statsSocket);
  }

  async fds(): Promise<FdCount> {
    const dir = `/proc/${this.pid}/fd`;
    const count: FdCount = { total: 0, sockets: 0, pipes: 0 };
    for (const name of await readdir(dir)) {
      // A descriptor may close between the listing and the readlink.
      const target = await readlink(`${dir}/${name}`).catch(() => null);
      if (target === null) continue;
      count.total++;
      if (target.startsWith('socket:')) count.sockets++;
      else if (target.startsWith('pipe:')) count.pipes++;
    }
    return count;
  }

  /**
   * The descriptors once the last stats request's own socket has closed (it lingers a moment after the answer,
   * longer under a sanitizer): read from /proc only, until the same count comes back five times in a row,
   * within `timeoutMs`. A baseline taken straight after a snapshot can count that socket, and every later settle
   * then waits for a socket that is already gone.
   */
  async quietFds(timeoutMs = 10_000): Promise<FdCount> {
    const deadline = Date.now() + timeoutMs;
    let last = await this.fds();
    for (let same = 1; same < 5;) {
      if (Date.now() >= deadline) assert.fail(`mmproxy's descriptors did not settle: ${JSON.stringify(last)}`);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
      const now = await this.fds();
      same = JSON.stringify(now) === JSON.stringify(last) ? same + 1 : 1;
      last = now;
    }
    return last;
  }

  /**
   * Polls until only `flowIds` are open, the descriptors are back to `baseline` (the stats request's own socket
   * closes a moment after the answer) and `until` holds for the counters (the last connections of a class may
   * still be in the accept queue when the sender is done), then returns what it saw. After `timeoutMs` it
   * returns what it saw last if only `until` failed (the caller's assertion shows the difference), and fails
   * otherwise. A bound, not a timing: nothing asserts how fast it settles.
   */
  async settle(
    flowIds: number[],
    baseline: FdCount | null,
    until = (_counts: Counts) => true,
    timeoutMs = 15_000,
  ): Promise<Settled> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const snapshot = await this.snapshot();
      const fds = await this.fds();
      const seen: Settled = { flowIds: snapshot.flows.map((flow) => flow.id), fds, counts: countsOf(snapshot) };
      const flowsBack = seen.flowIds.join() === flowIds.join() && snapshot.flowsOmitted === 0;
      const fdsBack = baseline === null || sameDescriptors(fds, baseline);
      if (flowsBack && fdsBack && until(seen.counts)) return seen;
      if (Date.now() >= deadline) {
        if (flowsBack && fdsBack) return seen;
        assert.fail(
          `mmproxy did not settle: open flows ${JSON.stringify(seen.flowIds)} (expected ${JSON.stringify(flowIds)}, ` +
            `${snapshot.flowsOmitted} omitted); descriptors ${JSON.stringify(fds)} (baseline ${JSON.stringify(baseline)})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    }
  }
}
