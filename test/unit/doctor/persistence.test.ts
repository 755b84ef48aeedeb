/**
 * The persistence check on the healthy fixture (the recipe in table 123,
 * IPv4 and IPv6), with boot-time configuration written in each of the places
 * hosts keep it, and the networkd snippet it offers read back.
 */
import assert from 'node:assert/strict';

import { recordKey } from '../../../src/doctor/context/system-access.js';
import { parseNetworkFile, routingPolicyRuleSection } from '../../../src/doctor/persistence/networkd.js';
import { policyRule, policyRules } from '../../../src/doctor/routing/policy/rule.js';
import { ruleKey } from '../../../src/doctor/routing/policy/rule-text.js';
import { replayJson } from './replay.js';

const ARGS = ['-4', '127.0.0.1:8080', '-6', '[::1]:8080', '-l', '127.0.0.1:8443', 'persistence'];

async function persistenceWith(overrides: Record<string, unknown>) {
  const report = await replayJson('healthy', ARGS, overrides);
  return report.checks[0]!;
}

const file = (path: string, text: string) => ({ [recordKey.readFile(path)]: text });
const dir = (path: string, names: string[]) => ({ [recordKey.listDir(path)]: names });
const unit = (name: string, text: string) => ({
  ...dir('/etc/systemd/system', [name]),
  ...file(`/etc/systemd/system/${name}`, text),
});

const RECIPE_LINES = [
  'ip rule add from 127.0.0.1/8 iif lo table 123',
  'ip route add local 0.0.0.0/0 dev lo table 123',
  'ip -6 rule add from ::1/128 iif lo table 123',
  'ip -6 route add local ::/0 dev lo table 123',
];

