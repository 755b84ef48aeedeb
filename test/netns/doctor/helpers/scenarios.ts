/**
 * The setups the doctor is tested on, each built in a fresh namespace:
 *
 *   ┌── srv ─────────────────────────────┐        ┌── gw ──────────────────┐
 *   │ lo: app on 127.0.0.1 / ::1         │        │                        │
 *   │ eth0 198.51.100.2/24 2001:db8:1::2 ├────────┤ eth0 198.51.100.1/24   │
 *   │ default via gw (v4 and v6)         │  veth  │      2001:db8:1::1/64  │
 *   └────────────────────────────────────┘        └────────────────────────┘
 *
 * The default route matters: without loopback routing, a reply to a spoofed
 * client leaves by it (IPv6) or is refused (IPv4 loopback source), as on a
 * real server. Expectations live in test/unit/doctor/scenario-expectations.ts.
 */
import type { Host, Lab } from '../../../../lab/index.js';
import { startPeerService } from '../../../../lab/index.js';

export interface ScenarioSetup {
  /** Builds the broken (or healthy) setup inside srv (gw only for a target on another host). */
  build(srv: Host, gw: Host): Promise<void>;
  /** Prefix for the doctor's command line (privilege drops). */
  wrap?: string[];
}

async function apps(srv: Host, addresses = ['127.0.0.1:8080', '[::1]:8080']): Promise<void> {
  for (const address of addresses) await startPeerService(srv, address);
}

const v4Rule = (srv: Host, source = '127.0.0.1/8', table = '123') =>
  srv.ip(['rule', 'add', 'from', source, 'iif', 'lo', 'table', table]);
const v4Route = (srv: Host, table = '123') =>
  srv.ip(['route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', table]);
const v6Rule = (srv: Host) => srv.ip(['-6', 'rule', 'add', 'from', '::1/128', 'iif', 'lo', 'table', '123']);
const v6Route = (srv: Host) => srv.ip(['-6', 'route', 'add', 'local', '::/0', 'dev', 'lo', 'table', '123']);

