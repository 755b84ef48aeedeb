/**
 * Class 3 of issue #13: the doctor's fixes never change how other traffic of
 * the host is routed. Each setup is built from a published recipe
 * (go-mmproxy's and cloudflare/mmproxy's READMEs) or from wg-quick's rules,
 * broken the way operators break it, one behind an nftables-native firewall.
 * The doctor CLI must name the cause (exit 1), and its fix, applied once by
 * `mmproxy doctor --fix --yes` and once (from the same broken state) by
 * `mmproxy setup-routing`, must heal a real connection through mmproxy while
 * an unrelated service on the host's own address (sshd's stand-in, reached
 * from the network) and the traffic of WireGuard's table keep working. A
 * second setup-routing adds nothing. Topology: ./helpers/app-host.ts.
 */
import assert from 'node:assert/strict';

import { assertNoLeaks, Lab } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import {
  addWgQuickRules,
  type AppHost,
  buildAppHost,
  CLIENT,
  MMPROXY_LISTEN,
  resetRouting,
  ruleRows,
  spoofedClient,
  sshWorks,
  startApp,
  tunnelWorks,
  WG_MARK,
} from './helpers/app-host.js';
import { runDoctor, runDoctorJson, runSetupRouting } from './helpers/run-doctor.js';

interface Setup {
  name: string;
  target: string;
  /** Builds the broken routing on a host with only the kernel's default rules. */
  routing(host: AppHost): Promise<void>;
  /** The cause the doctor must name (loopback-routing-v4's summary). */
  cause: string | RegExp;
  /** The exact fix it must print, when the test pins it. */
  commands?: string[];
  /** What must hold before the fix: the app through mmproxy, sshd, the tunnel. */
  before: { spoofed: boolean; ssh: boolean };
  wireguard?: boolean;
  /** Extra checks on the rules after each fix. */
  after?(host: AppHost): Promise<void>;
}

const HOST_TARGET = '198.51.100.2:7000';
const LOOPBACK_TARGET = '127.0.0.1:7000';

