/*
 * The hostile-input suites' network: a load balancer host that sends the bytes, and the app host with the real
 * `mmproxy` CLI in front of an echo service.
 *
 *   ┌─ lb ─────────────────────────┐      ┌─ app ─────────────────────────────────────────────────────┐
 *   │ tcp/udp-hostile-sender       │      │ mmproxy 192.0.2.2:8443 (tcp or udp) ─▶ peer-service        │
 *   │ steady-client (legit flow)   │      │   -4 127.0.0.1:7000, from the spoofed 198.51.100.x clients │
 *   │ eth0 192.0.2.1/24            ├──────┤ eth0 192.0.2.2/24, loopback routing (table 123)           │
 *   └──────────────────────────────┘ veth │ nft: SYNs from 198.51.100.66 dropped (a target that hangs) │
 *                                         └───────────────────────────────────────────────────────────┘
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { assertNoLeaks, type Host, type HostProcess, Lab, startPeerService } from '../../../../lab/index.js';
import { startMmproxy } from '../../../../lab/mmproxy/mmproxy-process.js';

export const LB = '192.0.2.1';
export const APP = '192.0.2.2';
export const PROXY_PORT = 8443;
export const SERVICE = '127.0.0.1:7000';
/** Clients spoofed from this address get no answer from the service: their upstream connect hangs. */
export const BLACK_HOLED_CLIENT = '198.51.100.66';

const SCRIPT_DIR = fileURLToPath(new URL('.', import.meta.url));
export const SCRIPTS = {
  tcpSender: join(SCRIPT_DIR, 'tcp-hostile-sender.js'),
  udpSender: join(SCRIPT_DIR, 'udp-hostile-sender.js'),
  steadyClient: join(SCRIPT_DIR, 'steady-client.js'),
};

export class HostileLab {
  readonly lab: Lab;
  lb!: Host;
  app!: Host;
  /** Plans, release files and the stats socket. */
  dir = '';
  private planCount = 0;

  constructor(label: string) {
    this.lab = Lab.create(label);
  }

  async build(protocol: 'tcp' | 'udp'): Promise<void> {
    this.lb = await this.lab.host('lb');
    this.app = await this.lab.host('app');
    await this.lab.link(this.lb, this.app, { a: { v4: `${LB}/24` }, b: { v4: `${APP}/24` } });
    await this.app.addLoopbackRouting();
    await startPeerService(this.app, SERVICE, { udp: protocol === 'udp' });
    await this.blackHole(BLACK_HOLED_CLIENT);
    this.dir = await mkdtemp(join(tmpdir(), 'mmproxy-hostile-'));
  }

  /** Drops upstream SYNs spoofed from `client` in the app's output hook: the connect neither succeeds nor fails. */
  private async blackHole(client: string): Promise<void> {
    const table = 'hostile';
    await this.app.run(['nft', 'add', 'table', 'ip', table]);
    await this.app.run(['nft', 'add', 'chain', 'ip', table, 'out', '{ type filter hook output priority 0; }']);
    await this.app.run([
      'nft',
      'add',
      'rule',
      'ip',
      table,
      'out',
      'ip',
      'saddr',
      client,
      'tcp',
      'dport',
      '7000',
      'drop',
    ]);
  }

  /** mmproxy in the app host on APP:PROXY_PORT, its stats socket in the suite's directory. */
  async mmproxy(protocol: 'tcp' | 'udp', flags: string[]): Promise<{ process: HostProcess; statsSocket: string }> {
    const statsSocket = join(this.dir, `stats-${protocol}.sock`);
    const args = ['-l', `${APP}:${PROXY_PORT}`, '-p', protocol, '-4', SERVICE, '--stats-socket', statsSocket, ...flags];
    return { process: await startMmproxy(this.app, args), statsSocket };
  }

  /** Writes a sender's plan to a file of its own. */
  async plan(content: unknown): Promise<string> {
    const path = join(this.dir, `plan-${this.planCount++}.json`);
    await writeFile(path, JSON.stringify(content));
    return path;
  }

  async destroy(): Promise<void> {
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    await this.lab.destroy();
    await assertNoLeaks(this.lab);
  }
}
