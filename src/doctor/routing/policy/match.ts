/**
 * Does a rule match a packet? The kernel's fib_rule_match() and its
 * per-family halves (fib4_rule_match, fib6_rule_match): every selector the
 * rule has must hold, and `not` inverts the result as a whole. Each selector
 * gets its own verdict with the reason, so the report can say which one
 * keeps a rule from matching.
 */
import { CLIENT_SELECTORS, type Flow } from './flow.js';
import { formatPrefix, prefixHas } from './prefix.js';
import type { PolicyRule, PortSelector } from './rule.js';
import { selectorArgs, type SelectorName } from './rule-text.js';

export interface SelectorVerdict {
  selector: SelectorName;
  /** The selector as written: "iif eth0". */
  text: string;
  matches: boolean;
  /** Why it does or does not match this packet. */
  why: string;
  /** The verdict depends on which client the reply goes to (to, dport). */
  dependsOnClient: boolean;
}

export interface RuleMatch {
  /** The kernel's verdict; null when the rule has selectors this code cannot evaluate. */
  matches: boolean | null;
  /** One verdict per selector the rule has (`from all` included). */
  selectors: SelectorVerdict[];
  /** The selectors that do not hold (before `not` is applied). */
  failing: SelectorVerdict[];
}

const hex = (value: number) => `0x${value.toString(16)}`;

function portHolds(selector: PortSelector, value: number): boolean {
  if ('mask' in selector) return (value & selector.mask) === selector.value;
  return value >= selector.start && value <= selector.end;
}

function judge(rule: PolicyRule, name: SelectorName, flow: Flow): { matches: boolean; why: string } {
  switch (name) {
    case 'from': {
      if (!rule.from) return { matches: true, why: 'every source' };
      const inside = prefixHas(rule.from, flow.src);
      return { matches: inside, why: `${flow.src} is ${inside ? '' : 'not '}in ${formatPrefix(rule.from)}` };
    }
    case 'to': {
      const to = rule.to;
      if (!to) return { matches: true, why: 'every destination' };
      const inside = prefixHas(to, flow.dst);
      const client = flow.assumed.dst ? ` (${flow.assumed.dst})` : '';
      return {
        matches: inside,
        why: `the client ${flow.dst}${client} is ${inside ? '' : 'not '}in ${formatPrefix(to)}`,
      };
    }
    case 'iif': {
      const iif = rule.iif;
      if (!iif) return { matches: true, why: '' };
      if (iif.detached) return { matches: false, why: `no interface ${iif.name} exists, so the rule never matches` };
      const matches = iif.name === flow.iif;
      return {
        matches,
        why:
          flow.iif === 'lo'
            ? `a packet generated on this host is looked up with iif lo${matches ? '' : `, never ${iif.name}`}`
            : `the packet arrives on ${flow.iif}`,
      };
    }
    case 'oif': {
      const oif = rule.oif;
      if (!oif) return { matches: true, why: '' };
      if (oif.detached) return { matches: false, why: `no interface ${oif.name} exists, so the rule never matches` };
      if (flow.oif === null) {
        return { matches: false, why: `the app's socket is not bound to an interface, so its lookup has no oif` };
      }
      return { matches: oif.name === flow.oif, why: `the app's socket is bound to ${flow.oif}` };
    }
    case 'fwmark': {
      const fwmark = rule.fwmark;
      if (!fwmark) return { matches: true, why: '' };
      const matches = ((fwmark.value ^ flow.mark) & fwmark.mask) === 0;
      return { matches, why: `the packet carries mark ${hex(flow.mark)}` };
    }
    case 'tos':
      return {
        matches: rule.tos === flow.tos,
        why: `the app's socket sends with TOS ${hex(flow.tos)}`,
      };
    case 'dscp': {
      const dscp = rule.dscp;
      if (!dscp) return { matches: true, why: '' };
      return { matches: ((flow.tos >> 2) & dscp.mask) === dscp.value, why: `the packet's DSCP is ${flow.tos >> 2}` };
    }
    case 'uidrange': {
      const uid = rule.uid;
      if (!uid) return { matches: true, why: '' };
      const matches = flow.uid >= uid.start && flow.uid <= uid.end;
      return {
        matches,
        why: `the app's socket belongs to uid ${flow.uid}${flow.assumed.uid ? ` (${flow.assumed.uid})` : ''}`,
      };
    }
    case 'ipproto': {
      const proto = rule.ipproto;
      if (!proto) return { matches: true, why: '' };
      return { matches: proto.number === flow.proto, why: `the packet is ${protoName(flow.proto)}` };
    }
    case 'sport': {
      const sport = rule.sport;
      if (!sport) return { matches: true, why: '' };
      return { matches: portHolds(sport, flow.sport), why: `the reply leaves from port ${flow.sport}` };
    }
    case 'dport': {
      const dport = rule.dport;
      if (!dport) return { matches: true, why: '' };
      const port = flow.assumed.dport ? ` (${flow.assumed.dport})` : '';
      return { matches: portHolds(dport, flow.dport), why: `the reply goes to the client's port ${flow.dport}${port}` };
    }
    case 'tun_id':
      return { matches: false, why: 'the packet carries no tunnel key (only metadata tunnels set one)' };
    case 'l3mdev':
      return { matches: false, why: 'the packet is not in a VRF (no l3mdev device on its path)' };
  }
}

function protoName(proto: number): string {
  return proto === 6 ? 'TCP' : proto === 17 ? 'UDP' : `protocol ${proto}`;
}

export function matchRule(rule: PolicyRule, flow: Flow): RuleMatch {
  const selectors = selectorArgs(rule).map(({ name, args }): SelectorVerdict => {
    const verdict = judge(rule, name, flow);
    return {
      selector: name,
      text: [name, ...args].join(' '),
      ...verdict,
      dependsOnClient: (CLIENT_SELECTORS as readonly string[]).includes(name),
    };
  });
  const failing = selectors.filter((selector) => !selector.matches);
  if (rule.unknownKeys.length) return { matches: null, selectors, failing };
  const all = failing.length === 0;
  return { matches: rule.not ? !all : all, selectors, failing };
}