const SETUPS: Setup[] = [
  {
    name: 'a target on the host address, no routing yet',
    target: HOST_TARGET,
    routing: async () => undefined,
    cause: 'no rule sends replies from 198.51.100.2 (iif lo) to a table with a local route',
    commands: [
      'ip route add local 0.0.0.0/0 dev lo table 123',
      'ip rule add from 198.51.100.2 iif lo ipproto tcp sport 7000 lookup 123',
    ],
    before: { spoofed: false, ssh: true },
  },
  {
    name: 'a host address target behind an nftables-native firewall (input policy drop, sshd and mmproxy open)',
    target: HOST_TARGET,
    routing: async ({ srv }) => {
      // The firewall is not routing: resetRouting leaves it, so it is added once.
      const present = await srv.exec(['nft', 'list', 'table', 'inet', 'filter']);
      if (present.code === 0) return;
      await srv.run(['nft', 'add', 'table', 'inet', 'filter']);
      await srv.run([
        'nft',
        'add',
        'chain',
        'inet',
        'filter',
        'input',
        '{ type filter hook input priority 0; policy drop; }',
      ]);
      await srv.run(['nft', 'add', 'rule', 'inet', 'filter', 'input', 'iif', 'lo', 'accept']);
      await srv.run(['nft', 'add', 'rule', 'inet', 'filter', 'input', 'ct', 'state', 'established,related', 'accept']);
      await srv.run(['nft', 'add', 'rule', 'inet', 'filter', 'input', 'tcp', 'dport', '{ 22, 8443 }', 'accept']);
    },
    cause: 'no rule sends replies from 198.51.100.2 (iif lo) to a table with a local route',
    commands: [
      'ip route add local 0.0.0.0/0 dev lo table 123',
      'ip rule add from 198.51.100.2 iif lo ipproto tcp sport 7000 lookup 123',
    ],
    before: { spoofed: false, ssh: true },
  },
  {
    // Even mmproxy's own listener on that address stops answering the load balancer.
    name: 'the unscoped rule older doctors added for a host address: every service on it cut off',
    target: HOST_TARGET,
    routing: async ({ srv }) => {
      await srv.ip(['rule', 'add', 'from', '198.51.100.2/32', 'iif', 'lo', 'table', '123']);
      await srv.ip(['route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '123']);
    },
    cause:
      'rule "32765: from 198.51.100.2 iif lo lookup 123" delivers every packet this host sends from 198.51.100.2 to lo: the other services on that address cannot answer clients on the network',
    commands: [
      'ip rule add priority 32765 from 198.51.100.2 iif lo ipproto tcp sport 7000 lookup 123',
      'ip rule del priority 32765 from 198.51.100.2 iif lo lookup 123',
    ],
    before: { spoofed: false, ssh: false },
  },
  {
    name: "go-mmproxy's recipe, then wg-quick up: WireGuard's rules come first",
    target: LOOPBACK_TARGET,
    wireguard: true,
    routing: async ({ srv }) => {
      await srv.ip(['rule', 'add', 'from', '127.0.0.1/8', 'iif', 'lo', 'table', '123']);
      await srv.ip(['route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '123']);
      await addWgQuickRules(srv);
    },
    cause:
      /^rule "32764: not from all fwmark 0xca6c lookup 51820" \(wg-quick's rule for WireGuard: .* wg0\) takes replies from 127\.0\.0\.1 before rule "32765: from 127\.0\.0\.1\/8 iif lo lookup 123" can$/,
    commands: [
      'ip rule add priority 32762 from 127.0.0.1/8 iif lo lookup 123',
      'ip rule del priority 32765 from 127.0.0.1/8 iif lo lookup 123',
    ],
    before: { spoofed: false, ssh: true },
    after: async ({ srv }) => {
      const rows = await ruleRows(srv);
      assert.deepEqual(
        rows.filter((row) => row.table === String(WG_MARK) || row.suppress_prefixlen !== undefined),
        [
          { priority: 32763, src: 'all', table: 'main', suppress_prefixlen: 0 },
          { priority: 32764, not: null, src: 'all', fwmark: '0xca6c', table: String(WG_MARK) },
        ],
        "wg-quick's rules are untouched",
      );
    },
  },
  {
    name: "cloudflare/mmproxy's recipe (table 100) after main, with an extra selector",
    target: LOOPBACK_TARGET,
    routing: async ({ srv }) => {
      await srv.ip([
        'rule',
        'add',
        'from',
        '127.0.0.1/8',
        'iif',
        'lo',
        'ipproto',
        'tcp',
        'table',
        '100',
        'priority',
        '40000',
      ]);
      await srv.ip(['route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '100']);
    },
    cause:
      'rule "40000: from 127.0.0.1/8 iif lo ipproto tcp lookup 100" comes after main (priority 32766), so main\'s routes win',
    commands: [
      'ip rule add priority 32765 from 127.0.0.1/8 iif lo ipproto tcp lookup 100',
      'ip rule del priority 40000 from 127.0.0.1/8 iif lo ipproto tcp lookup 100',
    ],
    before: { spoofed: false, ssh: true },
    after: async ({ srv }) => {
      const custom = (await ruleRows(srv)).filter((row) => ![0, 32766, 32767].includes(row.priority));
      assert.deepEqual(custom, [
        { priority: 32765, src: '127.0.0.1', srclen: 8, iif: 'lo', ipproto: 'tcp', table: '100' },
      ]);
    },
  },
  {
    name: "cloudflare/mmproxy's recipe written with iif eth0: a dead rule, corrected in place",
    target: LOOPBACK_TARGET,
    routing: async ({ srv }) => {
      await srv.ip(['rule', 'add', 'from', '127.0.0.1/8', 'iif', 'eth0', 'table', '100']);
      await srv.ip(['route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '100']);
    },
    cause:
      'rule "32765: from 127.0.0.1/8 iif eth0 lookup 100" never matches replies from 127.0.0.1: iif eth0: the app\'s replies are generated on this host, and the kernel looks them up with iif lo',
    commands: [
      'ip rule add priority 32765 from 127.0.0.1/8 iif lo lookup 100',
      'ip rule del priority 32765 from 127.0.0.1/8 iif eth0 lookup 100',
    ],
    before: { spoofed: false, ssh: true },
    after: async ({ srv }) => {
      const custom = (await ruleRows(srv)).filter((row) => ![0, 32766, 32767].includes(row.priority));
      assert.deepEqual(
        custom,
        [{ priority: 32765, src: '127.0.0.1', srclen: 8, iif: 'lo', table: '100' }],
        'no second table',
      );
    },
  },
  {
    name: 'a dead rule for the host address: corrected in place, and scoped so that sshd keeps answering',
    target: HOST_TARGET,
    routing: async ({ srv }) => {
      await srv.ip(['rule', 'add', 'from', '198.51.100.2', 'iif', 'eth0', 'table', '123']);
      await srv.ip(['route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '123']);
    },
    cause:
      /^rule "32765: from 198\.51\.100\.2 iif eth0 lookup 123" never matches replies from 198\.51\.100\.2: iif eth0/,
    commands: [
      'ip rule add priority 32765 from 198.51.100.2 iif lo ipproto tcp sport 7000 lookup 123',
      'ip rule del priority 32765 from 198.51.100.2 iif eth0 lookup 123',
    ],
    before: { spoofed: false, ssh: true },
  },
];

const PROXY_FLAGS = (target: string) => ['-l', MMPROXY_LISTEN, '-4', target, '-6', 'none'];

describe('doctor fixes: safe for the rest of the host (class 3)', function () {
  this.timeout(120_000);
  before(function () {
    requireNetns(this);
  });

  for (const setup of SETUPS) {
    describe(setup.name, function () {
      let lab: Lab;
      let host: AppHost;
      const flags = PROXY_FLAGS(setup.target);
      const healed = async () => {
        assert.equal(await spoofedClient(host), CLIENT.address, 'the app sees the real client through mmproxy');
        assert.equal(await sshWorks(host), true, "sshd's stand-in on 198.51.100.2:22 answers the network");
        if (setup.wireguard) assert.equal(await tunnelWorks(host), true, "WireGuard's table still carries its traffic");
        await setup.after?.(host);
      };

      before(async function () {
        lab = Lab.create('drsafe');
        host = await buildAppHost(lab);
        await startApp(host, setup.target);
        await setup.routing(host);
      });
      afterEach(function () {
        printLabLogOnFailure(this, lab);
      });
      after(async function () {
        if (!lab) return;
        await lab.destroy();
        await assertNoLeaks(lab);
      });

      it('is broken the expected way, and the doctor names the cause and the exact fix (exit 1)', async function () {
        assert.equal((await spoofedClient(host)) === CLIENT.address, setup.before.spoofed);
        assert.equal(await sshWorks(host), setup.before.ssh);
        if (setup.wireguard) assert.equal(await tunnelWorks(host), true);
        const report = await runDoctorJson(host.srv, flags);
        assert.equal(report.code, 1);
        assert.equal(report.rootCause?.id, 'loopback-routing-v4');
        const v4 = report.checks.get('loopback-routing-v4');
        if (typeof setup.cause === 'string') assert.equal(v4?.summary, setup.cause);
        else assert.match(v4?.summary ?? '', setup.cause);
        if (setup.commands) assert.deepEqual(v4?.remediation?.commands, setup.commands);
      });

      it('mmproxy doctor --fix --yes heals it and harms nothing else', async function () {
        const fixed = await runDoctor(host.srv, [...flags, '--fix', '--yes']);
        assert.equal(fixed.code, 0, fixed.stdout);
        await healed();
      });

      it('mmproxy setup-routing heals the same broken state the same way; a second run adds nothing', async function () {
        await resetRouting(host.srv);
        await setup.routing(host);
        const first = await runSetupRouting(host.srv, flags);
        assert.equal(first.code, 0, first.stdout + first.stderr);
        const rules = await ruleRows(host.srv);
        const second = await runSetupRouting(host.srv, flags);
        assert.equal(second.code, 0, second.stdout + second.stderr);
        assert.doesNotMatch(second.stdout, /ran:/);
        assert.deepEqual(await ruleRows(host.srv), rules);
        await healed();
      });
    });
  }
});
