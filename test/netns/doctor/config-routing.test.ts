/**
 * `mmproxy setup-routing --config` and `mmproxy doctor --config` on one app
 * host (./helpers/app-host.ts: srv, its unrelated service on 198.51.100.2:22
 * reached from gw) for a config of five listeners: both families, a port
 * range, two marks, TCP and UDP. Each rule and route the listeners need is
 * added once; a second run adds nothing; the unrelated service still answers
 * from the network; the doctor names the listeners of each finding.
 *
 *   gw 198.51.100.1 ──veth── srv 198.51.100.2, 2001:db8::2 (eth0), lo 127.0.0.1 ::1
 *                            "sshd" 198.51.100.2:22 (peer-service)
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { assertNoLeaks, type Host, Lab } from '../../../lab/index.js';
import type { IpRule } from '../../../src/doctor/context/ip-types.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import { type AppHost, buildAppHost, ruleRows, sshWorks } from './helpers/app-host.js';
import { MMPROXY_BIN, runDoctor } from './helpers/run-doctor.js';

const CONFIG = `
[defaults]
target6 = "none"

[[listener]]
name = "web"
listen = "198.51.100.2:8443"
target4 = "198.51.100.2:7000"
target6 = "[2001:db8::2]:7000"

[[listener]]
name = "game"
listen = "198.51.100.2:9000-9003"
target4 = "127.0.0.1:9000-9003"
target6 = "[::1]:9000-9003"

[[listener]]
name = "api"
listen = "198.51.100.2:8444"
target4 = "198.51.100.2:7100"
target6 = "[2001:db8::2]:7100"
mark = 7

[[listener]]
name = "api-udp"
protocol = "udp"
listen = "198.51.100.2:8445"
target4 = "198.51.100.2:7200"
mark = 7

[[listener]]
name = "metrics"
listen = "198.51.100.2:8446"
target4 = "198.51.100.2:7300"
mark = 9
`;

async function routing(host: Host): Promise<string> {
  const dumps = await Promise.all([
    host.ip(['-j', 'rule']),
    host.ip(['-j', '-6', 'rule']),
    host.ip(['-j', 'route', 'show', 'table', 'all']),
    host.ip(['-j', '-6', 'route', 'show', 'table', 'all']),
  ]);
  return dumps.map((dump) => dump.stdout).join('\n');
}

async function setupRouting(srv: Host, config: string): Promise<{ code: number; output: string }> {
  const result = await srv.exec([process.execPath, MMPROXY_BIN, 'setup-routing', '--config', config], {
    timeoutMs: 30_000,
  });
  return { code: result.code, output: `${result.stdout}${result.stderr}` };
}

/** The rules of one family with this source and source port, or this fwmark. */
const count = (rows: IpRule[], match: Partial<IpRule>) =>
  rows.filter((row) => Object.entries(match).every(([key, value]) => row[key as keyof IpRule] === value)).length;

describe('setup-routing --config and doctor --config: every listener of a file, each rule once', function () {
  this.timeout(120_000);
  let lab: Lab;
  let host: AppHost;
  let dir = '';
  let config = '';

  before(async function () {
    requireNetns(this);
    lab = Lab.create('cfgrt');
    host = await buildAppHost(lab);
    await host.srv.ip(['-6', 'address', 'add', '2001:db8::2/64', 'dev', 'eth0', 'nodad']);
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-config-routing-'));
    config = join(dir, 'mmproxy.toml');
    await writeFile(config, CONFIG);
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    if (dir) await rm(dir, { recursive: true, force: true });
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  it('adds the loopback rule of each target and the fwmark rule of each mark in use, per family, once; a second run adds nothing', async function () {
    const { srv } = host;
    assert.equal(await sshWorks(host), true, 'the unrelated service answers before');
    const first = await setupRouting(srv, config);
    // -mark routing also needs CONNMARK rules, which setup-routing prints and never applies: exit 1.
    assert.equal(first.code, 1, first.output);
    assert.match(first.output, /still to do by hand/);
    // Listeners sharing a table ask for the same route: it is added once, never a second time ("File exists").
    assert.doesNotMatch(first.output, /FAILED/);
    assert.match(first.output, /\(listeners api, api-udp\)|\(listener api\)/);

    const [v4, v6] = [await ruleRows(srv, 4), await ruleRows(srv, 6)];
    assert.equal(count(v4, { src: '198.51.100.2', ipproto: 'tcp', sport: 7000 }), 1, 'web, IPv4');
    assert.equal(count(v6, { src: '2001:db8::2', ipproto: 'tcp', sport: 7000 }), 1, 'web, IPv6');
    const ranged = (rows: IpRule[], src: string) =>
      rows.filter((row) => row.src === src && row.sport_start === 9000 && row.sport_end === 9003).length;
    assert.equal(ranged(v4, '127.0.0.1'), 1, `game's range, IPv4: ${JSON.stringify(v4)}`);
    assert.equal(ranged(v6, '::1'), 1, 'game, IPv6');
    assert.equal(count(v4, { fwmark: '0x7' }), 1, 'mark 7, IPv4 (api and api-udp share it)');
    assert.equal(count(v6, { fwmark: '0x7' }), 1, 'mark 7, IPv6 (api)');
    assert.equal(count(v4, { fwmark: '0x9' }), 1, 'mark 9, IPv4');
    assert.equal(count(v6, { fwmark: '0x9' }), 0, 'mark 9 has no IPv6 target');
    assert.equal(await sshWorks(host), true, 'the unrelated service still answers from the network');

    const applied = await routing(srv);
    const second = await setupRouting(srv, config);
    assert.doesNotMatch(second.output, /ran:/);
    assert.equal(await routing(srv), applied);
    assert.equal(await sshWorks(host), true);
  });

  it('doctor --config names the listeners of each finding, and runs the shared checks once', async function () {
    const result = await runDoctor(host.srv, ['--json', '--config', config, 'privilege', 'routing', 'mark']);
    const document = JSON.parse(result.stdout) as {
      config: string;
      listeners: { listener: string }[];
      checks: { id: string; listeners?: string[] }[];
    };
    assert.equal(document.config, config);
    assert.deepEqual(
      document.listeners.map((entry) => entry.listener),
      ['web', 'game', 'api', 'api-udp', 'metrics'],
    );
    const privilege = document.checks.filter((check) => check.id === 'privilege');
    // Both families with mark 0, both with mark 7, IPv4 alone with mark 7 and with mark 9.
    assert.deepEqual(
      privilege.map((check) => check.listeners),
      [['web', 'game'], ['api'], ['api-udp'], ['metrics']],
    );
    const marks = document.checks.filter((check) => check.id === 'mark-routing').map((check) => check.listeners);
    // Without a mark, one finding for both listeners whose targets are all on this host.
    assert.deepEqual(marks[0], ['web', 'game']);
    assert.equal(marks.length, 4);
    for (const check of document.checks) assert.ok(check.listeners?.length, `${check.id} names its listeners`);
  });
});
