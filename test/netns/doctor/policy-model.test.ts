/**
 * The doctor's model of policy routing (src/doctor/routing/policy/) against
 * the kernel itself: seeded random rule sets built from every selector and
 * action, and for each a set of packets, asked both of the model (a walk of
 * `ip -j rule` over `ip -j route show table all`) and of the kernel
 * (`ip route get` with the same selectors). Every answer must agree.
 *
 *   ┌── srv ───────────────────────────────────────────┐  veth  ┌── gw ──────────────┐
 *   │ eth0 198.51.100.2/24 2001:db8:1::2/64 ───────────┼────────┤ 198.51.100.1       │
 *   │ wg0  10.8.0.2/24     2001:db8:8::2/64 ───────────┼──┐     └────────────────────┘
 *   │ tables: main (default via gw), 123 (local        │  │     ┌── peer ────────────┐
 *   │ default dev lo), 6 (throw + local), 7 (blackhole),│  └─────┤ 10.8.0.1           │
 *   │ 8 (prohibit/unreachable/unicast), 9 (metrics),   │        └────────────────────┘
 *   │ 51820 (default dev wg0), 77 (empty)              │
 *   └──────────────────────────────────────────────────┘
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { assertNoLeaks, type Host, Lab } from '../../../lab/index.js';
import type { IpRoute, IpRule } from '../../../src/doctor/context/ip-types.js';
import type { Flow } from '../../../src/doctor/routing/policy/flow.js';
import { policyRules } from '../../../src/doctor/routing/policy/rule.js';
import { ruleCommand } from '../../../src/doctor/routing/policy/rule-text.js';
import { walkRules, type Decision } from '../../../src/doctor/routing/policy/walk.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Listings recorded from `ip -j rule show`, one rule of every kind (test/unit/doctor/fixtures/policy/). */
const POLICY_FIXTURES = fileURLToPath(new URL('../../../../test/unit/doctor/fixtures/policy/', import.meta.url));

const SEED = 20261126;
const RULE_SETS = 20;
const RULES_PER_SET = 6;
const PACKETS_PER_SET = 12;

interface FamilyPool {
  family: 4 | 6;
  from: string[];
  to: string[];
  flows: { src: string[]; dst: string[] };
  tables: string[];
}

const POOLS: FamilyPool[] = [
  {
    family: 4,
    from: ['198.51.100.2/32', '198.51.100.0/24', '127.0.0.0/8', '10.0.0.0/8'],
    to: ['192.0.2.0/24', '192.0.2.0/25', '203.0.113.0/24'],
    flows: { src: ['198.51.100.2', '127.0.0.1'], dst: ['192.0.2.1', '192.0.2.200', '203.0.113.5', '198.51.100.1'] },
    tables: ['main', '123', '51820', '6', '7', '8', '9', '77'],
  },
  {
    family: 6,
    from: ['2001:db8:1::2/128', '2001:db8:1::/64', '::1/128', '2001:db8:ff::/48'],
    to: ['2001:db8::/48', '2001:db8::/64', '2001:db8:7::/48'],
    flows: { src: ['2001:db8:1::2', '::1'], dst: ['2001:db8::1', '2001:db8:0:1::5', '2001:db8:7::5', '2001:db8:1::1'] },
    tables: ['main', '123', '51820', '6', '7', '8', '9', '77'],
  },
];

