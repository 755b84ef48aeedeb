/**
 * Class 4 of issue #13, the persistence part: live routing built with the
 * published recipes (go-mmproxy's example unit, cloudflare/mmproxy's table
 * 100), by mmproxy itself, and beside wg-quick's rules, against boot-time
 * configuration the way hosts keep it. The doctor CLI reads that
 * configuration from a private view of /etc (./helpers/boot-files.ts): the
 * host's own /etc is never written.
 *
 *   ┌── srv ─────────────────────────────────────┐
 *   │ lo, eth0 198.51.100.2/24 (veth to gw)      │
 *   │ the routing of each setup; app 127.0.0.1   │
 *   └────────────────────────────────────────────┘
 */
import assert from 'node:assert/strict';

import { assertNoLeaks, type Host, Lab, startPeerService } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import { addWgQuickRules } from './helpers/app-host.js';
import { runDoctorWithEtc } from './helpers/boot-files.js';
import { runSetupRouting, type JsonCheck } from './helpers/run-doctor.js';
import { buildTopology } from './helpers/scenarios.js';

const TARGET = ['-4', '127.0.0.1:7000', '-6', 'none', '-l', '127.0.0.1:8443'];

/** go-mmproxy's Debian example unit (/usr/share/doc/go-mmproxy/examples/go-mmproxy.service), as shipped. */
const GO_MMPROXY_UNIT = `[Unit]
Description=go-mmproxy
After=network.target

[Service]
Environment="DAEMON_ARGS=-4 127.0.0.1:22 -6 "[::1]:22" -allowed-subnets /etc/go-mmproxy/path-prefixes.txt -l 0.0.0.0:2222"
EnvironmentFile=-/etc/default/%p
Type=simple
LimitNOFILE=65535
ExecStartPost=/sbin/ip rule add from 127.0.0.1/8 iif lo table 123
ExecStartPost=/sbin/ip route add local 0.0.0.0/0 dev lo table 123
ExecStart=/usr/bin/go-mmproxy $DAEMON_ARGS
ExecStopPost=/sbin/ip rule del from 127.0.0.1/8 iif lo table 123
ExecStopPost=/sbin/ip route del local 0.0.0.0/0 dev lo table 123
Restart=on-failure

[Install]
WantedBy=multi-user.target
`;

async function persistence(srv: Host, files: Record<string, string>): Promise<JsonCheck> {
  const result = await runDoctorWithEtc(srv, files, [...TARGET, '--json', 'persistence']);
  const document = JSON.parse(result.stdout) as { checks: JsonCheck[] };
  const check = document.checks[0];
  assert.ok(check, result.stdout + result.stderr);
  return check;
}

async function recipe(srv: Host, table: string): Promise<void> {
  await srv.ip(['rule', 'add', 'from', '127.0.0.1/8', 'iif', 'lo', 'table', table]);
  await srv.ip(['route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', table]);
}

describe('doctor persistence: boot-time configuration as hosts keep it (class 4)', function () {
  this.timeout(60_000);
  let lab: Lab | undefined;
  let host: Host;
  before(function () {
    requireNetns(this);
  });
  // Each case on fresh namespaces.
  beforeEach(async function () {
    lab = Lab.create('drpersist');
    host = (await buildTopology(lab)).srv;
    await startPeerService(host, '127.0.0.1:7000');
  });
  afterEach(async function () {
    if (!lab) return;
    printLabLogOnFailure(this, lab);
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  it("go-mmproxy's own example unit (rules added in ExecStartPost=) counts as persistent", async function () {
    await recipe(host, '123');
    const check = await persistence(host, { 'systemd/system/go-mmproxy.service': GO_MMPROXY_UNIT });
    assert.equal(check.status, 'ok', check.evidence.join('\n'));
    assert.deepEqual(check.evidence, [
      'IPv4 rule 32765: from 127.0.0.1/8 iif lo lookup 123: in /etc/systemd/system/go-mmproxy.service (ExecStartPost=)',
      'IPv4 local route of table 123: in /etc/systemd/system/go-mmproxy.service (ExecStartPost=)',
    ]);
    // The same host without the unit: gone after a reboot.
    assert.equal((await persistence(host, {})).status, 'warn');
  });

  it('the networkd snippet it offers for the rules setup-routing adds, pasted, is recognised as exactly them', async function () {
    assert.equal((await runSetupRouting(host, TARGET)).code, 0);
    const first = await persistence(host, {});
    assert.equal(first.status, 'warn');
    const heredoc = first.remediation?.commands[0] ?? '';
    assert.match(heredoc, /^cat >> \/etc\/systemd\/network\/10-mmproxy-lo\.network <<'EOF'\n/);
    assert.match(heredoc, /\nIPProtocol=tcp\nSourcePort=7000\n/);
    const body = heredoc.split('\n').slice(1, -1).join('\n') + '\n';
    const second = await persistence(host, { 'systemd/network/10-mmproxy-lo.network': body });
    assert.equal(second.status, 'ok', second.evidence.join('\n'));
    assert.ok(second.evidence.every((line) => line.endsWith('in /etc/systemd/network/10-mmproxy-lo.network')));
  });

  it("on a wg-quick host, WireGuard's rules are left out and the snippet carries only mmproxy's", async function () {
    await recipe(host, '100');
    await host.ip(['link', 'add', 'wg0', 'type', 'veth', 'peer', 'name', 'wg0peer']);
    await host.ip(['link', 'set', 'wg0', 'up']);
    await addWgQuickRules(host);
    const check = await persistence(host, {});
    assert.equal(check.status, 'warn');
    assert.deepEqual(check.evidence, [
      'IPv4 rule 32765: from 127.0.0.1/8 iif lo lookup 100: in no boot-time configuration',
      'IPv4 local route of table 100: in no boot-time configuration',
    ]);
    assert.doesNotMatch(check.remediation?.commands[0] ?? '', /FirewallMark|51820|InvertRule|SuppressPrefixLength/);
  });

  it('ifupdown post-up lines, a NetworkManager dispatcher script and mmproxy@.service each count', async function () {
    await recipe(host, '100');
    const lines = ['ip rule add from 127.0.0.1/8 iif lo table 100', 'ip route add local 0.0.0.0/0 dev lo table 100'];
    const ifupdown = await persistence(host, {
      'network/interfaces': `auto lo\niface lo inet loopback\n${lines.map((line) => `    post-up ${line}\n`).join('')}`,
    });
    assert.equal(ifupdown.status, 'ok', ifupdown.evidence.join('\n'));
    const dispatcher = await persistence(host, {
      'NetworkManager/dispatcher.d/50-mmproxy': `#!/bin/sh\n[ "$1" = lo ] && [ "$2" = up ] || exit 0\n${lines.join('\n')}\n`,
    });
    assert.equal(dispatcher.status, 'ok', dispatcher.evidence.join('\n'));
    const unit = await persistence(host, {
      'systemd/system/mmproxy@.service':
        '[Service]\nExecStartPre=+/usr/local/bin/mmproxy setup-routing $MMPROXY_ARGS\nExecStart=/usr/local/bin/mmproxy $MMPROXY_ARGS\n',
    });
    assert.equal(unit.status, 'ok', unit.evidence.join('\n'));
  });
});
