/**
 * Netfilter rules as data, whichever tool wrote them: native nftables
 * (`nft -j -a list ruleset`), iptables on its nf_tables backend and legacy
 * iptables (`iptables-save -c`). Each rule is a list of conditions (all must
 * hold) and the statements that then run, in the kernel's order, so one
 * evaluator (./walk.ts) judges them all.
 */
import type { IpAddress } from '../../base/net/ip.js';
import type { Prefix } from '../../base/net/cidr.js';

export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

export type Backend = 'nftables' | 'iptables-nft' | 'iptables-legacy';

/** nftables families; iptables tables are `ip` (iptables) or `ip6` (ip6tables). */
export type NfFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

export type CtState = 'new' | 'established' | 'related' | 'invalid' | 'untracked';

/** Three-valued: a condition the doctor cannot evaluate (a uid, an ipset) is `unknown`. */
export type Tri = true | false | 'unknown';

export interface Counter {
  packets: number;
  bytes: number;
}

/** Addresses as a condition lists them: prefixes and ranges. */
export type AddressItem = { prefix: Prefix } | { range: [IpAddress, IpAddress] };

/** A 32-bit mark computed from the packet's mark, its connection's mark and constants. */
export type MarkExpr =
  { const: number } | { of: 'meta' | 'ct' } | { op: '&' | '|' | '^'; left: MarkExpr; right: MarkExpr };

export type TcpFlag = 'fin' | 'syn' | 'rst' | 'psh' | 'ack' | 'urg' | 'ecn' | 'cwr';

export type Condition =
  /** The packet's IP version (an `ip saddr` match in an inet table implies 4). */
  | { kind: 'family'; family: 4 | 6 }
  /** IP protocol numbers (6 tcp, 17 udp, 1 icmp, 58 ipv6-icmp). */
  | { kind: 'l4proto'; protocols: number[]; negate: boolean }
  | { kind: 'address'; field: 'saddr' | 'daddr'; items: AddressItem[]; negate: boolean }
  /** Ports of TCP or UDP (`th`); a packet of another protocol never matches; `either`: sport or dport. */
  | {
      kind: 'port';
      field: 'sport' | 'dport' | 'either';
      protocols: number[];
      ranges: [number, number][];
      negate: boolean;
    }
  /** Interface names; a name ending in `*` (nft) or `+` (iptables) is a prefix. */
  | { kind: 'interface'; field: 'iif' | 'oif'; names: string[]; negate: boolean }
  | { kind: 'mark'; of: 'meta' | 'ct'; value: number; mask: number; negate: boolean }
  | { kind: 'ct-state'; states: CtState[]; negate: boolean }
  | { kind: 'ct-direction'; direction: 'original' | 'reply'; negate: boolean }
  /** (flags & mask) == set; `any` means some of `set` (nft `tcp flags syn`). */
  | { kind: 'tcp-flags'; mask: TcpFlag[]; set: TcpFlag[]; any: boolean; negate: boolean }
  /** A match the doctor does not model (owner, addrtype, ipset, xt extensions...). */
  | { kind: 'unknown'; text: string };

export type Verdict = 'accept' | 'drop' | 'reject' | 'return' | 'continue' | 'queue';

export type Statement =
  | { kind: 'verdict'; verdict: Verdict }
  | { kind: 'jump' | 'goto'; chain: string }
  /** A verdict map: the packet's value of `key` picks the verdict (nft `vmap`). */
  | { kind: 'vmap'; key: VmapKey; protocols?: number[]; entries: { values: VmapValue[]; verdict: Statement }[] }
  | { kind: 'set-mark'; target: 'meta' | 'ct'; value: MarkExpr }
  /** The packet leaves connection tracking (CT --notrack, nft notrack). */
  | { kind: 'notrack' }
  /** Address translation: the doctor names it, it does not follow it. */
  | { kind: 'nat'; text: string }
  /** A target or statement the doctor does not model (TPROXY, an xt target...). */
  | { kind: 'unknown'; text: string };

export type VmapKey = 'ct-state' | 'dport' | 'sport' | 'l4proto' | 'iif' | 'oif' | 'saddr' | 'daddr';
export type VmapValue = string | number | [number, number] | AddressItem;

/** Where a rule lives, as the user would name it. */
export interface RuleRef {
  backend: Backend;
  family: NfFamily;
  table: string;
  chain: string;
  /** 1-based position in its chain (iptables' rule number). */
  position: number;
  /** nftables handle (native rules and iptables-nft rules alike), when known. */
  handle?: number;
}

export interface Rule {
  ref: RuleRef;
  conditions: Condition[];
  statements: Statement[];
  /** Packets and bytes so far; null when the rule does not count (an nft rule without `counter`). */
  counter: Counter | null;
  /** The rule as its own tool prints it (`-A INPUT ...` for iptables), when known. */
  text: string;
}

export type ChainType = 'filter' | 'route' | 'nat';

export interface BaseChain {
  hook: Hook;
  priority: number;
  type: ChainType;
  policy: 'accept' | 'drop';
  /** iptables counts the packets its built-in chains' policy decided; nftables does not. */
  policyCounter: Counter | null;
}

export interface Chain {
  backend: Backend;
  family: NfFamily;
  table: string;
  name: string;
  /** Present for chains attached to a hook; regular chains are reached by jump/goto only. */
  base?: BaseChain;
  rules: Rule[];
}

export interface Ruleset {
  chains: Chain[];
  /** What could not be read, and why (shown as evidence). */
  notes: string[];
}

/** The fixed priorities of iptables' tables (and of conntrack itself), as the kernel registers them. */
export const IPTABLES_PRIORITY: Record<string, Partial<Record<Hook, number>>> = {
  raw: { prerouting: -300, output: -300 },
  mangle: { prerouting: -150, input: -150, forward: -150, output: -150, postrouting: -150 },
  nat: { prerouting: -100, output: -100, input: 100, postrouting: 100 },
  filter: { input: 0, forward: 0, output: 0 },
  security: { input: 50, forward: 50, output: 50 },
};

/** Connection tracking runs at this priority in PREROUTING and OUTPUT: chains before it see no connection. */
export const CONNTRACK_PRIORITY = -200;

/** A short name for a rule: `inet fw input handle 3` or `iptables filter INPUT rule 2`. */
export function describeRuleRef(ref: RuleRef): string {
  if (ref.backend === 'nftables') {
    return `nftables ${ref.family} ${ref.table} ${ref.chain} handle ${ref.handle ?? `#${ref.position}`}`;
  }
  const tool = `${ref.family === 'ip6' ? 'ip6tables' : 'iptables'}${ref.backend === 'iptables-legacy' ? ' (legacy)' : ''}`;
  const handle = ref.handle !== undefined ? `, nft handle ${ref.handle}` : '';
  return `${tool} -t ${ref.table} ${ref.chain} rule ${ref.position}${handle}`;
}

/** A short name for a chain: `nftables inet fw input` or `iptables -t filter INPUT`. */
export function describeChain(chain: Chain): string {
  if (chain.backend === 'nftables') return `nftables ${chain.family} ${chain.table} ${chain.name}`;
  const tool = `${chain.family === 'ip6' ? 'ip6tables' : 'iptables'}${chain.backend === 'iptables-legacy' ? ' (legacy)' : ''}`;
  return `${tool} -t ${chain.table} ${chain.name}`;
}