const pick = <T>(next: () => number, list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;

/** One random `ip rule add` argument list, with priority `priority`. */
function randomRule(next: () => number, pool: FamilyPool, priority: number, later: number[]): string[] {
  const args: string[] = ['priority', String(priority)];
  const maybe = (chance: number, ...words: string[]) => {
    if (next() < chance) args.push(...words);
  };
  maybe(0.15, 'not');
  maybe(0.5, 'from', pick(next, pool.from));
  maybe(0.2, 'to', pick(next, pool.to));
  maybe(0.3, 'iif', pick(next, ['lo', 'eth0', 'nosuch0']));
  maybe(0.1, 'oif', pick(next, ['eth0', 'wg0']));
  maybe(0.25, 'fwmark', pick(next, ['0x7', '0xca6c', '0x10/0xff']));
  const proto = next() < 0.35 ? pick(next, ['tcp', 'udp']) : null;
  if (proto) {
    args.push('ipproto', proto);
    maybe(0.6, 'sport', pick(next, ['7000', '7000-7010']));
    maybe(0.3, 'dport', pick(next, ['40000', '1-1023']));
  }
  maybe(0.15, 'uidrange', pick(next, ['1000-1000', '0-999']));
  if (pool.family === 4) maybe(0.1, 'tos', '0x10');
  const action = next();
  if (action < 0.08) args.push(pick(next, ['blackhole', 'unreachable', 'prohibit']));
  else if (action < 0.13) args.push('nop');
  else if (action < 0.2) args.push('goto', String(later.length && next() < 0.8 ? pick(next, later) : priority + 7));
  else {
    args.push('lookup', pick(next, pool.tables));
    maybe(0.15, 'suppress_prefixlength', pick(next, ['0', '24', '48']));
    maybe(0.05, 'suppress_ifgroup', '5');
  }
  return args;
}

interface Packet {
  flow: Flow;
  args: string[];
}

function randomPacket(next: () => number, pool: FamilyPool): Packet {
  const proto = pick(next, [6, 17] as const);
  const flow: Flow = {
    family: pool.family,
    src: pick(next, pool.flows.src),
    dst: pick(next, pool.flows.dst),
    iif: 'lo',
    // The doctor never knows of a device the app's socket is bound to: no oif.
    oif: null,
    mark: pick(next, [0, 7, 0xca6c, 0x110]),
    proto,
    sport: pick(next, [7000, 7005, 8080]),
    dport: pick(next, [40000, 80]),
    uid: pick(next, [0, 1000]),
    tos: pool.family === 4 ? pick(next, [0, 0x10]) : 0,
    assumed: {},
  };
  const args = [`-${pool.family}`, 'route', 'get', flow.dst, 'from', flow.src];
  args.push('ipproto', proto === 6 ? 'tcp' : 'udp', 'sport', String(flow.sport), 'dport', String(flow.dport));
  args.push('mark', String(flow.mark), 'uid', String(flow.uid));
  if (flow.tos) args.push('tos', `0x${flow.tos.toString(16)}`);
  return { flow, args };
}

/** Runs `ip` commands in one shell inside the namespace (one process start, not one per command). */
async function ipMany(srv: Host, commands: string[][]): Promise<{ code: number; output: string }[]> {
  const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  const script = commands.map((argv) => `ip ${argv.map(quote).join(' ')} 2>&1; echo "@@exit $?"`).join('\n');
  const { stdout } = await srv.run(['sh', '-c', script]);
  const parts = stdout.split(/^@@exit (\d+)\n/m);
  const results: { code: number; output: string }[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2)
    results.push({ output: parts[i] as string, code: Number(parts[i + 1]) });
  return results;
}

/** The kernel's answer reduced to what the model predicts: "route TABLE TYPE DEV" or an error. */
function kernelAnswer(result: { code: number; output: string }): string {
  if (result.code !== 0) return `error ${result.output.trim().replace(/^RTNETLINK answers: /, '')}`;
  const route = (JSON.parse(result.output) as IpRoute[])[0] as IpRoute;
  const type = route.type ?? 'unicast';
  // IPv6 answers error routes with a route carrying the error.
  if (['unreachable', 'prohibit', 'blackhole'].includes(type)) return `error-route ${type}`;
  return `route ${route.table ?? 'main'} ${type} ${route.dev}`;
}

/** What the model says, in the same words; `null` when the kernel's answer is the one it cannot know. */
function modelAnswer(decision: Decision, flow: Flow): string {
  switch (decision.kind) {
    case 'route': {
      const type = decision.route.type ?? 'unicast';
      const dev = decision.route.dev;
      // ip_route_output refuses a loopback source on any other device (route_localnet is off).
      if (flow.family === 4 && flow.src.startsWith('127.') && dev !== 'lo') return 'error Invalid argument';
      return `route ${decision.table} ${type} ${dev}`;
    }
    case 'error': {
      // IPv6 answers an unreachable route with the route itself, carrying the error.
      if (flow.family === 6 && decision.route && decision.error === 'unreachable') return 'error-route unreachable';
      const ipv4: Record<string, string> = {
        blackhole: 'Invalid argument',
        prohibit: 'Permission denied',
        unreachable: decision.route ? 'No route to host' : 'Network is unreachable',
      };
      const ipv6: Record<string, string> = {
        blackhole: 'Invalid argument',
        prohibit: 'Permission denied',
        unreachable: 'Network is unreachable',
      };
      return `error ${(flow.family === 4 ? ipv4 : ipv6)[decision.error]}`;
    }
    case 'no-route':
      return 'error Network is unreachable';
    case 'unknown':
      return `unknown ${decision.why}`;
  }
}

async function buildTables(srv: Host, family: 4 | 6): Promise<void> {
  const ip = (args: string[]) => srv.ip([`-${family}`, ...args]);
  const v4 = family === 4;
  const clients = v4 ? '192.0.2.0/24' : '2001:db8::/48';
  const narrow = v4 ? '192.0.2.0/25' : '2001:db8::/64';
  const narrower = v4 ? '192.0.2.0/26' : '2001:db8::/96';
  const any = v4 ? '0.0.0.0/0' : '::/0';
  const gw = v4 ? '198.51.100.1' : '2001:db8:1::1';
  await ip(['route', 'add', 'local', any, 'dev', 'lo', 'table', '123']);
  await ip(['route', 'add', 'default', 'dev', 'wg0', 'table', '51820']);
  await ip(['route', 'add', 'throw', clients, 'table', '6']);
  await ip(['route', 'add', 'local', any, 'dev', 'lo', 'table', '6']);
  await ip(['route', 'add', 'blackhole', clients, 'table', '7']);
  await ip(['route', 'add', 'unreachable', narrow, 'table', '8']);
  await ip(['route', 'add', 'prohibit', narrower, 'table', '8']);
  await ip(['route', 'add', clients, 'via', gw, 'table', '8', 'metric', '5']);
  await ip(['route', 'add', clients, 'via', gw, 'dev', 'eth0', 'table', '9', 'metric', '10']);
  await ip(['route', 'add', clients, 'dev', 'wg0', 'table', '9', 'metric', '5']);
}

/** `ip rule flush` leaves only the local rule: the kernel's other defaults are put back. */
function resetRules(family: 4 | 6): string[][] {
  const defaults = family === 4 ? ['main', 'default'] : ['main'];
  return [
    [`-${family}`, 'rule', 'flush'],
    ...defaults.map((table, i) => [`-${family}`, 'rule', 'add', 'priority', String(32766 + i), 'lookup', table]),
  ];
}

describe('the policy-routing model agrees with the kernel', function () {
  this.timeout(120_000);
  let lab: Lab;
  let srv: Host;
  before(async function () {
    requireNetns(this);
    lab = Lab.create('drmodel');
    srv = await lab.host('srv');
    const gw = await lab.host('gw');
    const peer = await lab.host('peer');
    await lab.link(srv, gw, {
      a: { v4: '198.51.100.2/24', v6: '2001:db8:1::2/64' },
      b: { v4: '198.51.100.1/24', v6: '2001:db8:1::1/64' },
    });
    await lab.link(srv, peer, { a: { v4: '10.8.0.2/24', v6: '2001:db8:8::2/64' }, b: { v4: '10.8.0.1/24' } });
    await srv.ip(['link', 'set', 'eth1', 'down']);
    await srv.ip(['link', 'set', 'eth1', 'name', 'wg0', 'group', '5']);
    await srv.ip(['link', 'set', 'wg0', 'up']);
    await lab.route(srv, { to: 'default', via: '198.51.100.1' });
    await lab.route(srv, { to: 'default', via: '2001:db8:1::1' });
    await buildTables(srv, 4);
    await buildTables(srv, 6);
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  for (const pool of POOLS) {
    it(`IPv${pool.family}: ${RULE_SETS} random rule sets × ${PACKETS_PER_SET} packets (seed ${SEED})`, async function () {
      const next = random(SEED + pool.family);
      const groups = new Map([
        ['lo', 'default'],
        ['eth0', 'default'],
        ['wg0', '5'],
      ]);
      const disagreements: string[] = [];
      let compared = 0;
      const routes = JSON.parse(
        (await srv.ip([`-${pool.family}`, '-j', 'route', 'show', 'table', 'all'])).stdout,
      ) as IpRoute[];
      for (let set = 0; set < RULE_SETS; set++) {
        const priorities = Array.from({ length: RULES_PER_SET }, (_, i) => 100 + i * 10);
        const adds = priorities.map((priority, i) => randomRule(next, pool, priority, priorities.slice(i + 1)));
        const packets = Array.from({ length: PACKETS_PER_SET }, () => randomPacket(next, pool));
        // One shell per set: reset, add, list, ask.
        const reset = resetRules(pool.family);
        const results = await ipMany(srv, [
          ...reset,
          ...adds.map((args) => [`-${pool.family}`, 'rule', 'add', ...args]),
          [`-${pool.family}`, '-j', 'rule', 'show'],
          ...packets.map((packet) => ['-j', ...packet.args]),
        ]);
        const addResults = results.slice(reset.length, reset.length + adds.length);
        const added = adds.filter((_, i) => addResults[i]?.code === 0).map((args) => args.join(' '));
        const listing = results[reset.length + adds.length] as { output: string };
        const rules = policyRules(JSON.parse(listing.output) as IpRule[], pool.family);
        const answers = results.slice(reset.length + adds.length + 1);
        for (const [n, packet] of packets.entries()) {
          const model = modelAnswer(walkRules({ rules, routes, groups }, packet.flow).decision, packet.flow);
          const kernel = kernelAnswer(answers[n] as { code: number; output: string });
          compared++;
          if (model !== kernel) {
            disagreements.push(
              `rules:\n  ${added.join('\n  ')}\npacket: ip ${packet.args.join(' ')}\n  kernel: ${kernel}\n  model:  ${model}`,
            );
          }
        }
      }
      assert.equal(compared, RULE_SETS * PACKETS_PER_SET);
      if (process.env['POLICY_MODEL_DUMP'])
        writeFileSync(process.env['POLICY_MODEL_DUMP'] + pool.family, disagreements.join('\n\n'));
      assert.deepEqual(disagreements.slice(0, 5), [], `${disagreements.length} of ${compared} disagree`);
    });
  }

  it('ip rule add with every selector re-creates a rule as listed; del with them removes it, not another of its priority', async function () {
    for (const [name, family] of [
      ['rules-every-selector', 4],
      ['rules-every-selector-v6', 6],
    ] as const) {
      const listed = JSON.parse(readFileSync(join(POLICY_FIXTURES, `${name}.json`), 'utf8')) as IpRule[];
      const rules = policyRules(listed, family).filter((rule) => ![0, 32766, 32767].includes(rule.priority));
      const ip = (argv: string[]) => argv.slice(1);
      const list = [`-${family}`, '-j', 'rule', 'show'];
      // A twin at each priority, added first: a delete by priority alone would take it instead.
      const twins = rules.map((rule) => [
        `-${family}`,
        'rule',
        'add',
        'priority',
        String(rule.priority),
        'lookup',
        '999',
      ]);
      const reset = resetRules(family);
      const adds = [...twins, ...rules.map((rule) => ip(ruleCommand('add', rule)))];
      const dels = rules.map((rule) => ip(ruleCommand('del', rule)));
      const results = await ipMany(srv, [...reset, ...adds, list, ...dels, list]);
      const failed = results.filter((result) => result.code !== 0).map((result) => result.output);
      assert.deepEqual(failed, []);
      const listing = (at: number) => JSON.parse(results[at]?.output ?? '[]') as IpRule[];
      const added = listing(reset.length + adds.length);
      const deleted = listing(reset.length + adds.length + 1 + dels.length);
      const custom = (rows: IpRule[] | undefined) =>
        (rows ?? []).filter((row) => ![0, 32766, 32767].includes(row.priority));
      const isTwin = (row: IpRule) => row.table === '999' && Object.keys(row).length === 3;
      assert.deepEqual(
        custom(added).filter((row) => !isTwin(row)),
        custom(listed),
        're-added with every selector, as listed before',
      );
      assert.deepEqual(
        custom(deleted),
        rules.map((rule) => ({ priority: rule.priority, src: 'all', table: '999' })),
        'each delete took its rule and left the twin',
      );
    }
    await ipMany(srv, [...resetRules(4), ...resetRules(6)]);
  });
});
