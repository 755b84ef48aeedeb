/**
 * Issue #13, mark-based routing (-mark), judged against the kernel: each
 * setup is built in namespaces, a real connection goes through mmproxy with
 * its mark, and the doctor's verdict must match what that traffic did.
 *
 * - Working: the mark saved in PREROUTING (cloudflare/mmproxy's README recipe,
 *   iptables) or in an nftables filter chain on prerouting, restored where the
 *   kernel routes the reply again. The doctor exits 0 and says where the mark
 *   is saved.
 * - Broken: the mark restored where the kernel does not route again (an
 *   nftables chain of type filter hook output, iptables' filter table). The
 *   doctor exits 1 naming that rule (table, chain, handle or rule number) and
 *   prints the chain that would; applied, it heals mmproxy's traffic and the
 *   unrelated service on the host's address keeps answering.
 *
 * Topology: ./helpers/app-host.ts (mmproxy on 198.51.100.2:8443, reached from gw).
 */
import assert from 'node:assert/strict';

import { assertNoLeaks, type Host, Lab, startPeerService } from '../../../lab/index.js';
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
} from './helpers/app-host.js';
import { runDoctorJson } from './helpers/run-doctor.js';

const MARK = '123';

interface Setup {
  name: string;
  target: string;
  /** The app runs on gw (a target on another host, which routes the clients back through srv). */
  remote?: boolean;
  build(srv: Host): Promise<void>;
  /** Working setups: the evidence line that says where the mark is saved. */
  saved?: RegExp;
  /** Broken setups: the cause mark-routing must name, and what its fix must contain. */
  cause?: RegExp;
  fix?: RegExp;
}

/** cloudflare/mmproxy's README, "traffic forwarded to any other interface", for one family. */
async function cloudflareRecipe(srv: Host, restoreTable = 'mangle'): Promise<void> {
  await srv.sysctl('net.ipv4.conf.eth0.route_localnet', 1);
  const comment = ['-m', 'comment', '--comment', 'mmproxy'];
  await srv.run(
    ['iptables', '-t', 'mangle', '-I', 'PREROUTING', '-m', 'mark', '--mark', MARK, ...comment].concat([
      '-j',
      'CONNMARK',
      '--save-mark',
    ]),
  );
  await srv.run(
    ['iptables', '-t', restoreTable, '-I', 'OUTPUT', '-m', 'connmark', '--mark', MARK, ...comment].concat([
      '-j',
      'CONNMARK',
      '--restore-mark',
    ]),
  );
  await fwmarkRouting(srv);
}

