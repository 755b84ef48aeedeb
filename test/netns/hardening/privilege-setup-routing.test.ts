/*
 * `mmproxy setup-routing` (the unit's ExecStartPre) as root, each case in a
 * namespace of its own holding nothing but lo:
 *
 *   ┌── <case> ───────────────────────────────────────────────┐
 *   │ lo 127.0.0.1 ::1   mmproxy setup-routing [flags] (twice) │
 *   └──────────────────────────────────────────────────────────┘
 *
 * Each case compares `ip -j` dumps of rules and routes (both families, all
 * tables) before, after the first run and after the second.
 */
import assert from 'node:assert/strict';

import { assertNoLeaks, type Host, Lab } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import { MMPROXY_BIN } from '../../../lab/mmproxy/mmproxy-process.js';

const TARGETS = ['-4', '127.0.0.1:7000', '-6', '[::1]:7000'];

async function routing(host: Host): Promise<string> {
  const dumps = await Promise.all([
    host.ip(['-j', 'rule']),
    host.ip(['-j', '-6', 'rule']),
    host.ip(['-j', 'route', 'show', 'table', 'all']),
    host.ip(['-j', '-6', 'route', 'show', 'table', 'all']),
  ]);
  return dumps.map((dump) => dump.stdout).join('\n');
}

async function setupRouting(host: Host, flags: string[]): Promise<{ code: number; output: string }> {
  const result = await host.exec([process.execPath, MMPROXY_BIN, 'setup-routing', ...flags], { timeoutMs: 20_000 });
  return { code: result.code, output: `${result.stdout}${result.stderr}` };
}

async function rules(host: Host, family: 4 | 6): Promise<string> {
  return (await host.ip([...(family === 6 ? ['-6'] : []), 'rule'])).stdout;
}

describe('mmproxy setup-routing (ExecStartPre of the unit), in namespaces', function () {
  this.timeout(60_000);
  let lab: Lab;

  before(function () {
    requireNetns(this);
    lab = Lab.create('setuprt');
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  it('--table 200: the rules and local routes go to table 200; a second run adds nothing', async function () {
    const host = await lab.host('table');
    const first = await setupRouting(host, [...TARGETS, '--table', '200']);
    assert.equal(first.code, 0, first.output);
    assert.match(await rules(host, 4), /from 127\.0\.0\.1 iif lo ipproto tcp sport \d+ lookup 200/);
    assert.match(await rules(host, 6), /from ::1 iif lo ipproto tcp sport \d+ lookup 200/);
    assert.match((await host.ip(['route', 'show', 'table', '200'])).stdout, /^local default dev lo/m);
    const after = await routing(host);
    const second = await setupRouting(host, [...TARGETS, '--table', '200']);
    assert.equal(second.code, 0, second.output);
    assert.doesNotMatch(second.output, /ran:/);
    assert.equal(await routing(host), after);
  });

  it('leaves the well-known recipe (from 127.0.0.1/8 and ::1, table 123) as it is', async function () {
    const host = await lab.host('recipe');
    await host.addLoopbackRouting();
    const before = await routing(host);
    const result = await setupRouting(host, TARGETS);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /already in place: replies from 127\.0\.0\.1/);
    assert.equal(await routing(host), before);
  });

  it('-mark: adds the fwmark rule and local route, prints the CONNMARK rules it leaves to the user (exit 1); a second run adds no route', async function () {
    const host = await lab.host('mark');
    const first = await setupRouting(host, [...TARGETS, '-mark', '7']);
    assert.equal(first.code, 1, first.output);
    assert.match(first.output, /ran: ip rule add fwmark 7 lookup 123/);
    assert.match(first.output, /ran: ip -6 route add local ::\/0 dev lo table 123/);
    assert.match(
      first.output,
      /still to do by hand:\n\s+iptables -t mangle -A OUTPUT -m mark --mark 7 -j CONNMARK --save-mark/,
    );
    const after = await routing(host);
    const second = await setupRouting(host, [...TARGETS, '-mark', '7']);
    assert.equal(second.code, 1, second.output);
    assert.doesNotMatch(second.output, /ran:/);
    assert.equal(await routing(host), after);
  });

  it('refuses a --table that already routes something else, saying so, and changes nothing', async function () {
    const host = await lab.host('busy');
    await host.ip(['route', 'add', '198.51.100.0/24', 'dev', 'lo', 'table', '200']);
    const before = await routing(host);
    const result = await setupRouting(host, [...TARGETS, '--table', '200']);
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /table 200 already holds 198\.51\.100\.0\/24 dev lo table 200; choose another --table/);
    assert.equal(await routing(host), before);
  });
});
