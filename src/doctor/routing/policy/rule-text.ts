/**
 * A rule back in `ip rule` syntax: every selector, the action and the
 * priority, so that `ip rule del <args>` names exactly this rule and
 * `ip rule add <args>` re-creates it with nothing lost. The same words are
 * used to show rules in the report.
 */
import { type RulePrefix } from './prefix.js';
import type { PolicyRule, PortSelector } from './rule.js';

export type SelectorName =
  | 'from'
  | 'to'
  | 'tos'
  | 'dscp'
  | 'fwmark'
  | 'iif'
  | 'oif'
  | 'uidrange'
  | 'ipproto'
  | 'sport'
  | 'dport'
  | 'tun_id'
  | 'l3mdev';

const hex = (value: number) => `0x${value.toString(16)}`;

/** As ip prints it: a host prefix as the bare address. */
function prefix(value: RulePrefix): string {
  const host = value.address.includes(':') ? 128 : 32;
  return value.length === host ? value.address : `${value.address}/${value.length}`;
}

function port(selector: PortSelector): string {
  if ('mask' in selector) return `${selector.value}/${hex(selector.mask)}`;
  return selector.start === selector.end ? String(selector.start) : `${selector.start}-${selector.end}`;
}

/** The rule's selectors in ip-rule order, each with its arguments; `from` is always present ("all"). */
export function selectorArgs(rule: PolicyRule): { name: SelectorName; args: string[] }[] {
  const out: { name: SelectorName; args: string[] }[] = [];
  const add = (name: SelectorName, ...args: string[]) => out.push({ name, args });
  add('from', rule.from ? prefix(rule.from) : 'all');
  if (rule.to) add('to', prefix(rule.to));
  if (rule.tos !== null) add('tos', hex(rule.tos));
  if (rule.dscp)
    add('dscp', rule.dscp.mask === 0x3f ? String(rule.dscp.value) : `${rule.dscp.value}/${hex(rule.dscp.mask)}`);
  if (rule.fwmark) {
    const { value, mask } = rule.fwmark;
    add('fwmark', mask === 0xffffffff ? hex(value) : `${hex(value)}/${hex(mask)}`);
  }
  if (rule.iif) add('iif', rule.iif.name);
  if (rule.oif) add('oif', rule.oif.name);
  if (rule.uid) add('uidrange', `${rule.uid.start}-${rule.uid.end}`);
  if (rule.ipproto) add('ipproto', rule.ipproto.name);
  if (rule.sport) add('sport', port(rule.sport));
  if (rule.dport) add('dport', port(rule.dport));
  if (rule.tunId !== null) add('tun_id', String(rule.tunId));
  if (rule.action.kind === 'l3mdev') add('l3mdev');
  return out;
}

/** What the rule does, in ip-rule words: `lookup 123 suppress_prefixlength 0`, `goto 100`, `blackhole`. */
export function actionArgs(rule: PolicyRule): string[] {
  const { action } = rule;
  switch (action.kind) {
    case 'lookup': {
      const args = ['lookup', action.table];
      if (action.suppressPrefixLength !== null) args.push('suppress_prefixlength', String(action.suppressPrefixLength));
      if (action.suppressIfgroup !== null) args.push('suppress_ifgroup', action.suppressIfgroup);
      return args;
    }
    case 'l3mdev':
      return [];
    case 'goto':
      return ['goto', action.target === null ? 'none' : String(action.target)];
    case 'nop':
      return ['nop'];
    case 'blackhole':
    case 'unreachable':
    case 'prohibit':
      return [action.kind];
  }
}

/**
 * The full argument list after `ip [-6] rule add|del`: the priority, then
 * everything else. Without the priority (`withPriority: false`) the kernel
 * gives a new rule its default place: just after the first rule.
 */
export function ruleArgs(rule: PolicyRule, withPriority = true): string[] {
  const args = withPriority ? ['priority', String(rule.priority)] : [];
  if (rule.not) args.push('not');
  for (const selector of selectorArgs(rule)) args.push(selector.name, ...selector.args);
  args.push(...actionArgs(rule));
  if (rule.realms !== null) args.push('realms', rule.realms);
  if (rule.protocol !== null) args.push('protocol', rule.protocol);
  return args;
}

/** `32765: from 127.0.0.1/8 iif lo lookup 123`, as `ip rule show` prints it. */
export function describeRule(rule: PolicyRule): string {
  const words: string[] = [];
  if (rule.not) words.push('not');
  for (const selector of selectorArgs(rule)) {
    // l3mdev prints as its action: "lookup [l3mdev-table]".
    if (selector.name !== 'l3mdev') words.push(selector.name, ...selector.args);
  }
  words.push(...(rule.action.kind === 'l3mdev' ? ['lookup', '[l3mdev-table]'] : actionArgs(rule)));
  return `${rule.priority}: ${words.join(' ')}`;
}

/** `ip rule del …` (or add) for this rule, as argv. */
export function ruleCommand(verb: 'add' | 'del', rule: PolicyRule, withPriority = true): string[] {
  return ['ip', ...(rule.family === 6 ? ['-6'] : []), 'rule', verb, ...ruleArgs(rule, withPriority)];
}

/**
 * What makes two rules the same rule, their priority aside: the family, the
 * inversion, every selector and the action, in one canonical text (a
 * protocol by number, marks in hex, host prefixes bare).
 */
export function ruleKey(rule: PolicyRule): string {
  const selectors = selectorArgs(rule).map(({ name, args }) =>
    name === 'ipproto' ? `ipproto ${rule.ipproto?.number ?? args[0]}` : [name, ...args].join(' '),
  );
  return [`-${rule.family}`, ...(rule.not ? ['not'] : []), ...selectors, ...actionArgs(rule)].join(' ');
}
