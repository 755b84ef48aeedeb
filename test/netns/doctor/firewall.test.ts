/**
 * A firewall that stops the spoofed handshake while the routing is right.
 * Each setup is built in fresh namespaces, the `mmproxy doctor` CLI runs
 * inside srv, and the test asserts the exit code, the rule it names (table,
 * chain, handle or rule spec) and the fix it prints; then it applies that
 * fix exactly as printed and checks that the doctor passes, that real
 * mmproxy relays a client from gw, that the firewall still keeps gw off the
 * app's port, and that an unrelated service still answers.
 *
 *   ┌── srv ────────────────────────────────────────┐        ┌── gw ─────────────────┐
 *   │ app 0.0.0.0:8080 and [::1]:8080 (peer-service)│        │ client, load balancer │
 *   │ unrelated service 198.51.100.2:7000           │        │                       │
 *   │ mmproxy 198.51.100.2:8443 → 127.0.0.1:8080    │        │                       │
 *   │ loopback routing (table 123); the firewall    │  veth  │                       │
 *   │ eth0 198.51.100.2/24 2001:db8:1::2/64         ├────────┤ eth0 198.51.100.1/24  │
 *   └───────────────────────────────────────────────┘        └───────────────────────┘
 */
import assert from 'node:assert/strict';

