/**
 * The firewall model on rulesets recorded from a real kernel
 * (fixtures/firewall/, recorded by test/netns/doctor/helpers/record-firewall-fixtures.ts):
 * the parsers of iptables-save -c and nft -j -a, the merge of iptables-nft's
 * tables, and walks of the probe's packets through them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { requireIp } from '../../../src/base/net/ip.js';
import { describeConntrackEntry, findConntrackEntry } from '../../../src/doctor/firewall/conntrack.js';
import { counterDeltas } from '../../../src/doctor/firewall/counters.js';
import { parseIptablesSave, tokenize } from '../../../src/doctor/firewall/iptables-save.js';
import { kernelDrops, parseConntrackStat, parseNetstat } from '../../../src/doctor/firewall/kernel-counters.js';
import { describeRuleRef, type Chain, type Ruleset } from '../../../src/doctor/firewall/model.js';
import { narrowAcceptCommand } from '../../../src/doctor/firewall/narrow-fix.js';
import { parseNftRuleset } from '../../../src/doctor/firewall/nft-json.js';
import { walkProbePath, type ProbeFlow } from '../../../src/doctor/firewall/path.js';
import { NFT_LIST, readFirewall } from '../../../src/doctor/firewall/read-firewall.js';
import { recordKey } from '../../../src/doctor/context/system-access.js';
import { replaySystem } from '../../../src/doctor/context/replay-system.js';
import { FIXTURES } from './replay.js';

const fixture = (name: string) => readFileSync(`${FIXTURES}firewall/${name}`, 'utf8');
const ok = (stdout: string) => ({ code: 0, stdout, stderr: '' });

/** What readFirewall sees on a host where iptables-nft wrote the rules (fixtures/firewall/iptables.rules). */
function iptablesNftHost(overrides: Record<string, unknown> = {}) {
  return replaySystem({
    [recordKey.exec('nft', NFT_LIST)]: ok(fixture('iptables-nft.json')),
    [recordKey.exec('iptables-nft-save', ['-c'])]: ok(fixture('iptables-nft.save')),
    [recordKey.exec('ip6tables-nft-save', ['-c'])]: ok(fixture('ip6tables-nft.save')),
    [recordKey.readFile('/proc/net/ip_tables_names')]: null,
    [recordKey.readFile('/proc/net/ip6_tables_names')]: null,
    ...overrides,
  });
}

function nativeRuleset(): Ruleset {
  return { chains: parseNftRuleset(fixture('native.json')), notes: [] };
}

const LOCAL_FLOW: ProbeFlow = {
  family: 4,
  protocol: 'tcp',
  client: requireIp('192.0.2.1'),
  clientPort: 40000,
  target: requireIp('127.0.0.1'),
  targetPort: 8080,
  mark: 0,
  targetLocal: true,
  replyInterface: 'lo',
  targetInterface: 'lo',
};

const chain = (chains: Chain[], table: string, name: string) =>
  chains.find((entry) => entry.table === table && entry.name === name);

