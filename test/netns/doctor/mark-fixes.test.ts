/**
 * Issue #13: the -mark fixes the doctor prints, applied for real. `--fix` and
 * `setup-routing` apply only `ip rule`/`ip route` commands; netfilter rules
 * and sysctls are shown, never applied (src/doctor/fix.ts). So for each setup
 * below, broken as mark mode gets broken, the test checks that the doctor
 * names the cause (exit 1), that `--fix --yes` and `setup-routing` change
 * nothing, then runs exactly the commands of the JSON report in srv and
 * checks that a connection through mmproxy reaches the app with the real
 * client, that two unrelated services keep answering (sshd's stand-in on the
 * host address, from the network, and a service behind a WireGuard-style
 * table), and that a second `doctor --fix --yes` passes (exit 0) and changes
 * nothing.
 *
 * route_localnet=1 also opens 127.0.0.0/8 to the network (CVE-2020-8558), so
 * its fix comes with an INPUT guard. For that setup the test also sends from
 * gw to a service on srv bound to 127.0.0.1 (gw routes 127.0.0.0/8 via srv by
 * a rule before `local`): refused with the guard, answered without it.
 *
 * Not here: the privilege fix (setcap/systemd/setpriv). It is a choice among
 * ways to run the proxy, printed as text with placeholders (mmproxy@NAME,
 * USER), not a command for this host, so --fix never applies it; the
 * scenarios test (no-privilege) checks that --fix leaves the host alone.
 *
 * Topology: ./helpers/app-host.ts, plus table 51820 (`to 203.0.113.10 lookup
 * 51820`, route dev wg0) standing for a WireGuard split tunnel. A target on
 * another host is the app on gw (198.51.100.1:7000), which routes the clients
 * back through srv.
 */
import assert from 'node:assert/strict';