describe('persistence: the live routing against boot-time configuration', function () {
  it('warns with a systemd-networkd snippet that reads back as exactly the live rules', async function () {
    const check = await persistenceWith({});
    assert.equal(check.status, 'warn');
    assert.equal(
      check.summary,
      '2 routing rules and 2 local routes present now but not in any boot-time configuration: gone after a reboot',
    );
    const snippet = check.remediation?.commands[0] ?? '';
    assert.match(
      snippet,
      /\[RoutingPolicyRule\]\nFamily=ipv4\nFrom=127\.0\.0\.1\/8\nIncomingInterface=lo\nTable=123\nPriority=32765\n/,
    );
    assert.match(snippet, /\[Route\]\nType=local\nDestination=::\/0\nTable=123\n/);
    const parsed = parseNetworkFile(snippet.split('\n').slice(1, -1).join('\n'));
    assert.deepEqual(
      parsed.rules.map(({ rule, priority }) => `${ruleKey(rule)} @${priority}`),
      ['-4 from 127.0.0.1/8 iif lo lookup 123 @32765', '-6 from ::1 iif lo lookup 123 @32765'],
    );
    assert.deepEqual([...parsed.localDefaults], ['4/123', '6/123']);
  });

  it('finds them in a systemd-networkd .network file, selector by selector', async function () {
    const network = [
      '[Match]\nName=lo\n',
      '[RoutingPolicyRule]\nFrom=127.0.0.1/8\nIncomingInterface=lo\nTable=123\n',
      '[RoutingPolicyRule]\nFrom=::1/128\nIncomingInterface=lo\nTable=123\n',
      '[Route]\nType=local\nDestination=0.0.0.0/0\nTable=123\n',
      '[Route]\nType=local\nDestination=::/0\nTable=123\n',
    ].join('\n');
    const check = await persistenceWith({
      ...dir('/etc/systemd/network', ['10-lo.network']),
      ...file('/etc/systemd/network/10-lo.network', network),
    });
    assert.equal(check.status, 'ok', check.evidence.join('\n'));
    assert.ok(check.evidence.every((line) => line.endsWith('in /etc/systemd/network/10-lo.network')));
    // Without IncomingInterface=, networkd would add another rule: it does not count.
    const loose = await persistenceWith({
      ...dir('/etc/systemd/network', ['10-lo.network']),
      ...file(
        '/etc/systemd/network/10-lo.network',
        network.replace('From=127.0.0.1/8\nIncomingInterface=lo\n', 'From=127.0.0.1/8\n'),
      ),
    });
    assert.equal(loose.status, 'warn');
    assert.match(
      loose.evidence[0] ?? '',
      /^IPv4 rule 32765: from 127\.0\.0\.1\/8 iif lo lookup 123: in no boot-time configuration$/,
    );
  });

  it('finds them in ifupdown up/post-up lines, not in comments', async function () {
    const stanza = 'auto lo\niface lo inet loopback\n' + RECIPE_LINES.map((line) => `  post-up ${line}\n`).join('');
    assert.equal((await persistenceWith(file('/etc/network/interfaces', stanza))).status, 'ok');
    const commented = stanza.replace(/post-up ip rule/g, '# post-up ip rule');
    assert.equal((await persistenceWith(file('/etc/network/interfaces', commented))).status, 'warn');
  });

  it("counts go-mmproxy's example unit, whose rules are added in ExecStartPost=", async function () {
    // /usr/share/doc/go-mmproxy/examples/go-mmproxy.service, with its IPv6 lines as in the upstream README.
    const text = [
      '[Service]',
      'Type=simple',
      ...RECIPE_LINES.map((line) => `ExecStartPost=/sbin/${line}`),
      'ExecStart=/usr/bin/go-mmproxy $DAEMON_ARGS',
      ...RECIPE_LINES.map((line) => `ExecStopPost=/sbin/${line.replace(' add ', ' del ')}`),
    ].join('\n');
    const check = await persistenceWith(unit('go-mmproxy.service', text));
    assert.equal(check.status, 'ok', check.evidence.join('\n'));
    assert.match(check.evidence[0] ?? '', /in \/etc\/systemd\/system\/go-mmproxy\.service \(ExecStartPost=\)$/);
  });

  it('reads a shell in an Exec line, and a script an Exec line runs', async function () {
    const shell = `[Service]\nExecStartPre=-/bin/sh -c '${RECIPE_LINES.join(' && ')}'\nExecStart=/usr/bin/app\n`;
    assert.equal((await persistenceWith(unit('app.service', shell))).status, 'ok');
    const script = await persistenceWith({
      ...unit('app.service', '[Service]\nExecStartPre=+/usr/local/sbin/mmproxy-routes\nExecStart=/usr/bin/app\n'),
      ...file('/usr/local/sbin/mmproxy-routes', `#!/bin/sh\nset -e\n${RECIPE_LINES.join('\n')}\n`),
    });
    assert.equal(script.status, 'ok');
    assert.match(
      script.evidence[0] ?? '',
      /in \/usr\/local\/sbin\/mmproxy-routes, run by \/etc\/systemd\/system\/app\.service \(ExecStartPre=\)$/,
    );
  });

  it('counts a unit whose ExecStartPre runs mmproxy setup-routing', async function () {
    const check = await persistenceWith(
      unit(
        'mmproxy@.service',
        '[Service]\nExecStartPre=+/usr/local/bin/mmproxy setup-routing $MMPROXY_ARGS\nExecStart=/usr/local/bin/mmproxy $MMPROXY_ARGS\n',
      ),
    );
    assert.equal(check.status, 'ok');
    assert.match(
      check.evidence[0] ?? '',
      /re-created by mmproxy setup-routing in \/etc\/systemd\/system\/mmproxy@\.service/,
    );
    // As `mmproxy install-service` writes it: this node and the real path of bin/mmproxy.js.
    const installed = await persistenceWith(
      unit(
        'mmproxy@.service',
        '[Service]\nExecStartPre=+/usr/bin/node /opt/mmproxy/bin/mmproxy.js setup-routing $MMPROXY_ARGS\nExecStart=/usr/bin/node /opt/mmproxy/bin/mmproxy.js $MMPROXY_ARGS\n',
      ),
    );
    assert.equal(installed.status, 'ok', installed.evidence.join('\n'));
  });

  it('finds them in a NetworkManager dispatcher script and in a connection profile', async function () {
    const dispatcher = await persistenceWith({
      ...dir('/etc/NetworkManager/dispatcher.d', ['50-mmproxy']),
      ...file(
        '/etc/NetworkManager/dispatcher.d/50-mmproxy',
        `#!/bin/sh\n[ "$2" = up ] || exit 0\n${RECIPE_LINES.join('\n')}\n`,
      ),
    });
    assert.equal(dispatcher.status, 'ok');
    const profile = [
      '[connection]\nid=lo\ntype=loopback\ninterface-name=lo\n',
      '[ipv4]\nmethod=manual\nrouting-rule1=priority 32765 from 127.0.0.1/8 iif lo table 123\nroute1=0.0.0.0/0\nroute1_options=table=123,type=local\n',
      '[ipv6]\nmethod=manual\nrouting-rule1=priority 32765 from ::1/128 iif lo table 123\nroute1=::/0\nroute1_options=table=123,type=local\n',
    ].join('\n');
    const connection = await persistenceWith({
      ...dir('/etc/NetworkManager/system-connections', ['lo.nmconnection']),
      ...file('/etc/NetworkManager/system-connections/lo.nmconnection', profile),
    });
    assert.equal(connection.status, 'ok', connection.evidence.join('\n'));
  });

  it("leaves wg-quick's rules out: they are WireGuard's, not mmproxy's", async function () {
    const rules = [
      { priority: 0, src: 'all', table: 'local' },
      { priority: 32763, src: 'all', table: 'main', suppress_prefixlen: 0 },
      { priority: 32764, not: null, src: 'all', fwmark: '0xca6c', table: '51820' },
      { priority: 32765, src: '127.0.0.1', srclen: 8, iif: 'lo', table: '123' },
      { priority: 32766, src: 'all', table: 'main' },
    ];
    const routes = [
      { type: 'local', dst: 'default', dev: 'lo', table: '123', flags: [] },
      { dst: 'default', dev: 'wg0', table: '51820', flags: [] },
    ];
    const ok = (stdout: unknown) => ({ code: 0, stdout: JSON.stringify(stdout), stderr: '' });
    const check = await persistenceWith({
      [recordKey.exec('ip', ['-j', '-4', 'rule', 'show'])]: ok(rules),
      [recordKey.exec('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])]: ok(routes),
      [recordKey.exec('ip', ['-j', '-6', 'rule', 'show'])]: ok([]),
    });
    assert.equal(check.status, 'warn');
    assert.deepEqual(check.evidence, [
      'IPv4 rule 32765: from 127.0.0.1/8 iif lo lookup 123: in no boot-time configuration',
      'IPv4 local route of table 123: in no boot-time configuration',
    ]);
    assert.doesNotMatch(check.remediation?.commands[0] ?? '', /FirewallMark|51820|InvertRule/);
  });
});

describe('the networkd snippet of a rule', function () {
  it('keeps every selector, the inversion included, and reads back as the same rule', function () {
    const rows = [
      { priority: 100, not: null, src: 'all', fwmark: '0xca6c', table: '51820' },
      { priority: 101, src: '198.51.100.2', iif: 'lo', ipproto: 'tcp', sport: 7000, table: '123' },
      { priority: 102, src: 'all', fwmark: '0x10', fwmask: '0xff', uid_start: 1000, uid_end: 1000, table: '124' },
      { priority: 103, src: 'all', dport_start: 1, dport_end: 1023, table: 'main', suppress_prefixlen: 0 },
      { priority: 104, src: '2001:db8::', srclen: 32, action: 'prohibit' },
    ];
    for (const [i, row] of rows.entries()) {
      const rule = policyRule(row, i === 4 ? 6 : 4);
      const section = routingPolicyRuleSection(rule);
      assert.ok(section, JSON.stringify(row));
      const [back] = parseNetworkFile(section).rules;
      assert.equal(back && ruleKey(back.rule), ruleKey(rule), section);
      assert.equal(back?.priority, rule.priority);
    }
    assert.match(routingPolicyRuleSection(policyRule(rows[0]!, 4)) ?? '', /^InvertRule=yes$/m);
  });

  it('gives none for what networkd cannot say (realms, port masks, goto)', function () {
    const rules = policyRules(
      [
        { priority: 1, src: 'all', table: '9', flow_to: '3' },
        { priority: 2, src: 'all', sport: 0x1b00, sport_mask: '0xff00', table: '9' },
        { priority: 3, src: 'all', goto: 10 },
      ],
      4,
    );
    assert.deepEqual(rules.map(routingPolicyRuleSection), [null, null, null]);
  });
});
