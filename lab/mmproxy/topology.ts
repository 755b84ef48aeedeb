/*
 * The proxy suites' network: a client, real HAProxy sending PROXY headers, and the real `mmproxy` CLI in front
 * of a service that reports the peer address it sees.
 *
 *   ┌─ client ──────────────┐      ┌─ lb ─────────────────────────┐      ┌─ app ──────────────────────────────┐
 *   │ eth0 203.0.113.10/24  ├──────┤ eth0 203.0.113.1/24          │      │ mmproxy 192.0.2.2:84xx             │
 *   │      2001:db8:1::10/64│ veth │      2001:db8:1::1/64        │      │   -4 127.0.0.1:7000 -6 [::1]:7000  │
 *   └───────────────────────┘      │ haproxy :80xx (v4 and v6)    │      │ peer-service 127.0.0.1:7000        │
 *                                  │   → 192.0.2.2:84xx send-proxy│      │              [::1]:7000            │
 *                                  │ eth1 192.0.2.1/24            ├──────┤ eth0 192.0.2.2/24                  │
 *                                  └──────────────────────────────┘ veth │ default via 192.0.2.1              │
 *                                                                        │ loopback routing (table 123)       │
 *                                                                        └────────────────────────────────────┘
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  assertNoLeaks,
  exchange,
  type Haproxy,
  type HaproxyServer,
  type Host,
  type HostProcess,
  Lab,
  payload,
  sha256,
  startHaproxy,
  startPeerService,
  tcpProxyConfig,
} from '../index.js';
import { startMmproxy } from './mmproxy-process.js';

export const CLIENT_V4 = '203.0.113.10';
export const CLIENT_V6 = '2001:db8:1::10';
export const LB_FRONT_V4 = '203.0.113.1';
export const LB_FRONT_V6 = '2001:db8:1::1';
export const LB_BACK = '192.0.2.1';
export const APP = '192.0.2.2';
export const SERVICE_PORT = 7000;
export const TARGETS = ['-4', `127.0.0.1:${SERVICE_PORT}`, '-6', `[::1]:${SERVICE_PORT}`];
/** What each client exchange sends (and gets echoed back). */
export const BYTES = 256 * 1024;

export class ProxyTopology {
  readonly lab: Lab;
  client!: Host;
  lb!: Host;
  app!: Host;
  /** Files of the suite: subnet lists, sockets, release files. */
  dir = '';
  private nextPort = 0;
  /** Started by the current test; stopped after it, whatever happened. */
  private started: HostProcess[] = [];

  constructor(label: string) {
    this.lab = Lab.create(label);
  }

  /** `loopbackRouting: false` leaves the app host without it, for a suite that sets it up itself. */
  async build({ loopbackRouting = true }: { loopbackRouting?: boolean } = {}): Promise<void> {
    const { lab } = this;
    [this.client, this.lb, this.app] = [await lab.host('client'), await lab.host('lb'), await lab.host('app')];
    await lab.link(this.client, this.lb, {
      a: { v4: `${CLIENT_V4}/24`, v6: `${CLIENT_V6}/64` },
      b: { v4: `${LB_FRONT_V4}/24`, v6: `${LB_FRONT_V6}/64` },
    });
    await lab.link(this.lb, this.app, { a: { v4: `${LB_BACK}/24` }, b: { v4: `${APP}/24` } });
    // Replies to clients would leave by this route if loopback routing were missing, as on a real host.
    await lab.route(this.app, { to: 'default', via: LB_BACK });
    if (loopbackRouting) await this.app.addLoopbackRouting();
    await startPeerService(this.app, `127.0.0.1:${SERVICE_PORT}`);
    await startPeerService(this.app, `[::1]:${SERVICE_PORT}`);
    this.dir = await mkdtemp(join(tmpdir(), 'mmproxy-e2e-'));
  }

  /** A fresh pair of ports per test: mmproxy's (84xx) and HAProxy's frontend (80xx). */
  ports(): { mmproxy: number; lb: number } {
    this.nextPort++;
    return { mmproxy: 8400 + this.nextPort, lb: 8000 + this.nextPort };
  }

  /** Stops it after the test (see stopStarted). */
  track(child: HostProcess): HostProcess {
    this.started.push(child);
    return child;
  }

  /** Where mmproxy on this port serves its stats: the suite's directory rather than /run/mmproxy. */
  statsSocket(port: number): string {
    return join(this.dir, `stats-${port}.sock`);
  }

  /** mmproxy in the app host, listening on APP:port, forwarding to the service unless `targets` says otherwise. */
  async mmproxy(port: number, flags: string[], targets = TARGETS): Promise<HostProcess> {
    const args = ['-l', `${APP}:${port}`, ...targets, '--stats-socket', this.statsSocket(port), ...flags];
    return this.track(await startMmproxy(this.app, args));
  }

  /** HAProxy in the lb host: frontend on both client-side addresses, backend `servers`; `edit` adds lines. */
  async haproxy(lbPort: number, servers: HaproxyServer[], edit = (config: string) => config): Promise<Haproxy> {
    const config = edit(
      tcpProxyConfig({
        bind: [
          { address: LB_FRONT_V4, port: lbPort },
          { address: LB_FRONT_V6, port: lbPort },
        ],
        servers,
        // Longer than any --connect-timeout here, so an SD in the log is mmproxy's doing.
        timeoutServerMs: 10_000,
      }),
    );
    const haproxy = await startHaproxy(this.lb, { config, waitForPorts: [lbPort] });
    this.track(haproxy.process);
    return haproxy;
  }

  /** One client exchange through HAProxy; asserts the service saw the client's own address and port. */
  async assertClientSeen(lbPort: number, family: 4 | 6): Promise<void> {
    const connect = family === 4 ? `${LB_FRONT_V4}:${lbPort}` : `[${LB_FRONT_V6}]:${lbPort}`;
    const result = await exchange(this.client, { connect, sendBytes: BYTES, expectPeer: true });
    assert.equal(result.ok, true, result.error);
    assert.deepEqual(result.peer, { address: family === 4 ? CLIENT_V4 : CLIENT_V6, port: result.localPort });
    assert.equal(result.receivedSha256, sha256(payload(BYTES)));
  }

  /** For afterEach: stops what the test started. */
  async stopStarted(): Promise<void> {
    await Promise.all(this.started.map((child) => child.stop()));
    this.started = [];
  }

  /** For after: removes the files, destroys the lab (even half-built) and asserts nothing leaked. */
  async destroy(): Promise<void> {
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    await this.lab.destroy();
    await assertNoLeaks(this.lab);
  }
}
