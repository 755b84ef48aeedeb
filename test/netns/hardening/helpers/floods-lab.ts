/*
 * The flood suites' network: a load generator that writes the PROXY v2 headers itself (HAProxy in front would
 * need as many descriptors as mmproxy), the real `mmproxy` CLI, and an echo backend. Load generator and backend
 * are the benchmark's C tools (scripts/bench/c), each in its own process with its own open-files limit.
 *
 *   ┌─ lb ───────────────────────────────────┐      ┌─ app ─────────────────────────────────────────┐
 *   │ loadgen: PROXY v2 headers, clients     │      │ mmproxy 192.0.2.2:85xx → 127.0.0.1:7100        │
 *   │   198.51.100.1-254, ports 1024-65023   ├──────┤ backend (echo) 127.0.0.1:7100                  │
 *   │ eth0 192.0.2.1/24                      │ veth │ eth0 192.0.2.2/24, loopback routing (table 123)│
 *   │ tcp_tw_reuse=1, ports 1024-65535       │      └────────────────────────────────────────────────┘
 *   └────────────────────────────────────────┘
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { requestSnapshot } from '../../../../src/stats/client.js';
import type { StatsSnapshot } from '../../../../src/stats/schema.js';
import { assertNoLeaks, type Host, type HostProcess, Lab } from '../../../../lab/index.js';
import { startMmproxy } from '../../../../lab/mmproxy/mmproxy-process.js';
import { type Usage, usage } from './process-usage.js';

export const LB = '192.0.2.1';
export const APP = '192.0.2.2';
export const BACKEND = '127.0.0.1:7100';

const BUILD_TOOLS = fileURLToPath(new URL('../../../../../scripts/bench/build-tools.sh', import.meta.url));
const POLL_MS = 100;
const SETTLED_POLLS = 3;

/** The load generator's connrate summary (scripts/bench/c/loadgen_connrate.c). */
export interface ConnrateResult {
  attempts: number;
  completed: number;
  seconds: number;
  conns_per_s: number;
  p50_us: number;
  p99_us: number;
  connect_errors: number;
  closed_early: number;
  timeouts: number;
  corrupted: number;
}

/** The load generator's idle summary, printed once every connection is up (loadgen_idle.c). */
export interface IdleResult {
  conns: number;
  established: number;
  open_seconds: number;
}

/** Its second line with --echo-at-end: connections that got their last echo intact, then the FIN. */
export interface IdleEndResult {
  conns: number;
  intact: number;
  seconds: number;
}

export class FloodLab {
  readonly lab: Lab;
  lb!: Host;
  app!: Host;
  private dir = '';
  private nextPort = 8500;
  /** The next spoofed client index (scripts/bench/c/proxy_v2.c): no two connections of a suite claim one. */
  private nextClient = 0;
  private started: HostProcess[] = [];

  constructor(label: string) {
    this.lab = Lab.create(label);
  }

  async build(): Promise<void> {
    [this.lb, this.app] = [await this.lab.host('lb'), await this.lab.host('app')];
    await this.lab.link(this.lb, this.app, { a: { v4: `${LB}/24` }, b: { v4: `${APP}/24` } });
    await this.app.addLoopbackRouting();
    // Client-side TIME_WAIT: the load generator closes first, thousands of times a second. In this namespace
    // only: reuse a TIME_WAIT port for a new connect after a second, from the widest port range.
    await this.lb.sysctl('net.ipv4.tcp_tw_reuse', 1);
    await this.lb.sysctl('net.ipv4.ip_local_port_range', '1024 65535');
    this.dir = await mkdtemp(join(tmpdir(), 'mmproxy-floods-'));
    // Plain gcc, nothing networked: run through a host only to land in the lab's command log.
    await this.app.run(['bash', BUILD_TOOLS, this.dir], { timeoutMs: 60_000 });
    // Shared by the suite's tests; the lab stops it at teardown.
    this.app.spawn([this.tool('backend'), 'echo', '--listen', BACKEND]);
    await this.app.waitForPort(Number(BACKEND.split(':')[1]));
  }

  tool(name: 'loadgen' | 'backend'): string {
    return join(this.dir, name);
  }

  port(): number {
    return ++this.nextPort;
  }

  statsSocket(port: number): string {
    return join(this.dir, `stats-${port}.sock`);
  }

  /** The real CLI in the app host, on APP:port, forwarding IPv4 clients to the backend. */
  async mmproxy(port: number, flags: string[], options: { maxOpenFiles?: number } = {}): Promise<HostProcess> {
    const args = ['-l', `${APP}:${port}`, '-4', BACKEND, '--stats-socket', this.statsSocket(port), ...flags];
    return this.track(await startMmproxy(this.app, args, options));
  }

  snapshot(port: number): Promise<StatsSnapshot> {
    return requestSnapshot(this.statsSocket(port), 15_000);
  }