async function fwmarkRouting(srv: Host): Promise<void> {
  await srv.ip(['rule', 'add', 'fwmark', MARK, 'lookup', '100']);
  await srv.ip(['route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '100']);
}

/** Native nftables: the save in a filter chain on prerouting, the restore in a chain of `outputType`. */
async function nftables(srv: Host, outputType: 'route' | 'filter'): Promise<void> {
  const nft = (...args: string[]) => srv.run(['nft', ...args]);
  await nft('add', 'table', 'ip', 'mmproxy');
  await nft('add', 'chain', 'ip', 'mmproxy', 'prerouting', '{ type filter hook prerouting priority mangle; }');
  await nft('add', 'rule', 'ip', 'mmproxy', 'prerouting', 'meta', 'mark', MARK, 'ct', 'mark', 'set', 'meta', 'mark');
  await nft('add', 'chain', 'ip', 'mmproxy', 'output', `{ type ${outputType} hook output priority mangle; }`);
  await nft('add', 'rule', 'ip', 'mmproxy', 'output', 'ct', 'mark', MARK, 'meta', 'mark', 'set', 'ct', 'mark');
  await fwmarkRouting(srv);
}

/** The save in one more hook the looped SYN passes (iptables mangle INPUT, or an nft postrouting chain). */
async function saveElsewhere(srv: Host, where: 'iptables-input' | 'nft-postrouting'): Promise<void> {
  if (where === 'iptables-input') {
    await srv.run([
      'iptables',
      '-t',
      'mangle',
      '-A',
      'INPUT',
      '-m',
      'mark',
      '--mark',
      MARK,
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
      MARK,
      '-j',
      'CONNMARK',
      '--restore-mark',
    ]);
  } else {
    const nft = (...args: string[]) => srv.run(['nft', ...args]);
    await nft('add', 'table', 'inet', 'mmproxy');
    await nft('add', 'chain', 'inet', 'mmproxy', 'postrouting', '{ type filter hook postrouting priority mangle; }');
    await nft(
      'add',
      'rule',
      'inet',
      'mmproxy',
      'postrouting',
      'meta',
      'mark',
      MARK,
      'ct',
      'mark',
      'set',
      'meta',
      'mark',
    );
    await nft('add', 'chain', 'inet', 'mmproxy', 'output', '{ type route hook output priority mangle; }');
    await nft('add', 'rule', 'inet', 'mmproxy', 'output', 'ct', 'mark', MARK, 'meta', 'mark', 'set', 'ct', 'mark');
  }
  await fwmarkRouting(srv);
}

/** The save in the raw table: before conntrack in OUTPUT (nothing to save on), after it for the looped SYN. */
async function saveInRaw(srv: Host, chain: 'PREROUTING' | 'OUTPUT'): Promise<void> {
  await srv.run(['iptables', '-t', 'raw', '-A', chain, '-m', 'mark', '--mark', MARK, '-j', 'CONNMARK', '--save-mark']);
  await srv.run([
    'iptables',
    '-t',
    'mangle',
    '-A',
    'OUTPUT',
    '-m',
    'connmark',
    '--mark',
    MARK,
    '-j',
    'CONNMARK',
    '--restore-mark',
  ]);
  await fwmarkRouting(srv);
}

/**
 * A target on another host, nftables-native: the SYN's mark saved and cleared in a route chain on output (so
 * it is routed again, unmarked, toward the target), the replies' mark restored in a filter chain on prerouting.
 */
async function nftablesRemote(srv: Host): Promise<void> {
  const nft = (...args: string[]) => srv.run(['nft', ...args]);
  await nft('add', 'table', 'ip', 'mmproxy');
  await nft('add', 'chain', 'ip', 'mmproxy', 'output', '{ type route hook output priority mangle; }');
  await nft(
    'add',
    'rule',
    'ip',
    'mmproxy',
    'output',
    'meta',
    'mark',
    MARK,
    'ct',
    'mark',
    'set',
    'meta',
    'mark',
    'meta',
    'mark',
    'set',
    '0',
  );
  await nft('add', 'chain', 'ip', 'mmproxy', 'prerouting', '{ type filter hook prerouting priority mangle; }');
  await nft('add', 'rule', 'ip', 'mmproxy', 'prerouting', 'ct', 'mark', MARK, 'meta', 'mark', 'set', 'ct', 'mark');
  await fwmarkRouting(srv);
}

const SETUPS: Setup[] = [
  {
    name: "cloudflare/mmproxy's README recipe: --save-mark in PREROUTING, --restore-mark in mangle OUTPUT",
    target: '127.0.0.1:7000',
    build: (srv) => cloudflareRecipe(srv),
    saved:
      /^the SYN's mark 123 is saved on its connection in PREROUTING by `-A PREROUTING .*--save-mark.*` \(iptables -t mangle PREROUTING rule 1/,
  },
  {
    name: 'nftables-native: ct mark set meta mark on prerouting, meta mark set ct mark in a type route output chain',
    target: '198.51.100.2:7000',
    build: (srv) => nftables(srv, 'route'),
    saved:
      /^the SYN's mark 123 is saved on its connection in PREROUTING by `.*ct mark set meta mark` \(nftables ip mmproxy prerouting handle \d+\)$/,
  },
  {
    name: 'iptables: --save-mark in mangle INPUT (the looped SYN passes it on its way to the app)',
    target: '198.51.100.2:7000',
    build: (srv) => saveElsewhere(srv, 'iptables-input'),
    saved: /^the SYN's mark 123 is saved on its connection in INPUT by .*\(iptables -t mangle INPUT rule 1/,
  },
  {
    name: 'nftables-native (inet): ct mark set meta mark in a filter chain on postrouting',
    target: '127.0.0.1:7000',
    build: async (srv) => {
      await srv.sysctl('net.ipv4.conf.eth0.route_localnet', 1);
      await saveElsewhere(srv, 'nft-postrouting');
    },
    saved:
      /^the SYN's mark 123 is saved on its connection in POSTROUTING by .*\(nftables inet mmproxy postrouting handle \d+\)$/,
  },
  {
    name: 'iptables: --save-mark in raw PREROUTING (the looped SYN brings its connection from OUTPUT)',
    target: '198.51.100.2:7000',
    build: (srv) => saveInRaw(srv, 'PREROUTING'),
    saved: /^the SYN's mark 123 is saved on its connection in PREROUTING by .*\(iptables -t raw PREROUTING rule 1/,
  },
  {
    name: 'iptables: --save-mark in raw OUTPUT only (before conntrack: no connection to save on)',
    target: '198.51.100.2:7000',
    build: (srv) => saveInRaw(srv, 'OUTPUT'),
    cause:
      /^no rule saves mark 123 on the connection where the SYN passes \(OUTPUT, POSTROUTING, PREROUTING or INPUT\)$/,
    fix: /^iptables -t mangle -A OUTPUT -m mark --mark 123 -j CONNMARK --save-mark$/,
  },
  {
    name: 'nftables-native, a target on another host: saved and cleared in a route chain on output, restored on prerouting',
    target: '198.51.100.1:7000',
    remote: true,
    build: nftablesRemote,
    saved: /^the SYN's mark 123 is saved on its connection in OUTPUT by .*\(nftables ip mmproxy output handle \d+\)$/,
  },
  {
    name: 'nftables-native: the restore in a chain of type filter hook output (does not re-route)',
    target: '198.51.100.2:7000',
    build: (srv) => nftables(srv, 'filter'),
    cause:
      /\(nftables ip mmproxy output handle \d+\) restores mark 123 on the reply in nftables ip mmproxy output, a chain of type filter hook output: only a chain of type route/,
    fix: /^nft add chain ip mmproxy output_route '\{ type route hook output priority mangle; \}'$/,
  },
  {
    name: "the README recipe with the restore put in iptables' filter table (does not re-route)",
    target: '127.0.0.1:7000',
    build: (srv) => cloudflareRecipe(srv, 'filter'),
    cause:
      /\(iptables -t filter OUTPUT rule 1(, nft handle \d+)?\) restores mark 123 on the reply in iptables -t filter OUTPUT, a chain of type filter hook output/,
    fix: /^iptables -t mangle -A OUTPUT -m connmark --mark 123 -j CONNMARK --restore-mark$/,
  },
];

describe('doctor mark routing: where the mark is saved and restored, against the kernel', function () {
  this.timeout(90_000);
  before(function () {
    requireNetns(this);
  });

  for (const setup of SETUPS) {
    describe(setup.name, function () {
      let lab: Lab;
      let host: AppHost;
      const args = () => ['-l', MMPROXY_LISTEN, '-4', setup.target, '-6', 'none', '-mark', MARK];
      before(async function () {
        lab = Lab.create('drmark');
        host = await buildAppHost(lab);
        await setup.build(host.srv);
        // gw answers the clients (mmproxy's, and the doctor's probe client in 192.0.2.0/24) through srv.
        if (setup.remote)
          for (const client of [`${CLIENT.address}/32`, '192.0.2.0/24'])
            await host.gw.ip(['route', 'add', client, 'via', SRV]);
        await startPeerService(setup.remote ? host.gw : host.srv, setup.target);
        host.mmproxy = await startMmproxy(host.srv, args());
      });
      afterEach(function () {
        printLabLogOnFailure(this, lab);
      });
      after(async function () {
        if (!lab) return;
        await lab.destroy();
        await assertNoLeaks(lab);
      });

      if (setup.saved) {
        it('carries traffic, and the doctor agrees (exit 0) and says where the mark is saved', async function () {
          assert.equal(await spoofedClient(host), CLIENT.address, 'a connection through mmproxy');
          const report = await runDoctorJson(host.srv, args());
          const mark = report.checks.get('mark-routing');
          assert.equal(mark?.status, 'ok', `${mark?.summary}\n${mark?.evidence.join('\n')}`);
          assert.ok(
            mark?.evidence.some((line) => setup.saved!.test(line)),
            `no evidence line matches ${setup.saved}:\n${mark?.evidence.join('\n')}`,
          );
          assert.equal(report.checks.get('target')?.status, 'ok', report.checks.get('target')?.summary);
          assert.equal(report.code, 0);
        });
        return;
      }

      it('carries no traffic, and the doctor names the cause and the fix (exit 1)', async function () {
        assert.equal(await spoofedClient(host), null, 'a connection through mmproxy before the fix');
        const report = await runDoctorJson(host.srv, args());
        const mark = report.checks.get('mark-routing');
        assert.equal(mark?.status, 'fail', `${mark?.summary}\n${mark?.evidence.join('\n')}`);
        assert.match(mark?.summary ?? '', setup.cause!);
        const commands = mark?.remediation?.commands ?? [];
        assert.ok(
          commands.some((command) => setup.fix!.test(command)),
          `no command matches ${setup.fix}:\n${commands.join('\n')}`,
        );
        assert.equal(report.code, 1);
      });

      it('its fix, applied, heals mmproxy and the unrelated service still answers', async function () {
        const report = await runDoctorJson(host.srv, args());
        for (const command of report.checks.get('mark-routing')?.remediation?.commands ?? [])
          await host.srv.run(['sh', '-c', command]);
        assert.equal(await spoofedClient(host), CLIENT.address, 'a connection through mmproxy after the fix');
        assert.ok(await sshWorks(host), 'the unrelated service on the host address');
        const after = await runDoctorJson(host.srv, args());
        const mark = after.checks.get('mark-routing');
        assert.equal(mark?.status, 'ok', `${mark?.summary}\n${mark?.evidence.join('\n')}`);
        assert.equal(after.code, 0);
      });
    });
  }
});
