/**
 * The loopback planner on its own, for the cases the namespace suites do
 * not build: a goto over the rule, a shared table, an asked-for table that
 * routes something else, -dynamic-destination, client-dependent selectors,
 * a selector the model cannot read.
 */
import assert from 'node:assert/strict';

import type { IpRoute, IpRule } from '../../../../src/doctor/context/ip-types.js';
import { changeCommand } from '../../../../src/doctor/routing/policy/changes.js';
import { type LoopbackInput, planLoopback } from '../../../../src/doctor/routing/policy/loopback-plan.js';
import { policyRules } from '../../../../src/doctor/routing/policy/rule.js';
import { replyFlow } from './fixtures.js';

const DEFAULTS: IpRule[] = [
  { priority: 0, src: 'all', table: 'local' },
  { priority: 32766, src: 'all', table: 'main' },
  { priority: 32767, src: 'all', table: 'default' },
];
const MAIN: IpRoute = { dst: 'default', gateway: '198.51.100.1', dev: 'eth0', flags: [] };
const LOCAL_123: IpRoute = { type: 'local', dst: 'default', dev: 'lo', table: '123', flags: [] };

function input(rows: IpRule[], routes: IpRoute[], overrides: Partial<LoopbackInput> = {}): LoopbackInput {
  const all = [...DEFAULTS, ...rows].sort((a, b) => a.priority - b.priority);
  return {
    target: { family: 4, address: '127.0.0.1', port: 7000 },
    protocol: 'tcp',
    anyPort: false,
    flow: replyFlow(),
    rules: policyRules(all, 4),
    routes: [MAIN, ...routes],
    otherRules: [],
    otherRoutes: [],
    groups: new Map(),
    hostAddresses: ['127.0.0.1', '198.51.100.2'],
    kernelDelivers: false,
    ...overrides,
  };
}

const commands = (plan: ReturnType<typeof planLoopback>) =>
  plan.changes.map((change) => changeCommand(change).join(' '));

describe('the loopback planner', function () {
  it('moves a rule a goto jumps over to before the goto', function () {
    const plan = planLoopback(
      input(
        [
          { priority: 100, src: 'all', goto: 32000 },
          { priority: 200, src: '127.0.0.1', srclen: 8, iif: 'lo', table: '123' },
          { priority: 32000, src: 'all', nop: null },
        ],
        [LOCAL_123],
      ),
    );
    assert.equal(plan.status, 'fail');
    assert.match(
      plan.summary,
      /^rule "100: from all goto 32000" jumps over rule "200: from 127\.0\.0\.1\/8 iif lo lookup 123"/,
    );
    assert.deepEqual(commands(plan), [
      'ip rule add priority 99 from 127.0.0.1/8 iif lo lookup 123',
      'ip rule del priority 200 from 127.0.0.1/8 iif lo lookup 123',
    ]);
  });

  it('does not add a local route to a table other rules look up: it points the rule at a table of its own', function () {
    const plan = planLoopback(
      input(
        [
          { priority: 100, src: '127.0.0.1', srclen: 8, iif: 'lo', table: '200' },
          { priority: 101, src: '10.0.0.0', srclen: 8, table: '200' },
        ],
        [],
      ),
    );
    assert.match(
      plan.summary,
      /catches replies from 127\.0\.0\.1, but table 200 has no `local 0\.0\.0\.0\/0 dev lo` route$/,
    );
    assert.deepEqual(commands(plan), [
      'ip route add local 0.0.0.0/0 dev lo table 123',
      'ip rule add priority 100 from 127.0.0.1/8 iif lo lookup 123',
      'ip rule del priority 100 from 127.0.0.1/8 iif lo lookup 200',
    ]);
  });

  it('refuses an asked-for table that routes something else (setup-routing then changes nothing)', function () {
    const busy: IpRoute = { dst: '10.0.0.0/8', dev: 'eth0', table: '200', flags: [] };
    assert.throws(
      () => planLoopback(input([], [busy], { requestedTable: '200' })),
      /^Error: table 200 already holds 10\.0\.0\.0\/8 dev eth0 table 200; choose another --table$/,
    );
  });

  it('with -dynamic-destination scopes a new rule by protocol only, and for a host address offers no rule at all', function () {
    const loopback = planLoopback(input([], [], { anyPort: true }));
    assert.deepEqual(commands(loopback), [
      'ip route add local 0.0.0.0/0 dev lo table 123',
      'ip rule add from 127.0.0.1 iif lo ipproto tcp lookup 123',
    ]);
    const host = planLoopback(
      input([], [], {
        anyPort: true,
        target: { family: 4, address: '198.51.100.2', port: 7000 },
        flow: replyFlow({ src: '198.51.100.2' }),
      }),
    );
    assert.deepEqual(host.changes, []);
    assert.match(host.fixText ?? '', /bind the app to 127\.0\.0\.1/);
  });

  it('warns when the rule that works takes only some clients (to, dport)', function () {
    const plan = planLoopback(
      input([{ priority: 100, src: '127.0.0.1', dst: '192.0.2.0', dstlen: 24, iif: 'lo', table: '123' }], [LOCAL_123], {
        kernelDelivers: true,
      }),
    );
    assert.equal(plan.status, 'warn');
    assert.equal(plan.summary, 'replies from 127.0.0.1 come back over lo only for some clients');
    assert.match(
      plan.evidence.join('\n'),
      /matches only replies whose to 192\.0\.2\.0\/24: others are routed elsewhere/,
    );
  });

  it('says the kernel and its reading disagree, and offers nothing, when a rule hides a selector', function () {
    const plan = planLoopback(input([{ priority: 100, src: '127.0.0.1', iif: 'lo', table: '123' }], [LOCAL_123]));
    assert.equal(plan.status, 'fail');
    assert.match(
      plan.summary,
      /^the kernel does not deliver replies from 127\.0\.0\.1 locally, although the rules as read say it should$/,
    );
    assert.deepEqual(plan.changes, []);
  });

  it('stops at a rule with a selector it does not know rather than guess past it', function () {
    const unknown = { priority: 50, src: 'all', table: '9', flowlabel: '0x1' } as IpRule;
    const plan = planLoopback(
      input([unknown, { priority: 100, src: '127.0.0.1', iif: 'lo', table: '123' }], [LOCAL_123]),
    );
    assert.match(
      plan.evidence.join('\n'),
      /it has selectors this doctor cannot evaluate \(flowlabel\); the walk stops here/,
    );
  });
});
