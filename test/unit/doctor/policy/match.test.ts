/** Every selector against the app's reply, matching and not, as fib_rule_match() judges it. */
import assert from 'node:assert/strict';

import { matchRule } from '../../../../src/doctor/routing/policy/match.js';
import { policyRule } from '../../../../src/doctor/routing/policy/rule.js';
import type { IpRule } from '../../../../src/doctor/context/ip-types.js';
import { fixtureRules, replyFlow, ruleAt } from './fixtures.js';

const rule = (row: Omit<IpRule, 'priority'>) => policyRule({ priority: 100, table: '123', ...row }, 4);
const matches = (row: Omit<IpRule, 'priority'>, flow = replyFlow()) => matchRule(rule(row), flow).matches;

describe('rule selectors against the reply packet', function () {
  it('from: a prefix contains the source or not; all matches everything', function () {
    assert.equal(matches({ src: '127.0.0.0', srclen: 8 }), true);
    assert.equal(matches({ src: '127.0.0.1' }), true);
    assert.equal(matches({ src: '127.0.0.2' }), false);
    assert.equal(matches({ src: 'all' }), true);
  });

  it('to: the client must be inside, and the verdict is marked as depending on the client', function () {
    const verdict = matchRule(rule({ src: 'all', dst: '192.0.2.0', dstlen: 24 }), replyFlow());
    assert.equal(verdict.matches, true);
    assert.equal(verdict.selectors.find((s) => s.selector === 'to')?.dependsOnClient, true);
    assert.equal(matches({ src: 'all', dst: '198.51.100.0', dstlen: 24 }), false);
  });

  it('iif: a locally generated reply has iif lo; any other interface or a missing one never matches', function () {
    assert.equal(matches({ src: 'all', iif: 'lo' }), true);
    assert.equal(matches({ src: 'all', iif: 'eth0' }), false);
    assert.equal(matches({ src: 'all', iif: 'gone', iif_detached: null }), false);
    const why = matchRule(rule({ src: 'all', iif: 'eth0' }), replyFlow()).failing[0]?.why;
    assert.equal(why, 'a packet generated on this host is looked up with iif lo, never eth0');
  });

  it('oif: only a socket bound to that interface matches', function () {
    assert.equal(matches({ src: 'all', oif: 'eth0' }), false);
    assert.equal(matches({ src: 'all', oif: 'eth0' }, replyFlow({ oif: 'eth0' })), true);
    assert.equal(matches({ src: 'all', oif: 'eth1' }, replyFlow({ oif: 'eth0' })), false);
  });

  it('fwmark with and without a mask', function () {
    assert.equal(matches({ src: 'all', fwmark: '0x7' }), false);
    assert.equal(matches({ src: 'all', fwmark: '0x7' }, replyFlow({ mark: 7 })), true);
    assert.equal(matches({ src: 'all', fwmark: '0x10', fwmask: '0xff' }, replyFlow({ mark: 0x110 })), true);
    assert.equal(matches({ src: 'all', fwmark: '0x10', fwmask: '0xff' }, replyFlow({ mark: 0x11 })), false);
    assert.equal(matches({ src: 'all', fwmark: '0x0', fwmask: '0xff' }), true);
  });

  it('ipproto: by name or number', function () {
    assert.equal(matches({ src: 'all', ipproto: 'tcp' }), true);
    assert.equal(matches({ src: 'all', ipproto: 'udp' }), false);
    assert.equal(matches({ src: 'all', ipproto: 'udp' }, replyFlow({ proto: 17 })), true);
    assert.equal(matches({ src: 'all', ipproto: '6' }), true);
  });

  it('sport and dport: single ports, ranges and masks', function () {
    assert.equal(matches({ src: 'all', sport: 7000 }), true);
    assert.equal(matches({ src: 'all', sport: 7001 }), false);
    assert.equal(matches({ src: 'all', sport_start: 6000, sport_end: 7000 }), true);
    assert.equal(matches({ src: 'all', sport_start: 7001, sport_end: 8000 }), false);
    assert.equal(matches({ src: 'all', sport: 0x1b00, sport_mask: '0xff00' }), true); // 7000 = 0x1b58
    assert.equal(matches({ src: 'all', sport: 0x1c00, sport_mask: '0xff00' }), false);
    assert.equal(matches({ src: 'all', dport: 40000 }), true);
    assert.equal(matches({ src: 'all', dport_start: 1, dport_end: 1023 }), false);
  });

  it('uidrange: the uid of the app socket', function () {
    assert.equal(matches({ src: 'all', uid_start: 1000, uid_end: 1000 }), false);
    assert.equal(matches({ src: 'all', uid_start: 1000, uid_end: 1000 }, replyFlow({ uid: 1000 })), true);
    assert.equal(matches({ src: 'all', uid_start: 0, uid_end: 999 }), true);
  });

  it('tos and dscp: the socket sends with TOS 0 unless told otherwise', function () {
    assert.equal(matches({ src: 'all', tos: '0x10' }), false);
    assert.equal(matches({ src: 'all', tos: '0x10' }, replyFlow({ tos: 0x10 })), true);
    assert.equal(matches({ src: 'all', dscp: 0 }), true);
    assert.equal(matches({ src: 'all', dscp: 10 }), false);
  });

  it('tun_id and l3mdev never match a plain reply', function () {
    assert.equal(matches({ src: 'all', tun_id: 5 }), false);
    assert.equal(matchRule(policyRule({ priority: 1, src: 'all', l3mdev: null }, 4), replyFlow()).matches, false);
  });

  it('not inverts the verdict of all selectors together, not of each', function () {
    // not (from 127.0.0.1 and sport 7000): both hold, so the inverted rule does not match...
    assert.equal(matches({ not: null, src: '127.0.0.1', ipproto: 'tcp', sport: 7000 }), false);
    // ...one fails, so it does.
    assert.equal(matches({ not: null, src: '127.0.0.1', ipproto: 'tcp', sport: 7001 }), true);
    // wg-quick's rule takes every unmarked packet.
    const wg = ruleAt(fixtureRules('rules-every-selector'), 200);
    assert.equal(matchRule(wg, replyFlow()).matches, true);
    assert.equal(matchRule(wg, replyFlow({ mark: 0xca6c })).matches, false);
    // A rule on a missing interface, inverted, matches everything.
    assert.equal(matches({ not: null, src: 'all', iif: 'gone', iif_detached: null }), true);
  });

  it('a rule with a selector this code does not know has no verdict', function () {
    const verdict = matchRule(
      policyRule({ priority: 1, src: 'all', table: '9', flowlabel: '0x1' } as never, 6),
      replyFlow({ family: 6, src: '::1', dst: '2001:db8::1' }),
    );
    assert.equal(verdict.matches, null);
  });

  it('the fixture rule of the issue matches the real reply and not a reply stripped of its selectors', function () {
    const issue = ruleAt(fixtureRules('rules-every-selector'), 100);
    assert.equal(matchRule(issue, replyFlow()).matches, true);
    assert.equal(matchRule(issue, replyFlow({ proto: 0, sport: 0 })).matches, false);
  });
});
