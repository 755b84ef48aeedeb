/**
 * The mark's way through netfilter (src/doctor/routing/mark-path.ts) on
 * iptables-save listings: where a save counts, where a restore re-routes.
 * The same setups are checked against the kernel in
 * test/netns/doctor/mark-routing.test.ts.
 */
import assert from 'node:assert/strict';

import { requireIp } from '../../../src/base/net/ip.js';
import { parseIptablesSave } from '../../../src/doctor/firewall/iptables-save.js';
import type { Ruleset } from '../../../src/doctor/firewall/model.js';
import type { ProbeFlow } from '../../../src/doctor/firewall/path.js';
import { traceMark } from '../../../src/doctor/routing/mark-path.js';

const MARK = 123;
const SAVE = `-m mark --mark ${MARK} -j CONNMARK --save-mark`;
const RESTORE = `-m connmark --mark ${MARK} -j CONNMARK --restore-mark`;

/** One iptables-save listing from `table: [chain, rule]` pairs (built-in chains only). */
function ruleset(rules: [table: string, chain: string, spec: string][]): Ruleset {
  const tables = [...new Set(rules.map(([table]) => table))];
  const text = tables
    .flatMap((table) => [
      `*${table}`,
      ...['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'].map((chain) => `:${chain} ACCEPT [0:0]`),
      ...rules.filter(([of]) => of === table).map(([, chain, spec]) => `[0:0] -A ${chain} ${spec}`),
      'COMMIT',
    ])
    .join('\n');
  return { chains: parseIptablesSave(text, 'ip', 'iptables-legacy'), notes: [] };
}

const LOCAL: ProbeFlow = {
  family: 4,
  protocol: 'tcp',
  client: requireIp('192.0.2.1'),
  clientPort: null,
  target: requireIp('127.0.0.1'),
  targetPort: 7000,
  mark: MARK,
  targetLocal: true,
  replyInterface: 'eth0',
  targetInterface: 'lo',
};

const REMOTE: ProbeFlow = {
  ...LOCAL,
  target: requireIp('198.51.100.1'),
  targetLocal: false,
  replyInterface: 'eth0',
  targetInterface: 'eth0',
};

describe('doctor mark path', function () {
  it("cloudflare/mmproxy's recipe: saved in PREROUTING as the looped SYN comes in, restored in mangle OUTPUT", function () {
    const path = traceMark(
      ruleset([
        ['mangle', 'PREROUTING', SAVE],
        ['mangle', 'OUTPUT', RESTORE],
      ]),
      LOCAL,
    );
    assert.equal(path.connectionMark, MARK);
    assert.equal(path.saved?.hook, 'prerouting');
    assert.equal(path.replyRoutedWith, MARK);
    assert.equal(path.restored?.baseChain.table, 'mangle');
    assert.deepEqual(path.tooLate, []);
  });

  it('a save counts in INPUT and POSTROUTING too, and in raw PREROUTING for the looped SYN', function () {
    for (const [table, chain] of [
      ['mangle', 'INPUT'],
      ['mangle', 'POSTROUTING'],
      ['raw', 'PREROUTING'],
    ] as const) {
      const path = traceMark(
        ruleset([
          [table, chain, SAVE],
          ['mangle', 'OUTPUT', RESTORE],
        ]),
        LOCAL,
      );
      assert.equal(path.connectionMark, MARK, `${table} ${chain}`);
    }
  });

  it('a save in raw OUTPUT saves nothing (no connection before conntrack); the restore is still judged', function () {
    const path = traceMark(
      ruleset([
        ['raw', 'OUTPUT', SAVE],
        ['mangle', 'OUTPUT', RESTORE],
      ]),
      LOCAL,
    );
    assert.equal(path.connectionMark, 0);
    assert.equal(path.saved, null);
    assert.equal(path.replyRoutedWith, MARK);
  });

  it('a restore in the filter table marks the reply but does not re-route it: named as too late', function () {
    const path = traceMark(
      ruleset([
        ['mangle', 'PREROUTING', SAVE],
        ['filter', 'OUTPUT', RESTORE],
      ]),
      LOCAL,
    );
    assert.equal(path.replyRoutedWith, 0);
    assert.equal(path.restored, null);
    assert.deepEqual(
      path.tooLate.map((change) => `${change.baseChain.table} ${change.baseChain.name} ${change.baseChain.base?.type}`),
      ['filter OUTPUT filter'],
    );
  });

  it('a remote target: saved and cleared in OUTPUT (routed again unmarked), restored in PREROUTING', function () {
    const healthy = traceMark(
      ruleset([
        ['mangle', 'OUTPUT', SAVE],
        ['mangle', 'OUTPUT', `-m mark --mark ${MARK} -j MARK --set-mark 0`],
        ['mangle', 'PREROUTING', RESTORE],
      ]),
      REMOTE,
    );
    assert.equal(healthy.connectionMark, MARK);
    assert.equal(healthy.synRoutedWith, 0);
    assert.equal(healthy.replyRoutedWith, MARK);
    const clearedFirst = traceMark(
      ruleset([
        ['mangle', 'OUTPUT', `-m mark --mark ${MARK} -j MARK --set-mark 0`],
        ['mangle', 'POSTROUTING', SAVE],
      ]),
      REMOTE,
    );
    assert.equal(clearedFirst.connectionMark, 0, 'the save after the clear has nothing to save');
    assert.equal(clearedFirst.replyRoutedWith, 0, 'nothing restores it');
  });
});
