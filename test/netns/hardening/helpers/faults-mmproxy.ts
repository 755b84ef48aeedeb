/** The real mmproxy CLI under test in the fault suites: its stats, log lines, descriptors and memory. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

import { requestSnapshot } from '../../../../src/stats/client.js';
import type { StatsSnapshot } from '../../../../src/stats/schema.js';
import { eventually } from '../../dataplane/harness/driver.js';
import type { HostProcess } from '../../../../lab/index.js';
import { jsonLines } from './faults-peer.js';

const SETTLE_MS = 250;

/** Descriptors of a process by kind: sockets must return to their count; pipes are pooled by the data plane. */
export function descriptors(pid: number): { sockets: number; pipes: number; other: number } {
  const counts = { sockets: 0, pipes: 0, other: 0 };
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let link = '';
    try {
      link = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed while listing
    }
    if (link.startsWith('socket:')) counts.sockets++;
    else if (link.startsWith('pipe:')) counts.pipes++;
    else counts.other++;
  }
  return counts;
}

export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** A log line of mmproxy --log-format json. */
export interface LogLine {
  level: string;
  kind: string;
  /** ISO 8601. */
  time: string;
  msg: string;
  code?: string;
  /** address:port of the real client, for flow events. */
  client?: string;
}

/** The real mmproxy CLI under test. */
export class Mmproxy {
  private baseline = { sockets: 0, other: 0 };

  constructor(
    readonly process: HostProcess,
    readonly port: number,
    readonly statsSocket: string,
  ) {}

  get pid(): number {
    return this.process.pid;
  }

  snapshot(): Promise<StatsSnapshot> {
    return requestSnapshot(this.statsSocket);
  }

  log(kind: string): LogLine[] {
    return jsonLines(this.process.stderr).filter((line) => line['kind'] === kind) as unknown as LogLine[];
  }

  waitForLog(kind: string, match: (line: LogLine) => boolean = () => true, timeoutMs = 20_000): Promise<LogLine> {
    return eventually(`a '${kind}' log line`, () => this.log(kind).find(match), timeoutMs);
  }

  /** Counts its descriptors now, to compare with after a test. */
  async recordBaseline(): Promise<void> {
    // RSS and descriptors are read from /proc by PID: it must be mmproxy's node itself (ip netns exec execs it).
    assert.match(readFileSync(`/proc/${this.pid}/cmdline`, 'utf8'), /bin\/mmproxy\.js/);
    await this.assertIdle();
    // The stats connection of assertIdle closes on mmproxy's side a moment later: count once the count holds.
    let last = descriptors(this.pid);
    this.baseline = await eventually('the descriptor count to settle', async () => {
      await delay(SETTLE_MS);
      const now = descriptors(this.pid);
      const settled = now.sockets === last.sockets && now.other === last.other;
      last = now;
      return settled ? now : undefined;
    });
  }

  /**
   * Still running, no flow open, and its sockets and other descriptors back to the baseline (the stats client
   * of assertIdle itself may take a moment to go); pipes stay within the data plane's pool.
   */
  async assertIdle(): Promise<void> {
    assert.equal(this.process.running, true, `mmproxy exited:\n${this.process.stderr}`);
    await eventually('no open flow', async () => ((await this.snapshot()).flows.length === 0 ? true : undefined));
    if (this.baseline.sockets === 0) return;
    const now = await eventually(
      'descriptors back to the baseline',
      () => {
        const counts = descriptors(this.pid);
        return counts.sockets === this.baseline.sockets && counts.other === this.baseline.other ? counts : undefined;
      },
      5_000,
    ).catch(() => descriptors(this.pid));
    assert.equal(now.sockets, this.baseline.sockets, 'sockets back to the baseline');
    assert.equal(now.other, this.baseline.other, 'other descriptors back to the baseline');
    // 64 idle pipes (two descriptors each) per worker at most, and one worker (-listeners 1).
    assert.ok(now.pipes <= 128, `pipes within the pool: ${now.pipes}`);
  }
}

/** Samples a process's RSS every 50 ms until stopped: the largest value seen. */
export function sampleRss(pid: number): { stop: () => number } {
  let largest = rssBytes(pid);
  const timer = setInterval(() => (largest = Math.max(largest, rssBytes(pid))), 50);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(largest, rssBytes(pid));
    },
  };
}
