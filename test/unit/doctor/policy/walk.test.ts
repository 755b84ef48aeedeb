/**
 * The rule walk on recorded listings: priority order, goto, nop, actions,
 * table misses, throw and error routes, suppression. The same cases are
 * compared with the kernel's own answers in test/netns/doctor/policy-model.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import type { IpRoute, IpRule } from '../../../../src/doctor/context/ip-types.js';
import { tellWalk } from '../../../../src/doctor/routing/policy/explain.js';
import { policyRules } from '../../../../src/doctor/routing/policy/rule.js';
import { walkRules, type Walk } from '../../../../src/doctor/routing/policy/walk.js';
import { fixtureRows, replyFlow } from './fixtures.js';

const ROUTES = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../../../../../test/unit/doctor/fixtures/policy/routes.json', import.meta.url)),
    'utf8',
  ),
) as IpRoute[];
const ALL = fixtureRows('rules-every-selector');
const GROUPS = new Map([
  ['lo', 'default'],
  ['eth0', 'default'],
  ['wg0', '5'],
]);

/** The fixture's rules at these priorities, plus the kernel's three defaults. */
function walk(priorities: number[], flow = replyFlow(), extra: IpRule[] = []): Walk {
  const rows = [...ALL.filter((row) => [0, 32766, 32767, ...priorities].includes(row.priority)), ...extra].sort(
    (a, b) => a.priority - b.priority,
  );
  return walkRules({ rules: policyRules(rows, 4), routes: ROUTES, groups: GROUPS }, flow);
}

function decided(result: Walk): string {
  const d = result.decision;
  switch (d.kind) {
    case 'route':
      return `${d.rule.priority} → table ${d.table}: ${d.route.type ?? 'unicast'} ${d.route.dst}${d.route.dev ? ` dev ${d.route.dev}` : ''}`;
    case 'error':
      return `${d.rule.priority} → ${d.error}`;
    case 'no-route':
      return 'no route';
    case 'unknown':
      return `${d.rule.priority} → unknown`;
  }
}

describe('the rule walk', function () {
  it('without custom rules: main answers with the default route', function () {
    assert.equal(decided(walk([])), '32766 → table main: unicast default dev eth0');
  });

  it("the issue's rule (ipproto tcp sport 7000 iif lo) takes the real reply, not one stripped of its selectors", function () {
    assert.equal(decided(walk([100])), '100 → table 123: local default dev lo');
    assert.equal(decided(walk([100], replyFlow({ proto: 17 }))), '32766 → table main: unicast default dev eth0');
  });

  it("wg-quick's rules: suppress_prefixlength 0 refuses main's default, then the unmarked reply goes to wg0", function () {
    const result = walk([199, 200, 406]);
    assert.equal(decided(result), '200 → table 51820: unicast default dev wg0');
    const story = tellWalk(result, policyRules(ALL, 4), ROUTES);
    assert.match(story[0] ?? '', /suppress_prefixlength 0 refuses routes that short; next rule$/);
    assert.match(
      story[1] ?? '',
      /^rule "200: not from all fwmark 0xca6c lookup 51820" \(wg-quick's rule for WireGuard: .*\) takes it \(it is inverted and fwmark 0xca6c does not hold: the packet carries mark 0x0\): table 51820 answers default dev wg0$/,
    );
    // The tunnel's own packets carry the mark: they skip the rule and follow main.
    assert.equal(
      decided(walk([199, 200], replyFlow({ mark: 0xca6c }))),
      '32766 → table main: unicast default dev eth0',
    );
  });

  it("a loopback rule before wg-quick's takes the reply first", function () {
    const first = { priority: 150, src: '127.0.0.0', srclen: 8, iif: 'lo', table: '123' };
    assert.equal(decided(walk([199, 200], replyFlow(), [first])), '150 → table 123: local default dev lo');
  });

  it('goto jumps over rules to the first rule of its target priority; an unresolved goto is skipped', function () {
    const over = walk([303, 305, 400]);
    // 303 (unreachable) comes first; without it, 305 jumps to 400 (not from 1.2.3.4 → table 9).
    assert.equal(decided(over), '303 → unreachable');
    assert.equal(decided(walk([305, 309, 400])), '400 → table 9: unicast 192.0.2.0/24 dev wg0');
    assert.equal(decided(walk([306])), '32766 → table main: unicast default dev eth0');
  });

  it('nop does nothing; blackhole, prohibit and unreachable end the lookup', function () {
    assert.equal(decided(walk([304])), '32766 → table main: unicast default dev eth0');
    assert.equal(decided(walk([302])), '302 → prohibit');
    // 301 is a blackhole on a missing interface: it never matches.
    assert.equal(decided(walk([301])), '32766 → table main: unicast default dev eth0');
  });

  it('a table without a route, or with a throw route, hands over to the next rule', function () {
    const empty = { priority: 50, src: 'all', table: '77' };
    const thrown = { priority: 60, src: 'all', table: '6' };
    assert.equal(decided(walk([], replyFlow(), [empty])), '32766 → table main: unicast default dev eth0');
    assert.equal(decided(walk([], replyFlow(), [thrown])), '32766 → table main: unicast default dev eth0');
  });

  it('error routes end the lookup; the most specific route wins, then the lowest metric', function () {
    assert.equal(decided(walk([], replyFlow(), [{ priority: 50, src: 'all', table: '7' }])), '50 → blackhole');
    // Table 8: prohibit /26 beats unreachable /25 beats the /24 route for 192.0.2.1...
    assert.equal(decided(walk([], replyFlow(), [{ priority: 50, src: 'all', table: '8' }])), '50 → prohibit');
    // ...while 192.0.2.200 is only in the /24.
    assert.equal(
      decided(walk([], replyFlow({ dst: '192.0.2.200' }), [{ priority: 50, src: 'all', table: '8' }])),
      '50 → table 8: unicast 192.0.2.0/24 dev eth0',
    );
    assert.equal(
      decided(walk([], replyFlow(), [{ priority: 50, src: 'all', table: '9' }])),
      '50 → table 9: unicast 192.0.2.0/24 dev wg0',
    );
  });

  it('suppress_ifgroup refuses routes through an interface of that group', function () {
    const rules = [{ priority: 50, src: 'all', table: '9', suppress_ifgroup: '5' }];
    assert.equal(decided(walk([], replyFlow(), rules)), '32766 → table main: unicast default dev eth0');
  });

  it('stops at a rule it cannot evaluate instead of guessing', function () {
    const unknown = { priority: 50, src: 'all', table: '123', flowlabel: '0x1' } as IpRule;
    assert.equal(decided(walk([], replyFlow(), [unknown])), '50 → unknown');
  });

  it('no rule at all: the lookup fails', function () {
    const result = walkRules({ rules: [], routes: ROUTES, groups: GROUPS }, replyFlow());
    assert.equal(decided(result), 'no route');
  });
});
