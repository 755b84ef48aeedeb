/*
 * The fault suites' network: two load balancers, one faulty and one healthy, in front of the real `mmproxy` CLI,
 * whose targets are fault services on loopback that misbehave on purpose.
 *
 *   ┌─ lb1 (the faulty flows) ┐      ┌─ app ─────────────────────────────────────────────────┐
 *   │ fault-client            │      │ mmproxy 0.0.0.0:85xx -dynamic-destination -listeners 1│
 *   │ eth0 192.0.2.1/24       ├──────┤ eth0 192.0.2.2/24                                     │
 *   └─────────────────────────┘ veth │   each header names client 203.0.113.7:port and the   │
 *   ┌─ lb2 (the healthy flow) ┐      │   target 127.0.0.1:port, so one proxy serves them all │
 *   │ fault-client (ping)     │      │ fault-service echo 127.0.0.1:7000, others per test    │
 *   │ eth0 198.51.100.1/24    ├──────┤ eth1 198.51.100.2/24                                  │
 *   └─────────────────────────┘ veth │ loopback routing (table 123)                          │
 *                                    └───────────────────────────────────────────────────────┘
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { v2 } from '../../dataplane/harness/headers.js';
import { assertNoLeaks, type Host, type HostProcess, Lab } from '../../../../lab/index.js';
import { startMmproxy } from '../../../../lab/mmproxy/mmproxy-process.js';
import { Mmproxy } from './faults-mmproxy.js';
import { Peer, type Progress } from './faults-peer.js';

const FAULT_CLIENT = fileURLToPath(new URL('./faults-peers/fault-client.js', import.meta.url));
const FAULT_SERVICE = fileURLToPath(new URL('./faults-peers/fault-service.js', import.meta.url));

export const LB1 = '192.0.2.1';
export const APP1 = '192.0.2.2';
export const LB2 = '198.51.100.1';
export const APP2 = '198.51.100.2';
/** The real client every PROXY header names; it exists nowhere, so seeing it proves the spoofing path. */
export const CLIENT = '203.0.113.7';
export const ECHO_PORT = 7000;

export interface ClientOptions {
  /** The client port the header names (the port the target sees). */
  clientPort: number;
  targetPort: number;
  mode: 'push' | 'stall-read' | 'ping' | 'idle' | 'sink' | 'reset-after';
  bytes?: number;
}

export class FaultsNet {
  readonly lab: Lab;
  app!: Host;
  lb1!: Host;
  lb2!: Host;
  /** The echo service on ECHO_PORT, the healthy flows' target. */
  echo!: Peer;
  private dir = '';
  /** Processes started by the current test; the suite's afterEach stops those still running. */
  private started: HostProcess[] = [];

  constructor(label: string) {
    this.lab = Lab.create(label);
  }

  async build(): Promise<void> {
    const { lab } = this;
    [this.app, this.lb1, this.lb2] = [await lab.host('app'), await lab.host('lb1'), await lab.host('lb2')];
    await lab.link(this.lb1, this.app, { a: { v4: `${LB1}/24` }, b: { v4: `${APP1}/24` } });
    await lab.link(this.lb2, this.app, { a: { v4: `${LB2}/24` }, b: { v4: `${APP2}/24` } });
    await this.app.addLoopbackRouting();
    this.echo = await this.service(ECHO_PORT, 'echo');
    this.dir = await mkdtemp(join(tmpdir(), 'mmproxy-faults-'));
  }

  /** mmproxy in the app host on `port`, each flow going where its header says unless `targets` says otherwise. */
  async mmproxy(port: number, flags: string[] = [], targets = ['-dynamic-destination']): Promise<Mmproxy> {
    const statsSocket = join(this.dir, `stats-${port}.sock`);
    const args = [
      '-l',
      `0.0.0.0:${port}`,
      ...targets,
      '-listeners',
      '1',
      '-v',
      '1',
      '--log-format',
      'json',
      '--stats-socket',
      statsSocket,
      ...flags,
    ];
    const child = await startMmproxy(this.app, args);
    await child.waitForOutput(/stats_socket/, 5_000, 'stderr');
    return new Mmproxy(child, port, statsSocket);
  }