describe('doctor firewall model', function () {
  describe('iptables-save -c', function () {
    it('splits quoted arguments the way iptables-save writes them', function () {
      assert.deepEqual(tokenize('-m comment --comment "ssh and \\"web\\"" -j ACCEPT'), [
        '-m',
        'comment',
        '--comment',
        'ssh and "web"',
        '-j',
        'ACCEPT',
      ]);
    });

    it('reads tables, policies, user chains and rule specs with their counters', function () {
      const chains = parseIptablesSave(fixture('iptables-nft.save'), 'ip', 'iptables-nft');
      const input = chain(chains, 'filter', 'INPUT')!;
      assert.deepEqual(input.base, {
        hook: 'input',
        priority: 0,
        type: 'filter',
        policy: 'drop',
        policyCounter: { packets: 0, bytes: 0 },
      });
      assert.equal(input.rules.length, 7);
      assert.equal(
        input.rules[4]!.text,
        '-A INPUT -p tcp -m tcp --dport 8080 --tcp-flags FIN,SYN,RST,ACK SYN -j only-local',
      );
      assert.deepEqual(input.rules[4]!.statements, [{ kind: 'jump', chain: 'only-local' }]);
      assert.equal(chain(chains, 'filter', 'only-local')!.base, undefined);
      assert.equal(chain(chains, 'mangle', 'OUTPUT')!.base?.type, 'route');
      assert.equal(chain(chains, 'raw', 'PREROUTING')!.base?.priority, -300);
      assert.deepEqual(chain(chains, 'raw', 'PREROUTING')!.rules[0]!.statements, [{ kind: 'notrack' }]);
    });

    it('keeps matches it does not model as unknown, never as true or false', function () {
      const chains = parseIptablesSave(fixture('iptables-nft.save'), 'ip', 'iptables-nft');
      const owner = chain(chains, 'mangle', 'POSTROUTING')!.rules[0]!;
      assert.deepEqual(owner.conditions, [{ kind: 'unknown', text: '-m owner --uid-owner 0' }]);
    });

    it('reads the legacy backend the same way', function () {
      const legacy = parseIptablesSave(fixture('iptables-legacy.save'), 'ip', 'iptables-legacy');
      const nft = parseIptablesSave(fixture('iptables-nft.save'), 'ip', 'iptables-nft');
      assert.deepEqual(
        legacy.map((entry) => [entry.table, entry.name, entry.rules.map((rule) => rule.text)]).sort(),
        nft.map((entry) => [entry.table, entry.name, entry.rules.map((rule) => rule.text)]).sort(),
      );
    });
  });

  describe('nft -j -a list ruleset', function () {
    it('reads base chains with hook, priority, type and policy, and rules with handles', function () {
      const chains = parseNftRuleset(fixture('native.json'));
      const input = chain(chains, 'filter', 'input')!;
      assert.deepEqual(input.base, { hook: 'input', priority: 0, type: 'filter', policy: 'drop', policyCounter: null });
      assert.equal(chain(chains, 'filter', 'out')!.base?.type, 'route');
      assert.ok(input.rules.every((rule) => typeof rule.ref.handle === 'number'));
    });

    it('resolves named sets and reads verdict maps', function () {
      const input = chain(parseNftRuleset(fixture('native.json')), 'filter', 'input')!;
      const reject = input.rules.find((rule) =>
        rule.statements.some((s) => s.kind === 'verdict' && s.verdict === 'reject'),
      )!;
      const address = reject.conditions.find((condition) => condition.kind === 'address');
      assert.equal(address?.kind === 'address' && address.negate, true);
      assert.equal(address?.kind === 'address' && address.items.length, 2);
      assert.ok(input.rules.some((rule) => rule.statements[0]?.kind === 'vmap'));
    });
  });

  describe('reading every ruleset of the host', function () {
    it("replaces nft's view of iptables-nft tables by iptables-save's specs, keeping nft's handles", async function () {
      const ruleset = await readFirewall(iptablesNftHost());
      const input = ruleset.chains.find(
        (entry) => entry.family === 'ip' && entry.table === 'filter' && entry.name === 'INPUT',
      )!;
      assert.equal(input.backend, 'iptables-nft');
      assert.equal(input.rules[0]!.text, '-A INPUT -s 127.0.0.0/8 -i lo -j ACCEPT');
      assert.equal(typeof input.rules[0]!.ref.handle, 'number');
      assert.deepEqual(ruleset.notes, []);
    });

    it('reads legacy tables only when the kernel lists some', async function () {
      const ruleset = await readFirewall(
        iptablesNftHost({
          [recordKey.exec('nft', NFT_LIST)]: ok('{"nftables": []}'),
          [recordKey.readFile('/proc/net/ip_tables_names')]: 'filter\nmangle\nraw\nnat\n',
          [recordKey.exec('iptables-legacy-save', ['-c'])]: ok(fixture('iptables-legacy.save')),
        }),
      );
      assert.ok(ruleset.chains.length > 0);
      assert.ok(ruleset.chains.every((entry) => entry.backend === 'iptables-legacy'));
    });

    it('says what it could not read instead of failing', async function () {
      const ruleset = await readFirewall(
        iptablesNftHost({
          [recordKey.exec('nft', NFT_LIST)]: {
            code: 1,
            stdout: '',
            stderr: 'Operation not permitted (you must be root)\n',
          },
        }),
      );
      assert.deepEqual(ruleset.notes, [
        'cannot read nftables (nft -j -a list ruleset): Operation not permitted (you must be root)',
      ]);
    });
  });

  describe('walking the probe', function () {
    it('finds the iptables rule that drops the spoofed SYN on INPUT, in the chain INPUT jumps to', async function () {
      const ruleset = await readFirewall(iptablesNftHost());
      const legs = walkProbePath(ruleset, LOCAL_FLOW);
      const drops = legs.flatMap((leg) => leg.drops);
      assert.equal(drops.length, 1);
      const [drop] = drops;
      assert.equal(drop!.leg.name, 'the spoofed SYN arriving on lo');
      assert.equal(drop!.rule?.text, '-A only-local ! -s 127.0.0.1/32 -j DROP');
      assert.match(describeRuleRef(drop!.rule.ref), /^iptables -t filter only-local rule 1, nft handle \d+$/);
      assert.equal(
        narrowAcceptCommand(drop!, LOCAL_FLOW),
        'iptables -t filter -I only-local 1 -i lo -d 127.0.0.1 -p tcp --dport 8080 -j ACCEPT',
      );
    });

    it('lets the plain loopback connection through the same rules', async function () {
      const ruleset = await readFirewall(iptablesNftHost());
      const legs = walkProbePath(ruleset, { ...LOCAL_FLOW, client: requireIp('127.0.0.1') });
      assert.deepEqual(
        legs.flatMap((leg) => leg.drops),
        [],
      );
    });

    it('finds the native nftables rule, named by handle, with an insert before it', function () {
      const legs = walkProbePath(nativeRuleset(), LOCAL_FLOW);
      const [drop] = legs.flatMap((leg) => leg.drops);
      assert.equal(drop!.verdict, 'reject');
      assert.equal(drop!.rule?.ref.chain, 'input');
      const handle = drop!.rule.ref.handle!;
      assert.equal(
        narrowAcceptCommand(drop!, LOCAL_FLOW),
        `nft insert rule inet filter input position ${handle} iifname lo ip daddr 127.0.0.1 tcp dport 8080 accept`,
      );
    });

    it('names a policy drop and appends the accept to the base chain', function () {
      const ruleset: Ruleset = {
        notes: [],
        chains: [
          {
            backend: 'nftables',
            family: 'inet',
            table: 'fw',
            name: 'output',
            base: { hook: 'output', priority: 0, type: 'filter', policy: 'drop', policyCounter: null },
            rules: [],
          },
        ],
      };
      const drops = walkProbePath(ruleset, LOCAL_FLOW).flatMap((leg) => leg.drops);
      // Both the SYN and the SYN-ACK leave through OUTPUT.
      assert.deepEqual(
        drops.map((drop) => narrowAcceptCommand(drop, LOCAL_FLOW)),
        [
          'nft add rule inet fw output oifname lo ip daddr 127.0.0.1 tcp dport 8080 accept',
          'nft add rule inet fw output oifname lo ip saddr 127.0.0.1 tcp sport 8080 accept',
        ],
      );
    });

    it("carries the connection mark the SYN's rules save to the SYN-ACK's rules (cloudflare's recipe)", async function () {
      const ruleset = await readFirewall(iptablesNftHost());
      const legs = walkProbePath(ruleset, { ...LOCAL_FLOW, mark: 123 });
      // Saved on the SYN's way (mangle OUTPUT, PREROUTING), restored in mangle OUTPUT, which re-routes.
      const replyOut = legs[2]!;
      assert.equal(replyOut.rerouteMark, 123);
    });
  });
});