import { assertNoLeaks, exchange, type Host, Lab, startPeerService } from '../../../lab/index.js';
import { startMmproxy, stopMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { PROXY_CLIENT } from '../dataplane/harness/driver.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import { runDoctorJson } from './helpers/run-doctor.js';
import { buildTopology } from './helpers/scenarios.js';

const ARGS = ['-4', '127.0.0.1:8080', '-6', 'none', '-l', '198.51.100.2:8443'];
const ARGS_V6 = ['-4', '127.0.0.1:8080', '-6', '[::1]:8080', '-l', '198.51.100.2:8443'];

interface FirewallCase {
  /** What the firewall looks like, as an admin would have written it. */
  build(srv: Host): Promise<unknown>;
  args: string[];
  /** The rule named in the root cause: its spec and where it lives. */
  cause: RegExp;
  /** The fix commands, exactly; `HANDLE` stands for the handle nft gave the named rule. */
  fix: string[];
}

const nft = (srv: Host, ruleset: string) => srv.sh(`nft -f - <<'EOF'\n${ruleset}\nEOF`);
const iptables = (srv: Host, ...rules: string[][]) =>
  rules.reduce((done, rule) => done.then(() => srv.run(rule)).then(() => undefined), Promise.resolve());

const CASES: Record<string, FirewallCase> = {
  // The issue's own case: an INPUT rule that lets only 127.0.0.1 reach the port.
  'iptables: only 127.0.0.1 may reach the port': {
    build: (srv) =>
      iptables(srv, ['iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', '8080', '!', '-s', '127.0.0.1', '-j', 'DROP']),
    args: ARGS,
    cause:
      /^`-A INPUT ! -s 127\.0\.0\.1\/32 -p tcp -m tcp --dport 8080 -j DROP` \(iptables -t filter INPUT rule 1, nft handle \d+\) drops the spoofed SYN arriving on lo in INPUT, for 127\.0\.0\.1:8080: its counter rose by \d+ during the probe$/,
    fix: ['iptables -t filter -I INPUT 1 -i lo -d 127.0.0.1 -p tcp --dport 8080 -j ACCEPT'],
  },
  'nftables: only 127.0.0.1 may reach the port': {
    build: (srv) =>
      nft(
        srv,
        `table inet fw {
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport 8080 ip saddr != 127.0.0.1 counter drop
  }
}`,
      ),
    args: ARGS,
    cause:
      /^`tcp dport 8080 ip saddr != 127\.0\.0\.1 counter drop` \(nftables inet fw input handle 2\) drops the spoofed SYN arriving on lo in INPUT, for 127\.0\.0\.1:8080: its counter rose by \d+ during the probe$/,
    fix: ['nft insert rule inet fw input position 2 iifname lo ip daddr 127.0.0.1 tcp dport 8080 accept'],
  },
  // A hardened host: policy drop, lo accepted from loopback addresses only, both families.
  'nftables: policy drop, lo open to loopback sources only': {
    build: (srv) =>
      nft(
        srv,
        `table inet fw {
  chain input {
    type filter hook input priority filter; policy drop;
    iifname "lo" ip saddr 127.0.0.0/8 accept
    iifname "lo" ip6 saddr ::1 accept
    ct state established,related accept
    tcp dport { 7000, 8443 } accept
  }
}`,
      ),
    args: ARGS_V6,
    cause:
      /^the drop policy of nftables inet fw input drops the spoofed SYN arriving on lo in INPUT, for 127\.0\.0\.1:8080$/,
    fix: [
      'nft add rule inet fw input iifname lo ip daddr 127.0.0.1 tcp dport 8080 accept',
      'nft add rule inet fw input iifname lo ip6 daddr ::1 tcp dport 8080 accept',
    ],
  },
  'iptables-legacy: policy DROP, lo open to loopback sources only': {
    build: (srv) =>
      iptables(
        srv,
        ['iptables-legacy', '-A', 'INPUT', '-i', 'lo', '-s', '127.0.0.0/8', '-j', 'ACCEPT'],
        ['iptables-legacy', '-A', 'INPUT', '-p', 'tcp', '-m', 'multiport', '--dports', '7000,8443', '-j', 'ACCEPT'],
        ['iptables-legacy', '-P', 'INPUT', 'DROP'],
      ),
    args: ARGS,
    cause:
      /^the drop policy of iptables \(legacy\) -t filter INPUT drops the spoofed SYN arriving on lo in INPUT, for 127\.0\.0\.1:8080: its counter rose by \d+ during the probe$/,
    fix: ['iptables-legacy -t filter -A INPUT -i lo -d 127.0.0.1 -p tcp --dport 8080 -j ACCEPT'],
  },
  // The SYN gets in; the app's SYN-ACK to a non-loopback address is stopped on its way out.
  'nftables: replies to non-loopback addresses dropped in OUTPUT': {
    build: (srv) =>
      nft(
        srv,
        `table ip egress {
  chain output {
    type filter hook output priority filter; policy accept;
    tcp sport 8080 ip daddr != 127.0.0.0/8 counter drop
  }
}`,
      ),
    args: ARGS,
    cause:
      /^`tcp sport 8080 ip daddr != 127\.0\.0\.0\/8 counter drop` \(nftables ip egress output handle 2\) drops the app's SYN-ACK leaving \(by lo\) in OUTPUT, for 127\.0\.0\.1:8080: its counter rose by \d+ during the probe$/,
    fix: ['nft insert rule ip egress output position 2 oifname lo ip saddr 127.0.0.1 tcp sport 8080 accept'],
  },
};

/** A PROXY v1 header from gw naming a client, through real mmproxy: the app must see that client. */
async function proxiedClient(srv: Host, gw: Host): Promise<{ ended: string; peer: { address: string } | null }> {
  const proxy = await startMmproxy(srv, [...ARGS, '--connect-timeout', '2s']);
  try {
    const header = Buffer.from('PROXY TCP4 203.0.113.7 198.51.100.2 40000 8443\r\n').toString('hex');
    const { stdout } = await gw.run([
      process.execPath,
      PROXY_CLIENT,
      '--connect',
      '198.51.100.2:8443',
      '--header-hex',
      header,
      '--send-bytes',
      '64',
      '--timeout-ms',
      '5000',
    ]);
    return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { ended: string; peer: { address: string } | null };
  } finally {
    await stopMmproxy(proxy);
  }
}

describe('mmproxy doctor: the firewall on the path', function () {
  this.timeout(60_000);
  const labs: Lab[] = [];

  before(function () {
    requireNetns(this);
  });

  for (const [name, setup] of Object.entries(CASES)) {
    describe(name, function () {
      let lab: Lab;
      let srv: Host;
      let gw: Host;
      before(async function () {
        lab = Lab.create('drfw');
        labs.push(lab);
        ({ srv, gw } = await buildTopology(lab));
        await srv.addLoopbackRouting();
        await startPeerService(srv, '0.0.0.0:8080');
        await startPeerService(srv, '[::1]:8080');
        await startPeerService(srv, '198.51.100.2:7000');
        await setup.build(srv);
      });
      afterEach(function () {
        printLabLogOnFailure(this, lab);
      });
      after(async function () {
        await lab?.destroy();
      });

      it('names the rule that drops the probe, and the narrow accept that lets it through', async function () {
        const report = await runDoctorJson(srv, setup.args);
        const firewall = report.checks.get('firewall');
        assert.equal(report.code, 1);
        assert.equal(report.rootCause?.id, 'firewall', JSON.stringify([...report.checks.values()], null, 2));
        assert.match(firewall?.summary ?? '', setup.cause);
        assert.equal(report.checks.get('loopback-routing-v4')?.status, 'ok');
        assert.deepEqual(firewall?.remediation?.commands, setup.fix);
        assert.equal(firewall?.remediation?.appliedByFix, false);
      });

      it('the fix, applied as printed, heals the service and keeps the rest as it was', async function () {
        for (const command of setup.fix) await srv.run(['sh', '-c', command]);
        const report = await runDoctorJson(srv, setup.args);
        assert.equal(report.code, 0, JSON.stringify([...report.checks.values()], null, 2));
        assert.equal(report.checks.get('firewall')?.status, 'ok');
        const proxied = await proxiedClient(srv, gw);
        assert.equal(proxied.peer?.address, '203.0.113.7', JSON.stringify(proxied));
        // The firewall still does what it was for: gw cannot reach the app's port directly...
        const direct = await exchange(gw, { connect: '198.51.100.2:8080', timeoutMs: 1000 });
        assert.equal(direct.ok, false, JSON.stringify(direct));
        // ...while an unrelated service answers as before.
        const unrelated = await exchange(gw, { connect: '198.51.100.2:7000', sendBytes: 10, expectPeer: true });
        assert.equal(unrelated.ok, true, JSON.stringify(unrelated));
      });
    });
  }

  after(async function () {
    for (const lab of labs) await lab.destroy();
    if (labs.length) await assertNoLeaks(...labs);
  });
});