  async service(
    port: number,
    mode: 'echo' | 'stall-read' | 'stream' | 'reset-after' | 'hold',
    bytes = 0,
  ): Promise<Peer> {
    const child = this.app.node(FAULT_SERVICE, [
      '--listen',
      `127.0.0.1:${port}`,
      '--mode',
      mode,
      '--bytes',
      String(bytes),
    ]);
    await child.waitForOutput(/"type":"listening"/);
    // The echo service of build() serves the whole suite.
    if (this.echo) this.track(child);
    return new Peer(child);
  }

  /** A load balancer connection from `lb` (lb1 or lb2) through mmproxy to 127.0.0.1:targetPort. */
  client(lb: Host, proxy: Mmproxy, options: ClientOptions): Peer {
    const header = v2({
      source: CLIENT,
      sourcePort: options.clientPort,
      destination: '127.0.0.1',
      destinationPort: options.targetPort,
    });
    const to = lb === this.lb1 ? APP1 : APP2;
    const peer = new Peer(
      lb.node(FAULT_CLIENT, [
        '--connect',
        `${to}:${proxy.port}`,
        '--header-hex',
        header.toString('hex'),
        '--mode',
        options.mode,
        '--bytes',
        String(options.bytes ?? 0),
      ]),
    );
    this.track(peer.process);
    return peer;
  }

  /** A healthy flow from lb2 to the echo service, pinging until stopped with healthyResult(). */
  async healthy(proxy: Mmproxy, clientPort: number): Promise<Peer> {
    const peer = this.client(this.lb2, proxy, { clientPort, targetPort: ECHO_PORT, mode: 'ping' });
    await peer.waitFor<Progress>(
      'progress',
      'the healthy flow to make a round trip',
      (line) => Number(line['roundTrips']) > 0,
    );
    return peer;
  }

  /** Stops a healthy flow and asserts it worked throughout: every byte echoed intact, a clean end. */
  async assertHealthy(peer: Peer): Promise<number> {
    peer.process.kill('SIGUSR1');
    const end = await peer.end();
    assert.equal(end.ended, 'eof', `the healthy flow ended cleanly: ${JSON.stringify(end)}`);
    assert.equal(end.received, end.written);
    assert.equal(end.receivedSha256, end.sentSha256, 'the healthy flow got back exactly what it sent');
    return end.roundTrips;
  }

  /**
   * Drops every packet that `rule` matches in `host`'s input hook (nftables, inside that namespace only).
   * Returns the undo.
   */
  async drop(host: Host, rule: string): Promise<() => Promise<void>> {
    const table = 'mmp_faults';
    await host.run(['nft', 'add', 'table', 'inet', table]);
    await host.run([
      'nft',
      'add',
      'chain',
      'inet',
      table,
      'input',
      '{ type filter hook input priority 0; policy accept; }',
    ]);
    await host.run(['nft', 'add', 'rule', 'inet', table, 'input', ...rule.split(' '), 'counter', 'drop']);
    return async () => {
      await host.run(['nft', 'delete', 'table', 'inet', table]);
    };
  }

  /** The app host's TCP sockets (any state but listening) whose local address is `local` (address:port), with timers. */
  async sockets(local: string): Promise<string[]> {
    const { stdout } = await this.app.run(['ss', '-tnoH', 'state', 'connected']);
    // Columns: State Recv-Q Send-Q Local Peer [timer:(...)]
    return stdout.split('\n').filter((line) => line.trim().split(/\s+/)[3] === local);
  }

  /** Stops it after the current test (see stopStarted). */
  track(child: HostProcess): HostProcess {
    this.started.push(child);
    return child;
  }

  /** For afterEach: stops the processes the test started, however it ended. */
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