async function markRouting(
  srv: Host,
  { connmark, localnet }: { connmark: boolean | 'nft'; localnet: boolean },
): Promise<void> {
  await srv.ip(['rule', 'add', 'fwmark', '7', 'lookup', '124']);
  await srv.ip(['route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '124']);
  if (connmark === 'nft') {
    await srv.run(['nft', 'add', 'table', 'ip', 'mmproxy']);
    await srv.run(['nft', 'add', 'chain', 'ip', 'mmproxy', 'output', '{ type route hook output priority mangle; }']);
    await srv.run([
      'nft',
      'add',
      'rule',
      'ip',
      'mmproxy',
      'output',
      'meta',
      'mark',
      '7',
      'ct',
      'mark',
      'set',
      'meta',
      'mark',
    ]);
    await srv.run([
      'nft',
      'add',
      'rule',
      'ip',
      'mmproxy',
      'output',
      'ct',
      'mark',
      '7',
      'meta',
      'mark',
      'set',
      'ct',
      'mark',
    ]);
  } else if (connmark) {
    await srv.run([
      'iptables',
      '-t',
      'mangle',
      '-A',
      'OUTPUT',
      '-m',
      'mark',
      '--mark',
      '7',
      '-j',
      'CONNMARK',
      '--save-mark',
    ]);
    await srv.run([
      'iptables',
      '-t',
      'mangle',
      '-A',
      'OUTPUT',
      '-m',
      'connmark',
      '--mark',
      '7',
      '-j',
      'CONNMARK',
      '--restore-mark',
    ]);
  }
  if (localnet) await srv.sysctl('net.ipv4.conf.all.route_localnet', 1);
}

/**
 * The app on gw (198.51.100.1:8080), which routes the documentation clients
 * back through srv: replies to spoofed clients arrive on srv's eth0 and must
 * get their mark back in PREROUTING to be delivered locally; the proxy's own
 * packets must lose the mark once it is saved, or they are delivered locally too.
 */
async function remoteTarget(
  srv: Host,
  gw: Host,
  { clear, restore }: { clear: boolean; restore: boolean },
): Promise<void> {
  await gw.ip(['route', 'add', '192.0.2.0/24', 'via', '198.51.100.2']);
  await srv.ip(['rule', 'add', 'fwmark', '7', 'lookup', '124']);
  await srv.ip(['route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '124']);
  await srv.run([
    'iptables',
    '-t',
    'mangle',
    '-A',
    'OUTPUT',
    '-m',
    'mark',
    '--mark',
    '7',
    '-j',
    'CONNMARK',
    '--save-mark',
  ]);
  if (clear)
    await srv.run([
      'iptables',
      '-t',
      'mangle',
      '-A',
      'OUTPUT',
      '-m',
      'mark',
      '--mark',
      '7',
      '-j',
      'MARK',
      '--set-mark',
      '0',
    ]);
  if (restore)
    await srv.run([
      'iptables',
      '-t',
      'mangle',
      '-A',
      'PREROUTING',
      '-m',
      'connmark',
      '--mark',
      '7',
      '-j',
      'CONNMARK',
      '--restore-mark',
    ]);
  await startPeerService(gw, '198.51.100.1:8080');
}

// IP_TRANSPARENT and SO_MARK accept either capability; both must go.
export const DROP_NET_CAPS = ['setpriv', '--inh-caps=-net_admin,-net_raw', '--bounding-set=-net_admin,-net_raw'];

export const SETUPS: Record<string, ScenarioSetup> = {
  healthy: {
    build: async (srv) => {
      await srv.addLoopbackRouting();
      await apps(srv);
    },
  },
  'no-routing': { build: (srv) => apps(srv) },
  'no-routing-capture': { build: (srv) => apps(srv) },
  'healthy-capture': {
    build: async (srv) => {
      await srv.addLoopbackRouting();
      await apps(srv);
    },
  },
  'missing-v4': {
    build: async (srv) => {
      await v6Rule(srv);
      await v6Route(srv);
      await apps(srv);
    },
  },
  'missing-v6': {
    build: async (srv) => {
      await v4Rule(srv);
      await v4Route(srv);
      await apps(srv);
    },
  },
  'empty-table': {
    build: async (srv) => {
      await v4Rule(srv);
      await v6Rule(srv);
      await v6Route(srv);
      await apps(srv);
    },
  },
  'rule-after-main': {
    build: async (srv) => {
      await srv.ip(['rule', 'add', 'from', '127.0.0.1/8', 'iif', 'lo', 'table', '123', 'priority', '40000']);
      await v4Route(srv);
      await v6Rule(srv);
      await v6Route(srv);
      await apps(srv);
    },
  },
  'wrong-source': {
    build: async (srv) => {
      await v4Rule(srv, '127.0.0.1/32');
      await v4Route(srv);
      await v6Rule(srv);
      await v6Route(srv);
      await apps(srv, ['127.0.0.2:8080', '[::1]:8080']);
    },
  },
  'mark-no-connmark': {
    build: async (srv) => {
      await markRouting(srv, { connmark: false, localnet: true });
      await apps(srv, ['127.0.0.1:8080']);
    },
  },
  'mark-no-localnet': {
    build: async (srv) => {
      await markRouting(srv, { connmark: true, localnet: false });
      await apps(srv, ['127.0.0.1:8080']);
    },
  },
  'mark-healthy': {
    build: async (srv) => {
      await markRouting(srv, { connmark: true, localnet: true });
      await apps(srv, ['127.0.0.1:8080']);
    },
  },
  'mark-healthy-nft': {
    build: async (srv) => {
      await markRouting(srv, { connmark: 'nft', localnet: true });
      await apps(srv, ['127.0.0.1:8080']);
    },
  },
  'no-privilege': {
    build: async (srv) => {
      await srv.addLoopbackRouting();
      await apps(srv);
    },
    wrap: DROP_NET_CAPS,
  },
  'no-privilege-capture': {
    build: async (srv) => {
      await srv.addLoopbackRouting();
      await apps(srv);
    },
    wrap: DROP_NET_CAPS,
  },
  'mark-remote-healthy': { build: (srv, gw) => remoteTarget(srv, gw, { clear: true, restore: true }) },
  'mark-remote-no-restore': { build: (srv, gw) => remoteTarget(srv, gw, { clear: true, restore: false }) },
  'mark-remote-no-restore-capture': { build: (srv, gw) => remoteTarget(srv, gw, { clear: true, restore: false }) },
  'mark-remote-no-clear': { build: (srv, gw) => remoteTarget(srv, gw, { clear: false, restore: true }) },
  'udp-wildcard': {
    build: async (srv) => {
      await srv.addLoopbackRouting();
      await startPeerService(srv, '0.0.0.0:5353', { udp: true });
    },
  },
};

/** The two-namespace topology of the drawing above. */
export async function buildTopology(lab: Lab): Promise<{ srv: Host; gw: Host }> {
  const srv = await lab.host('srv');
  const gw = await lab.host('gw');
  await lab.link(srv, gw, {
    a: { v4: '198.51.100.2/24', v6: '2001:db8:1::2/64' },
    b: { v4: '198.51.100.1/24', v6: '2001:db8:1::1/64' },
  });
  await lab.route(srv, { to: 'default', via: '198.51.100.1' });
  await lab.route(srv, { to: 'default', via: '2001:db8:1::1' });
  return { srv, gw };
}