  /** Polls the stats socket until `done` holds for a snapshot; returns that snapshot. */
  async waitForSnapshot(
    port: number,
    what: string,
    done: (s: StatsSnapshot) => boolean,
    timeoutMs = 30_000,
  ): Promise<StatsSnapshot> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const snapshot = await this.snapshot(port);
      if (done(snapshot)) return snapshot;
      if (Date.now() >= deadline)
        throw new Error(`not ${what} after ${timeoutMs}ms: counters ${JSON.stringify(snapshot.counters)}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /**
   * Waits until nothing waits in the accept queue of mmproxy's listener on `port`: connections a flood left
   * there (their clients may have given up) are taken, and each costs descriptors when it is, so a test that
   * needs free descriptors waits for them to be gone.
   */
  async waitForEmptyAcceptQueue(port: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { stdout } = await this.app.run(['ss', '-ltnH', `sport = :${port}`]);
      // Columns of a listener: State Recv-Q (connections waiting for accept) Send-Q (backlog) Local Peer
      const waiting = stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .reduce((sum, line) => sum + Number(line.trim().split(/\s+/)[1]), 0);
      if (waiting === 0) return;
      if (Date.now() >= deadline) throw new Error(`${waiting} connections still wait for accept on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /**
   * Polls mmproxy's descriptors and memory until `settled` holds (closing sockets and stats clients take a moment
   * to go); returns the last figures either way, for the caller's assertion to show.
   */
  async waitForUsage(pid: number, settled: (u: Usage) => boolean, timeoutMs = 10_000): Promise<Usage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const figures = await usage(pid);
      if (settled(figures) || Date.now() >= deadline) return figures;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /**
   * mmproxy's figures once its descriptor count holds still for a few polls: a stats client the test just
   * used may still be open on mmproxy's side for a moment.
   */
  async settledUsage(pid: number, timeoutMs = 10_000): Promise<Usage> {
    const deadline = Date.now() + timeoutMs;
    let last = await usage(pid);
    for (let same = 0; same < SETTLED_POLLS && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const next = await usage(pid);
      same = next.fds === last.fds ? same + 1 : 0;
      last = next;
    }
    return last;
  }

  /**
   * Starts the load generator in the lb host against mmproxy on `port`, with PROXY v2 headers claiming
   * `clients` client addresses and ports of their own: a 4-tuple still held, even in TIME_WAIT, cannot be reused.
   */
  loadgen(mode: 'connrate' | 'idle', port: number, clients: number, args: string[]): HostProcess {
    const first = this.nextClient;
    this.nextClient += clients;
    return this.track(
      this.lb.spawn([
        this.tool('loadgen'),
        mode,
        '--target',
        `${APP}:${port}`,
        '--proxy-v2',
        '--first-client',
        String(first),
        ...args,
      ]),
    );
  }

  /**
   * `conns` connections held open, each proven by its own `size` bytes echoed; resolves once all are up. On
   * `release()` (SIGTERM) each sends `size` more bytes, checks the echo, half-closes and reads to the FIN.
   */
  async hold(port: number, { conns, size }: { conns: number; size: number }): Promise<HeldFlows> {
    const client = this.loadgen('idle', port, conns, [
      '--conns',
      String(conns),
      '--size',
      String(size),
      '--hold',
      '120',
      '--echo-at-end',
    ]);
    const [line] = await client.waitForOutput(/^\{"mode":"idle".*$/m, 90_000, 'stdout');
    return {
      opened: JSON.parse(line) as IdleResult,
      async release() {
        client.kill('SIGTERM');
        const status = await client.exited;
        const end = /^\{"mode":"idle-end".*$/m.exec(client.stdout);
        if (!end)
          throw new Error(`loadgen idle exited ${JSON.stringify(status)} without its last round: ${client.stderr}`);
        return JSON.parse(end[0]) as IdleEndResult;
      },
    };
  }

  /** `count` connections, `slots` at a time, each header + `size` bytes echoed + close; within `maxSeconds`. */
  async connrate(
    port: number,
    { count, slots = 50, size = 64, maxSeconds }: { count: number; slots?: number; size?: number; maxSeconds: number },
  ): Promise<ConnrateResult> {
    const run = this.loadgen('connrate', port, count, [
      '--count',
      String(count),
      '--conns',
      String(slots),
      '--size',
      String(size),
      '--seconds',
      String(maxSeconds),
    ]);
    const status = await run.exited;
    if (status.code !== 0) throw new Error(`loadgen connrate exited ${JSON.stringify(status)}: ${run.stderr}`);
    return lastJsonLine<ConnrateResult>(run.stdout);
  }

  track(child: HostProcess): HostProcess {
    this.started.push(child);
    return child;
  }

  /** For afterEach: stops what the test started. */
  async stopStarted(): Promise<void> {
    await Promise.all(this.started.map((child) => child.stop()));
    this.started = [];
  }

  async destroy(): Promise<void> {
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    await this.lab.destroy();
    await assertNoLeaks(this.lab);
  }
}

export interface HeldFlows {
  opened: IdleResult;
  release(): Promise<IdleEndResult>;
}

function lastJsonLine<T>(stdout: string): T {
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as T;
}
