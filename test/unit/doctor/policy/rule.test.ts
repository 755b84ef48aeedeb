/** Reading `ip -j rule show` rows, and writing them back as `ip rule` arguments. */
import assert from 'node:assert/strict';

import { policyRule } from '../../../../src/doctor/routing/policy/rule.js';
import { describeRule, ruleArgs, ruleCommand } from '../../../../src/doctor/routing/policy/rule-text.js';
import { fixtureRules, ruleAt } from './fixtures.js';

describe('policy rules read from ip -j rule show', function () {
  const rules = fixtureRules('rules-every-selector');
  const v6 = fixtureRules('rules-every-selector-v6', 6);

  it('knows every key iproute2 printed for the rules of the fixture', function () {
    assert.deepEqual(
      [...rules, ...v6].filter((rule) => rule.unknownKeys.length).map((rule) => rule.priority),
      [],
    );
  });

  it('reads every selector of a rule that has many', function () {
    const rule = ruleAt(rules, 300);
    assert.deepEqual(rule.from, { address: '10.0.0.0', length: 8 });
    assert.deepEqual(rule.to, { address: '192.0.2.0', length: 24 });
    assert.deepEqual(rule.fwmark, { value: 0x10, mask: 0xff });
    assert.equal(rule.tos, 0x10);
    assert.deepEqual(rule.oif, { name: 'wg0', detached: false });
    assert.deepEqual(rule.uid, { start: 100, end: 200 });
    assert.deepEqual(rule.dport, { start: 1000, end: 2000 });
    assert.deepEqual(rule.action, { kind: 'lookup', table: '5', suppressPrefixLength: null, suppressIfgroup: null });
  });

  it('reads host sources without a length as /32 and /128, and `all` as no selector', function () {
    assert.deepEqual(ruleAt(rules, 100).from, { address: '127.0.0.1', length: 32 });
    assert.deepEqual(ruleAt(v6, 100).from, { address: '::1', length: 128 });
    assert.equal(ruleAt(rules, 199).from, null);
  });

  it('reads actions: goto (resolved or not), nop, blackhole, prohibit, unreachable, l3mdev', function () {
    assert.deepEqual(ruleAt(rules, 305).action, { kind: 'goto', target: 400, unresolved: false });
    assert.deepEqual(ruleAt(rules, 306).action, { kind: 'goto', target: 900, unresolved: true });
    assert.deepEqual(ruleAt(rules, 304).action, { kind: 'nop' });
    assert.deepEqual(ruleAt(rules, 301).action, { kind: 'blackhole' });
    assert.deepEqual(ruleAt(rules, 302).action, { kind: 'prohibit' });
    assert.deepEqual(ruleAt(rules, 303).action, { kind: 'unreachable' });
    assert.deepEqual(ruleAt(rules, 307).action, { kind: 'l3mdev' });
  });

  it('reads inversion, detached interfaces, suppression, protocols by name and number', function () {
    assert.equal(ruleAt(rules, 200).not, true);
    assert.deepEqual(ruleAt(rules, 200).fwmark, { value: 0xca6c, mask: 0xffffffff });
    assert.deepEqual(ruleAt(rules, 301).iif, { name: 'nonexist', detached: true });
    assert.deepEqual(ruleAt(rules, 404).oif, { name: 'nonexist2', detached: true });
    assert.equal((ruleAt(rules, 199).action as { suppressPrefixLength: number }).suppressPrefixLength, 0);
    assert.equal((ruleAt(rules, 308).action as { suppressIfgroup: string }).suppressIfgroup, '5');
    assert.deepEqual(ruleAt(rules, 100).ipproto, { number: 6, name: 'tcp' });
    assert.deepEqual(ruleAt(rules, 405).ipproto, { number: 132, name: 'sctp' });
    assert.deepEqual(ruleAt(rules, 309).sport, { start: 1000, end: 2000 });
  });

  it('flags keys it does not know (selectors newer than this code) instead of ignoring them', function () {
    const rule = policyRule(
      { priority: 10, src: 'all', table: '9', flowlabel: '0x1', flowlabel_mask: '0xf' } as never,
      6,
    );
    assert.deepEqual(rule.unknownKeys, ['flowlabel', 'flowlabel_mask']);
    assert.deepEqual(policyRule({ priority: 1, src: 'all', tos: 'AF11', table: '9' }, 4).unknownKeys, ['tos AF11']);
  });

  it('reads port masks of iproute2 6.16+ and dscp of 6.13+', function () {
    const rule = policyRule({ priority: 1, src: 'all', sport: 291, sport_mask: '0xfff', dscp: 10, table: '9' }, 4);
    assert.deepEqual(rule.sport, { value: 291, mask: 0xfff });
    assert.deepEqual(rule.dscp, { value: 10, mask: 0x3f });
    assert.deepEqual(rule.unknownKeys, []);
  });

  it('writes each rule back with all its selectors, as ip rule show prints them', function () {
    assert.equal(describeRule(ruleAt(rules, 100)), '100: from 127.0.0.1 iif lo ipproto tcp sport 7000 lookup 123');
    assert.equal(describeRule(ruleAt(rules, 200)), '200: not from all fwmark 0xca6c lookup 51820');
    assert.equal(
      describeRule(ruleAt(rules, 300)),
      '300: from 10.0.0.0/8 to 192.0.2.0/24 tos 0x10 fwmark 0x10/0xff oif wg0 uidrange 100-200 dport 1000-2000 lookup 5',
    );
    assert.equal(describeRule(ruleAt(rules, 307)), '307: from all lookup [l3mdev-table]');
    assert.deepEqual(ruleArgs(ruleAt(rules, 401)), [
      'priority',
      '401',
      'from',
      'all',
      'iif',
      'lo',
      'lookup',
      '9',
      'realms',
      '3',
    ]);
    assert.deepEqual(ruleArgs(ruleAt(rules, 403)), [
      'priority',
      '403',
      'from',
      'all',
      'lookup',
      '9',
      'protocol',
      'static',
    ]);
    assert.deepEqual(ruleCommand('del', ruleAt(v6, 100)), [
      'ip',
      '-6',
      'rule',
      'del',
      'priority',
      '100',
      'from',
      '::1',
      'iif',
      'lo',
      'ipproto',
      'udp',
      'sport',
      '53',
      'lookup',
      '123',
    ]);
  });
});