describe('doctor firewall evidence', function () {
  const PROC_CONNTRACK = [
    'ipv4     2 udp      17 29 src=127.0.0.1 dst=127.0.0.1 sport=49952 dport=5353 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=5353 dport=49952 mark=0 zone=0 use=2',
    'ipv4     2 tcp      6 84 SYN_SENT src=192.0.2.1 dst=127.0.0.1 sport=51000 dport=8080 [UNREPLIED] src=127.0.0.1 dst=192.0.2.1 sport=8080 dport=51000 mark=0 zone=0 use=2',
    'ipv4     2 tcp      6 119 SYN_SENT src=192.0.2.1 dst=127.0.0.1 sport=58919 dport=8080 [UNREPLIED] src=127.0.0.1 dst=192.0.2.1 sport=8080 dport=58919 mark=0 zone=0 use=2',
    'ipv6     10 tcp      6 58 SYN_RECV src=2001:0db8:0000:0000:0000:0000:0000:0001 dst=0000:0000:0000:0000:0000:0000:0000:0001 sport=40000 dport=8080 src=0000:0000:0000:0000:0000:0000:0000:0001 dst=2001:0db8:0000:0000:0000:0000:0000:0001 sport=8080 dport=40000 mark=123 zone=0 use=2',
  ].join('\n');

  it("finds the probe's own conntrack entry, the newest when its port is not known", function () {
    const query = {
      protocol: 'tcp' as const,
      client: requireIp('192.0.2.1'),
      clientPort: null,
      target: requireIp('127.0.0.1'),
      targetPort: 8080,
    };
    assert.deepEqual(findConntrackEntry(PROC_CONNTRACK, query), {
      protocol: 'tcp',
      state: 'SYN_SENT',
      unreplied: true,
      mark: 0,
      sport: 58919,
      timeout: 119,
    });
    assert.equal(findConntrackEntry(PROC_CONNTRACK, { ...query, clientPort: 51000 })?.sport, 51000);
    const v6 = findConntrackEntry(PROC_CONNTRACK, {
      ...query,
      client: requireIp('2001:db8::1'),
      target: requireIp('::1'),
    });
    assert.equal(v6?.state, 'SYN_RECV');
    assert.match(describeConntrackEntry(v6, 'tcp'), /^conntrack entry SYN_RECV, connection mark 123: the app answered/);
  });

  it('reads the kernel drop counters and reports only those that moved', function () {
    const netstat = (drops: number) =>
      `TcpExt: SyncookiesSent ListenOverflows ListenDrops IPReversePathFilter\nTcpExt: 0 0 0 ${drops}\nIpExt: InNoRoutes\nIpExt: 5\n`;
    const stat = (invalid: number) =>
      `entries  clashres found new invalid\n00000000  00000000 00000000 00000000 ${invalid.toString(16).padStart(8, '0')}\n00000000  00000000 00000000 00000000 00000001\n`;
    const before = new Map([...parseNetstat(netstat(3)), ...parseConntrackStat(stat(0))]);
    const after = new Map([...parseNetstat(netstat(5)), ...parseConntrackStat(stat(16))]);
    assert.equal(before.get('InNoRoutes'), 5);
    assert.equal(before.get('conntrack invalid'), 1);
    assert.deepEqual(kernelDrops(before, after), [
      { name: 'IPReversePathFilter', delta: 2 },
      { name: 'conntrack invalid', delta: 16 },
    ]);
  });

  it('pairs rule counters across two readings, and lets them settle rules it cannot evaluate', async function () {
    const before = await readFirewall(iptablesNftHost());
    const after = await readFirewall(iptablesNftHost());
    const owner = after.chains.find((entry) => entry.table === 'mangle' && entry.name === 'POSTROUTING')!.rules[0]!;
    owner.counter = { packets: 2, bytes: 120 };
    const input = after.chains.find((entry) => entry.table === 'filter' && entry.name === 'INPUT')!;
    input.base!.policyCounter = { packets: 1, bytes: 60 };
    const deltas = counterDeltas(before, after);
    assert.equal(deltas.rule(owner), 2);
    assert.equal(deltas.witness(owner), true);
    assert.equal(deltas.witness(input.rules[0]!), false);
    assert.equal(deltas.policy(input), 1);
  });
});