import { assertNoLeaks, exchange, type Host, Lab, startPeerService } from '../../../lab/index.js';
import { startMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import {
  type AppHost,
  buildAppHost,
  CLIENT,
  MMPROXY_LISTEN,
  spoofedClient,
  SRV,
  sshWorks,
  TUNNEL_SERVICE,
  tunnelWorks,
  WG_MARK,
} from './helpers/app-host.js';
import { runDoctor, runDoctorJson, runSetupRouting } from './helpers/run-doctor.js';

const MARK = '7';
const LOCAL_TARGET = '127.0.0.1:7000';
const REMOTE_TARGET = '198.51.100.1:7000';

interface Setup {
  name: string;
  target: string;
  /** The app runs on gw. */
  remote?: boolean;
  /** The broken mark routing, in srv. */
  build(srv: Host): Promise<void>;
  /** mark-routing's summary. */
  cause: string;
  /** The exact fix it prints, in order. */
  commands: string[];
  /** The fix turns route_localnet on, behind LOCALNET_GUARD. */
  opensLocalnet?: true;
}

const mangle = (srv: Host, chain: string, ...rule: string[]) =>
  srv.run(['iptables', '-t', 'mangle', '-A', chain, ...rule]);
const saveMark = (srv: Host) => mangle(srv, 'OUTPUT', '-m', 'mark', '--mark', MARK, '-j', 'CONNMARK', '--save-mark');
const clearMark = (srv: Host) => mangle(srv, 'OUTPUT', '-m', 'mark', '--mark', MARK, '-j', 'MARK', '--set-mark', '0');
const restoreMark = (srv: Host, chain: 'OUTPUT' | 'PREROUTING') =>
  mangle(srv, chain, '-m', 'connmark', '--mark', MARK, '-j', 'CONNMARK', '--restore-mark');

async function fwmarkRouting(srv: Host): Promise<void> {
  await srv.ip(['rule', 'add', 'fwmark', MARK, 'lookup', '124']);
  await srv.ip(['route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '124']);
}

const LOCALNET_GUARD =
  'iptables -I INPUT -i eth0 -d 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP';
/** A service on srv that only localhost should reach (a database, an admin port). */
const LOCALHOST_ONLY = '127.0.0.1:6379';
const LOCALNET_TABLE = '127';
const SAVE_FIX = `iptables -t mangle -A OUTPUT -m mark --mark ${MARK} -j CONNMARK --save-mark`;
const CLEAR_FIX = `iptables -t mangle -A OUTPUT -m mark --mark ${MARK} -j MARK --set-mark 0   # after the --save-mark rule`;
const KEEPS_MARK = `packets marked ${MARK} keep their mark after the save: the fwmark rule delivers the proxy's own SYN to 198.51.100.1 locally`;
const NO_PREROUTING_RESTORE = `no rule restores mark ${MARK} on the reply in PREROUTING`;

const SETUPS: Setup[] = [
  {
    name: 'a loopback target with the connmark rules but route_localnet off (mark-no-localnet)',
    target: LOCAL_TARGET,
    build: async (srv) => {
      await fwmarkRouting(srv);
      await saveMark(srv);
      await restoreMark(srv, 'OUTPUT');
    },
    cause: `route_localnet is off on eth0: the unmarked reply from 127.0.0.1 is refused before its mark is restored`,
    commands: [LOCALNET_GUARD, 'sysctl -w net.ipv4.conf.eth0.route_localnet=1'],
    opensLocalnet: true,
  },
  {
    name: 'a loopback target with the fwmark rule and route_localnet, but no connmark save/restore (mark-no-connmark)',
    target: LOCAL_TARGET,
    build: async (srv) => {
      await fwmarkRouting(srv);
      await srv.sysctl('net.ipv4.conf.eth0.route_localnet', 1);
    },
    cause:
      `no rule saves mark ${MARK} on the connection where the SYN passes (OUTPUT, POSTROUTING, PREROUTING or INPUT); ` +
      `no rule restores mark ${MARK} on the reply in an OUTPUT chain that routes again (iptables' mangle, nftables type route)`,
    commands: [SAVE_FIX, `iptables -t mangle -A OUTPUT -m connmark --mark ${MARK} -j CONNMARK --restore-mark`],
  },
  {
    name: 'a target on another host, saved and cleared but never restored (mark-remote-no-restore)',
    target: REMOTE_TARGET,
    remote: true,
    build: async (srv) => {
      await fwmarkRouting(srv);
      await saveMark(srv);
      await clearMark(srv);
    },
    cause: NO_PREROUTING_RESTORE,
    commands: [`iptables -t mangle -A PREROUTING -m connmark --mark ${MARK} -j CONNMARK --restore-mark`],
  },
  {
    name: 'a target on another host, saved and restored but never cleared (mark-remote-no-clear)',
    target: REMOTE_TARGET,
    remote: true,
    build: async (srv) => {
      await fwmarkRouting(srv);
      await saveMark(srv);
      await restoreMark(srv, 'PREROUTING');
    },
    cause: KEEPS_MARK,
    commands: [CLEAR_FIX],
  },
  {
    // The printed order matters here: the clear must come after the save in OUTPUT.
    name: 'a target on another host with only the fwmark routing: save, clear and restore all missing',
    target: REMOTE_TARGET,
    remote: true,
    build: fwmarkRouting,
    cause: `no rule saves mark ${MARK} on the connection where the SYN passes (OUTPUT or POSTROUTING); ${KEEPS_MARK}; ${NO_PREROUTING_RESTORE}`,
    commands: [
      SAVE_FIX,
      CLEAR_FIX,
      `iptables -t mangle -A PREROUTING -m connmark --mark ${MARK} -j CONNMARK --restore-mark`,
    ],
  },
];

/** A WireGuard split tunnel with its own table: 203.0.113.10 through wg0, by a rule before main. */
async function wireGuardTable(srv: Host): Promise<void> {
  const [service] = TUNNEL_SERVICE.split(':');
  await srv.ip(['route', 'add', `${service}/32`, 'dev', 'wg0', 'table', String(WG_MARK)]);
  await srv.ip(['rule', 'add', 'priority', '1000', 'to', `${service}/32`, 'lookup', String(WG_MARK)]);
}

/**
 * gw sends 127.0.0.0/8 to srv, as an attacker on srv's link would: a rule
 * before `local` (moved from priority 0 to 2) and route_localnet on gw's eth0,
 * so it may send to and hear from 127.0.0.1 there.
 */
async function routeLocalnetViaSrv(gw: Host): Promise<void> {
  await gw.ip(['route', 'add', '127.0.0.0/8', 'via', SRV, 'dev', 'eth0', 'table', LOCALNET_TABLE]);
  await gw.ip(['rule', 'add', 'priority', '1', 'to', '127.0.0.0/8', 'lookup', LOCALNET_TABLE]);
  await gw.ip(['rule', 'add', 'priority', '2', 'lookup', 'local']);
  await gw.ip(['rule', 'del', 'priority', '0']);
  await gw.sysctl('net.ipv4.conf.all.route_localnet', 1);
  await gw.sysctl('net.ipv4.conf.eth0.route_localnet', 1);
}

/** Whether gw reaches srv's localhost-only service. */
async function localhostReachable(host: AppHost): Promise<boolean> {
  const result = await exchange(host.gw, {
    connect: LOCALHOST_ONLY,
    expectPeer: true,
    sendBytes: 100,
    timeoutMs: 3_000,
  });
  return result.ok;
}

/** Everything a fix could change in srv, without counters and timestamps. */
async function hostState(srv: Host): Promise<Record<string, string>> {
  const read = async (argv: string[]) => (await srv.run(argv)).stdout;
  const sysctls = ['all', 'eth0', 'lo', 'wg0'].map((device) => `net.ipv4.conf.${device}.route_localnet`);
  return {
    rules: await read(['ip', '-j', 'rule', 'show']),
    routes: await read(['ip', '-j', 'route', 'show', 'table', 'all']),
    iptables: (await read(['iptables-save']))
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .map((line) => line.replace(/\[\d+:\d+\]/g, ''))
      .join('\n'),
    nft: (await read(['nft', 'list', 'ruleset'])).replace(/ packets \d+ bytes \d+/g, ''),
    sysctls: await read(['sysctl', ...sysctls]),
  };
}

describe('doctor -mark fixes, applied: they heal mmproxy and harm nothing else (issue 13)', function () {
  this.timeout(120_000);
  before(function () {
    requireNetns(this);
  });

  for (const setup of SETUPS) {
    describe(setup.name, function () {
      let lab: Lab;
      let host: AppHost;
      const args = ['-l', MMPROXY_LISTEN, '-4', setup.target, '-6', 'none', '-mark', MARK];
      const othersWork = async () => {
        assert.equal(await sshWorks(host), true, "sshd's stand-in on 198.51.100.2:22 answers the network");
        assert.equal(await tunnelWorks(host), true, 'the WireGuard-style table still carries its traffic');
      };

      before(async function () {
        lab = Lab.create('drmfix');
        host = await buildAppHost(lab);
        await wireGuardTable(host.srv);
        await setup.build(host.srv);
        // gw answers the clients (mmproxy's, and the doctor's probe client in 192.0.2.0/24) through srv.
        if (setup.remote)
          for (const client of [`${CLIENT.address}/32`, '192.0.2.0/24'])
            await host.gw.ip(['route', 'add', client, 'via', SRV]);
        await startPeerService(setup.remote ? host.gw : host.srv, setup.target);
        if (setup.opensLocalnet) {
          await startPeerService(host.srv, LOCALHOST_ONLY);
          await routeLocalnetViaSrv(host.gw);
        }
        host.mmproxy = await startMmproxy(host.srv, args);
      });
      afterEach(function () {
        printLabLogOnFailure(this, lab);
      });
      after(async function () {
        if (!lab) return;
        await lab.destroy();
        await assertNoLeaks(lab);
      });

      it('carries no traffic, and the doctor names the cause and the exact fix (exit 1)', async function () {
        assert.equal(await spoofedClient(host), null, 'a connection through mmproxy before the fix');
        await othersWork();
        const report = await runDoctorJson(host.srv, args);
        const mark = report.checks.get('mark-routing');
        assert.equal(mark?.status, 'fail', `${mark?.summary}\n${mark?.evidence.join('\n')}`);
        assert.equal(mark?.summary, setup.cause);
        assert.deepEqual(mark?.remediation?.commands, setup.commands);
        assert.equal(mark?.remediation?.appliedByFix, false);
        if (setup.opensLocalnet) assert.match(mark?.remediation?.text ?? '', /CVE-2020-8558/);
        assert.equal(report.rootCause?.id, 'mark-routing');
        assert.equal(report.code, 1);
      });

      it('--fix --yes and setup-routing show it and change nothing (they apply only ip rules and routes)', async function () {
        const before = await hostState(host.srv);
        const fixed = await runDoctor(host.srv, [...args, '--fix', '--yes']);
        assert.equal(fixed.code, 1, fixed.stdout);
        assert.match(fixed.stdout, /--fix: no routing fix to apply\./);
        const setupRouting = await runSetupRouting(host.srv, args);
        assert.equal(setupRouting.code, 1, setupRouting.stdout + setupRouting.stderr);
        assert.doesNotMatch(setupRouting.stdout, /ran:/);
        assert.deepEqual(await hostState(host.srv), before);
      });

      it('the printed commands, run as printed, heal mmproxy; sshd and the tunnel still answer', async function () {
        const report = await runDoctorJson(host.srv, args);
        const commands = report.checks.get('mark-routing')?.remediation?.commands ?? [];
        assert.deepEqual(commands, setup.commands);
        const before = await hostState(host.srv);
        for (const command of commands) await host.srv.run(['sh', '-c', command]);
        assert.notDeepEqual(await hostState(host.srv), before, 'the commands changed the host (hostState sees them)');
        assert.equal(await spoofedClient(host), CLIENT.address, 'the app sees the real client through mmproxy');
        await othersWork();
      });

      it('a second doctor --fix --yes passes (exit 0) and changes nothing', async function () {
        const before = await hostState(host.srv);
        const again = await runDoctor(host.srv, [...args, '--fix', '--yes']);
        assert.equal(again.code, 0, again.stdout);
        assert.doesNotMatch(again.stdout, /ran:/);
        assert.deepEqual(await hostState(host.srv), before);
        const report = await runDoctorJson(host.srv, args);
        for (const id of ['mark-routing', 'target']) {
          const check = report.checks.get(id);
          assert.equal(check?.status, 'ok', `${id}: ${check?.summary}\n${check?.evidence.join('\n')}`);
        }
        assert.equal(report.code, 0);
        assert.equal(await spoofedClient(host), CLIENT.address, 'still, after the second run');
        await othersWork();
      });

      if (setup.opensLocalnet) {
        it("the guard keeps srv's localhost-only service from the network; without it gw reaches it", async function () {
          assert.equal(await localhostReachable(host), false, 'gw reaches 127.0.0.1:6379 on srv despite the guard');
          const unguard = LOCALNET_GUARD.replace('iptables -I', 'iptables -D');
          await host.srv.run(['sh', '-c', unguard]);
          assert.equal(await localhostReachable(host), true, 'without the guard, route_localnet lets gw in');
          await host.srv.run(['sh', '-c', LOCALNET_GUARD]);
          assert.equal(await localhostReachable(host), false, 'the guard, put back, closes it again');
          assert.equal(await spoofedClient(host), CLIENT.address, 'the guard leaves the mark setup alone');
          await othersWork();
        });
      }
    });
  }
});
