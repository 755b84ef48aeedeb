/**
 * An app host as operators run them, for the doctor's class tests: the app
 * behind mmproxy, an unrelated service on the host's own address (standing
 * for sshd), and a WireGuard-style tunnel whose table carries other traffic.
 *
 *   ┌── gw ──────────────┐  veth  ┌── srv ──────────────────────────────────────┐  veth  ┌── wgpeer ─────────┐
 *   │ 198.51.100.1/24    ├────────┤ eth0 198.51.100.2/24, default via gw        ├────────┤ eth0 10.8.0.1/24  │
 *   │ the load balancer  │        │ wg0  10.8.0.2/24 (a veth: no wireguard      │        │ lo 203.0.113.10   │
 *   │ and sshd's clients │        │      module here; wg-quick's rules on ask)  │        │ service :80       │
 *   └────────────────────┘        │ app (peer-service) on the target            │        └───────────────────┘
 *                                 │ "sshd": peer-service 198.51.100.2:22        │
 *                                 │ mmproxy -l 198.51.100.2:8443 → the target   │
 *                                 └─────────────────────────────────────────────┘
 *
 * `spoofedClient()` sends a PROXY header through the real mmproxy and reads
 * which client address the app saw; `sshWorks()` reaches the unrelated
 * service from gw; `tunnelWorks()` reaches the service behind wg0 by
 * WireGuard's table. Each is a real connection, checked before and after a fix.
 */
import { fileURLToPath } from 'node:url';

import { type Host, type HostProcess, type Lab, exchange, startPeerService } from '../../../../lab/index.js';
import { startMmproxy } from '../../../../lab/mmproxy/mmproxy-process.js';
import type { IpRule } from '../../../../src/doctor/context/ip-types.js';

const PROXY_CLIENT = fileURLToPath(new URL('../../../../lab/services/proxy-client.js', import.meta.url));

export const SRV = '198.51.100.2';
export const SSH = `${SRV}:22`;
export const MMPROXY_LISTEN = `${SRV}:8443`;
export const TUNNEL_SERVICE = '203.0.113.10:80';
/** The client the load balancer names in its PROXY header. */
export const CLIENT = { address: '203.0.113.7', port: 40001 };
export const WG_MARK = 51820;
const CONNECT_TIMEOUT_MS = 3_000;

export interface AppHost {
  lab: Lab;
  srv: Host;
  gw: Host;
  wgpeer: Host;
  mmproxy: HostProcess | null;
}

export async function buildAppHost(lab: Lab): Promise<AppHost> {
  const srv = await lab.host('srv');
  const gw = await lab.host('gw');
  const wgpeer = await lab.host('wgpeer');
  await lab.link(srv, gw, { a: { v4: `${SRV}/24` }, b: { v4: '198.51.100.1/24' } });
  await lab.link(srv, wgpeer, { a: { v4: '10.8.0.2/24' }, b: { v4: '10.8.0.1/24' } });
  await srv.ip(['link', 'set', 'eth1', 'down']);
  await srv.ip(['link', 'set', 'eth1', 'name', 'wg0']);
  await srv.ip(['link', 'set', 'wg0', 'up']);
  await lab.route(srv, { to: 'default', via: '198.51.100.1' });
  await wgpeer.ip(['address', 'add', '203.0.113.10/32', 'dev', 'lo']);
  await Promise.all([startPeerService(srv, SSH), startPeerService(wgpeer, TUNNEL_SERVICE)]);
  return { lab, srv, gw, wgpeer, mmproxy: null };
}

/** Starts the app on the target and mmproxy in front of it. */
export async function startApp(host: AppHost, target: string): Promise<void> {
  await startPeerService(host.srv, target);
  host.mmproxy = await startMmproxy(host.srv, ['-l', MMPROXY_LISTEN, '-4', target, '-6', 'none']);
}

/** wg-quick's full-tunnel rules, exactly as it adds them, and its table. */
export async function addWgQuickRules(srv: Host): Promise<void> {
  await srv.ip(['-4', 'route', 'add', '0.0.0.0/0', 'dev', 'wg0', 'table', String(WG_MARK)]);
  await srv.ip(['-4', 'rule', 'add', 'not', 'fwmark', String(WG_MARK), 'table', String(WG_MARK)]);
  await srv.ip(['-4', 'rule', 'add', 'table', 'main', 'suppress_prefixlength', '0']);
}

let nextClientPort = 0;

/** The peer address the app saw for a connection through mmproxy, or null when it failed. */
export async function spoofedClient(host: AppHost): Promise<string | null> {
  // A port of its own each time: a connection made while the setup was broken may still be connecting upstream
  // (its connect timeout outlives this client's), and the same address:port would then collide with it.
  const header = `PROXY TCP4 ${CLIENT.address} ${SRV} ${CLIENT.port + nextClientPort++} 8443\r\n`;
  const result = await host.gw.exec(
    [
      process.execPath,
      PROXY_CLIENT,
      '--connect',
      MMPROXY_LISTEN,
      '--header-hex',
      Buffer.from(header).toString('hex'),
      '--timeout-ms',
      String(CONNECT_TIMEOUT_MS),
    ],
    { timeoutMs: CONNECT_TIMEOUT_MS + 5_000 },
  );
  const line = result.stdout.trim().split('\n').pop() ?? '';
  const parsed = JSON.parse(line) as { peer: { address: string } | null };
  return parsed.peer?.address ?? null;
}

/** The unrelated service on the host's own address, from the network. */
export async function sshWorks(host: AppHost): Promise<boolean> {
  const result = await exchange(host.gw, {
    connect: SSH,
    expectPeer: true,
    sendBytes: 100,
    timeoutMs: CONNECT_TIMEOUT_MS,
  });
  return result.ok;
}

/** Traffic that WireGuard's table carries: srv to the service behind the tunnel. */
export async function tunnelWorks(host: AppHost): Promise<boolean> {
  const result = await exchange(host.srv, {
    connect: TUNNEL_SERVICE,
    expectPeer: true,
    sendBytes: 100,
    timeoutMs: CONNECT_TIMEOUT_MS,
  });
  return result.ok;
}

export async function ruleRows(srv: Host, family: 4 | 6 = 4): Promise<IpRule[]> {
  return JSON.parse((await srv.ip([`-${family}`, '-j', 'rule', 'show'])).stdout) as IpRule[];
}

/** Back to the kernel's default rules, and the tables the setups use emptied. */
export async function resetRouting(srv: Host): Promise<void> {
  await srv.ip(['-4', 'rule', 'flush']);
  await srv.ip(['-4', 'rule', 'add', 'priority', '32766', 'lookup', 'main']);
  await srv.ip(['-4', 'rule', 'add', 'priority', '32767', 'lookup', 'default']);
  for (const table of ['100', '123', '124', String(WG_MARK)]) {
    await srv.exec(['ip', '-4', 'route', 'flush', 'table', table]);
  }
}
