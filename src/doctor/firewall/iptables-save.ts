/**
 * Reads `iptables-save -c` / `ip6tables-save -c` (either backend) into the
 * rule model: every table, chain, policy and rule with its counters, each
 * rule's matches as conditions and its target as statements. Matches the
 * doctor does not model (owner, addrtype, set, ...) become `unknown`
 * conditions, so they are never silently taken as true or false.
 */
import { parseCidr } from '../../base/net/cidr.js';
import { parseIp } from '../../base/net/ip.js';
import {
  IPTABLES_PRIORITY,
  type Backend,
  type Chain,
  type Condition,
  type Counter,
  type CtState,
  type Hook,
  type MarkExpr,
  type Rule,
  type Statement,
  type TcpFlag,
} from './model.js';

/** One `[!] --option value...` group of a rule spec. */
interface Option {
  name: string;
  values: string[];
  negate: boolean;
}

const HOOKS: Record<string, Hook> = {
  PREROUTING: 'prerouting',
  INPUT: 'input',
  FORWARD: 'forward',
  OUTPUT: 'output',
  POSTROUTING: 'postrouting',
};

export const PROTOCOL_NUMBERS: Record<string, number> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  icmpv6: 58,
  sctp: 132,
  udplite: 136,
};

/** Splits a rule line the way iptables-save quotes it ("a b", with \" inside). */
export function tokenize(line: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quoted = false;
  let inToken = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quoted) {
      if (char === '\\' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        current += char;
      }
    } else if (char === '"') {
      quoted = true;
      inToken = true;
    } else if (char === ' ' || char === '\t') {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += char;
      inToken = true;
    }
  }
  if (inToken) tokens.push(current);
  return tokens;
}

/** Groups tokens into options: a token starting with `-` opens one, `!` negates the next. */
function groupOptions(tokens: string[]): Option[] {
  const options: Option[] = [];
  let negate = false;
  for (const token of tokens) {
    if (token === '!') {
      negate = true;
    } else if (token.startsWith('-') && token.length > 1 && !/^-\d/.test(token)) {
      options.push({ name: token, values: [], negate });
      negate = false;
    } else if (options.length) {
      options[options.length - 1]!.values.push(token);
    }
  }
  return options;
}

function parseNumber(text: string | undefined): number {
  return text === undefined ? NaN : Number(text);
}

/** "0x7b/0xff" or "123": value and mask (all ones without a mask). */
export function parseValueMask(text: string | undefined): { value: number; mask: number } {
  const [value, mask] = (text ?? '').split('/');
  return { value: parseNumber(value) >>> 0, mask: mask === undefined ? 0xffffffff : parseNumber(mask) >>> 0 };
}

function portRanges(text: string): [number, number][] {
  return text.split(',').map((part) => {
    const [low, high] = part.split(':');
    const from = low === '' || low === undefined ? 0 : Number(low);
    const to = high === undefined ? from : high === '' ? 65535 : Number(high);
    return [from, to];
  });
}

function addressCondition(field: 'saddr' | 'daddr', text: string, negate: boolean): Condition {
  try {
    const items = text.split(',').map((part) => ({ prefix: parseCidr(part) }));
    return { kind: 'address', field, items, negate };
  } catch {
    return { kind: 'unknown', text: `${negate ? '! ' : ''}${field === 'saddr' ? '-s' : '-d'} ${text}` };
  }
}

function rangeCondition(field: 'saddr' | 'daddr', text: string, negate: boolean): Condition {
  const [from, to] = text.split('-').map((part) => parseIp(part));
  if (!from || !to) return { kind: 'unknown', text: `iprange ${text}` };
  return { kind: 'address', field, items: [{ range: [from, to] }], negate };
}

const CT_STATES: Record<string, CtState> = {
  NEW: 'new',
  ESTABLISHED: 'established',
  RELATED: 'related',
  INVALID: 'invalid',
  UNTRACKED: 'untracked',
};

function ctStateCondition(text: string, negate: boolean, option: string): Condition {
  const states = text.split(',').map((state) => CT_STATES[state]);
  if (states.some((state) => state === undefined)) return { kind: 'unknown', text: `${option} ${text}` };
  return { kind: 'ct-state', states: states as CtState[], negate };
}

function tcpFlags(text: string | undefined): TcpFlag[] {
  if (text === undefined || text === 'NONE') return [];
  if (text === 'ALL') return ['fin', 'syn', 'rst', 'psh', 'ack', 'urg'];
  return text.split(',').map((flag) => flag.toLowerCase() as TcpFlag);
}

/** Modules whose options the doctor evaluates; every other module's options are `unknown`. */
function moduleCondition(module: string, option: Option, protocols: number[]): Condition | null {
  const value = option.values[0] ?? '';
  const { negate } = option;
  const ports = (field: 'sport' | 'dport' | 'either'): Condition => ({
    kind: 'port',
    field,
    protocols,
    ranges: portRanges(value),
    negate,
  });
  switch (`${module} ${option.name}`) {
    case 'tcp --dport':
    case 'tcp --destination-port':
    case 'udp --dport':
    case 'udp --destination-port':
    case 'multiport --dports':
    case 'multiport --destination-ports':
      return ports('dport');
    case 'tcp --sport':
    case 'tcp --source-port':
    case 'udp --sport':
    case 'udp --source-port':
    case 'multiport --sports':
    case 'multiport --source-ports':
      return ports('sport');
    case 'multiport --ports':
      return ports('either');
    case 'tcp --tcp-flags':
      return {
        kind: 'tcp-flags',
        mask: tcpFlags(option.values[0]),
        set: tcpFlags(option.values[1]),
        any: false,
        negate,
      };
    case 'tcp --syn':
      return { kind: 'tcp-flags', mask: ['fin', 'syn', 'rst', 'ack'], set: ['syn'], any: false, negate };
    case 'conntrack --ctstate':
      return ctStateCondition(value, negate, '--ctstate');
    case 'state --state':
      return ctStateCondition(value, negate, '--state');
    case 'conntrack --ctdir':
      return { kind: 'ct-direction', direction: value === 'REPLY' ? 'reply' : 'original', negate };
    case 'mark --mark':
      return { kind: 'mark', of: 'meta', ...parseValueMask(value), negate };
    case 'connmark --mark':
      return { kind: 'mark', of: 'ct', ...parseValueMask(value), negate };
    case 'iprange --src-range':
      return rangeCondition('saddr', value, negate);
    case 'iprange --dst-range':
      return rangeCondition('daddr', value, negate);
    case 'comment --comment':
    case 'limit --limit':
    case 'limit --limit-burst':
      // A comment never filters; a rate limit lets a probe's single packet through.
      return null;
    default:
      return {
        kind: 'unknown',
        text: `-m ${module} ${negate ? '! ' : ''}${option.name}${option.values.length ? ` ${option.values.join(' ')}` : ''}`,
      };
  }
}

const xmark = (target: 'meta' | 'ct', value: number, mask: number): Statement => ({
  kind: 'set-mark',
  target,
  value: {
    op: '^',
    left: { op: '&', left: { of: target }, right: { const: ~mask >>> 0 } },
    right: { const: value },
  },
});

/** The kernel's CONNMARK save and restore (xt_connmark.c), with their masks. */
function connmarkCopy(to: 'meta' | 'ct', nfmask: number, ctmask: number): Statement {
  const [keep, take] = to === 'ct' ? [ctmask, nfmask] : [nfmask, ctmask];
  const from: MarkExpr = { of: to === 'ct' ? 'meta' : 'ct' };
  return {
    kind: 'set-mark',
    target: to,
    value: {
      op: '^',
      left: { op: '&', left: { of: to }, right: { const: ~keep >>> 0 } },
      right: { op: '&', left: from, right: { const: take } },
    },
  };
}

const NO_OP_TARGETS = new Set([
  'LOG',
  'NFLOG',
  'ULOG',
  'TRACE',
  'TCPMSS',
  'TOS',
  'DSCP',
  'TTL',
  'HL',
  'CLASSIFY',
  'CHECKSUM',
  'AUDIT',
  'SECMARK',
  'CONNSECMARK',
  'IDLETIMER',
  'LED',
  'SET',
  'RATEEST',
  'TEE',
]);

function markTarget(target: 'meta' | 'ct', options: Option[]): Statement | null {
  const option = (name: string) => options.find((entry) => entry.name === name)?.values[0];
  const setX = option('--set-xmark');
  if (setX !== undefined) {
    const { value, mask } = parseValueMask(setX);
    return xmark(target, value, mask);
  }
  const set = option('--set-mark');
  if (set !== undefined) {
    const { value, mask } = parseValueMask(set);
    // --set-mark V/M is --set-xmark V/(M|V)... as iptables rewrites it: clear the mask, then set V.
    return xmark(target, value, (mask | value) >>> 0);
  }
  const and = option('--and-mark');
  if (and !== undefined) return xmark(target, 0, ~parseNumber(and) >>> 0);
  const or = option('--or-mark');
  if (or !== undefined) return xmark(target, parseNumber(or) >>> 0, parseNumber(or) >>> 0);
  const xor = option('--xor-mark');
  if (xor !== undefined) return xmark(target, parseNumber(xor) >>> 0, 0);
  if (target === 'ct') {
    const nfmask = parseValueMask(option('--nfmask') ?? option('--mask') ?? '0xffffffff').value;
    const ctmask = parseValueMask(option('--ctmask') ?? option('--mask') ?? '0xffffffff').value;
    if (options.some((entry) => entry.name === '--save-mark')) return connmarkCopy('ct', nfmask, ctmask);
    if (options.some((entry) => entry.name === '--restore-mark')) return connmarkCopy('meta', nfmask, ctmask);
  }
  return null;
}

function targetStatements(target: string, options: Option[], userChains: Set<string>): Statement[] {
  switch (target) {
    case 'ACCEPT':
      return [{ kind: 'verdict', verdict: 'accept' }];
    case 'DROP':
      return [{ kind: 'verdict', verdict: 'drop' }];
    case 'REJECT':
      return [{ kind: 'verdict', verdict: 'reject' }];
    case 'RETURN':
      return [{ kind: 'verdict', verdict: 'return' }];
    case 'QUEUE':
    case 'NFQUEUE':
      return [{ kind: 'verdict', verdict: 'queue' }];
    case 'NOTRACK':
      return [{ kind: 'notrack' }];
    case 'CT':
      return options.some((option) => option.name === '--notrack') ? [{ kind: 'notrack' }] : [];
    case 'MARK':
    case 'CONNMARK': {
      const statement = markTarget(target === 'MARK' ? 'meta' : 'ct', options);
      return [statement ?? { kind: 'unknown', text: `-j ${target} ${formatOptions(options)}` }];
    }
    case 'DNAT':
    case 'SNAT':
    case 'MASQUERADE':
    case 'REDIRECT':
    case 'NETMAP':
      return [{ kind: 'nat', text: `-j ${target} ${formatOptions(options)}`.trim() }];
    default:
      if (NO_OP_TARGETS.has(target)) return [];
      if (userChains.has(target)) return [{ kind: 'jump', chain: target }];
      return [{ kind: 'unknown', text: `-j ${target} ${formatOptions(options)}`.trim() }];
  }
}

function formatOptions(options: Option[]): string {
  return options.map((option) => [option.negate ? '!' : '', option.name, ...option.values].join(' ').trim()).join(' ');
}

/** One rule spec (the tokens after `-A CHAIN`), as conditions and statements. */
export function parseRuleSpec(
  tokens: string[],
  userChains: Set<string>,
): { conditions: Condition[]; statements: Statement[] } {
  const conditions: Condition[] = [];
  const statements: Statement[] = [];
  let module = '';
  let protocols: number[] = [PROTOCOL_NUMBERS['tcp']!, PROTOCOL_NUMBERS['udp']!];
  let target: { name: string; options: Option[] } | null = null;
  for (const option of groupOptions(tokens)) {
    const value = option.values[0] ?? '';
    if (target) {
      target.options.push(option);
      continue;
    }
    switch (option.name) {
      case '-s':
      case '--source':
        conditions.push(addressCondition('saddr', value, option.negate));
        break;
      case '-d':
      case '--destination':
        conditions.push(addressCondition('daddr', value, option.negate));
        break;
      case '-i':
      case '--in-interface':
        conditions.push({ kind: 'interface', field: 'iif', names: [value], negate: option.negate });
        break;
      case '-o':
      case '--out-interface':
        conditions.push({ kind: 'interface', field: 'oif', names: [value], negate: option.negate });
        break;
      case '-p':
      case '--protocol': {
        if (value === 'all' || value === '0') break;
        const number = PROTOCOL_NUMBERS[value] ?? (/^\d+$/.test(value) ? Number(value) : undefined);
        if (number === undefined) conditions.push({ kind: 'unknown', text: `-p ${value}` });
        else {
          conditions.push({ kind: 'l4proto', protocols: [number], negate: option.negate });
          if (!option.negate) protocols = [number];
        }
        break;
      }
      case '-f':
      case '--fragment':
        // Probe packets are never fragments.
        if (!option.negate) conditions.push({ kind: 'l4proto', protocols: [], negate: false });
        break;
      case '-m':
      case '--match':
        module = value;
        break;
      case '-j':
      case '--jump':
        target = { name: value, options: [] };
        break;
      case '-g':
      case '--goto':
        statements.push({ kind: 'goto', chain: value });
        break;
      case '-c':
      case '--set-counters':
        break;
      default: {
        const condition = moduleCondition(module, option, protocols);
        if (condition) conditions.push(condition);
      }
    }
  }
  if (target) statements.push(...targetStatements(target.name, target.options, userChains));
  return { conditions, statements };
}

function parseCounter(text: string | undefined): Counter | null {
  const match = /^\[(\d+):(\d+)\]$/.exec(text ?? '');
  return match ? { packets: Number(match[1]), bytes: Number(match[2]) } : null;
}

/** The chain types iptables' tables register: nat is nat, mangle OUTPUT re-routes, the rest filter. */
function chainType(table: string, hook: Hook): 'filter' | 'route' | 'nat' {
  if (table === 'nat') return 'nat';
  if (table === 'mangle' && hook === 'output') return 'route';
  return 'filter';
}

/**
 * Parses `iptables-save -c` output. `family` says which tool wrote it
 * (iptables: ip, ip6tables: ip6), `backend` which kernel side it read.
 */
export function parseIptablesSave(text: string, family: 'ip' | 'ip6', backend: Backend): Chain[] {
  const chains: Chain[] = [];
  let table = '';
  let byName = new Map<string, Chain>();
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      table = line.slice(1);
      byName = new Map();
      // User chains are declared before any rule: collect them for `-j NAME`.
      for (const declared of lines.slice(index + 1)) {
        if (declared.startsWith('COMMIT')) break;
        const match = /^:(\S+)\s+(\S+)\s*(\S*)/.exec(declared.trim());
        if (!match) continue;
        const [, name = '', policy = '', counter] = match;
        const hook = HOOKS[name];
        const priority = hook ? IPTABLES_PRIORITY[table]?.[hook] : undefined;
        const chain: Chain = { backend, family, table, name, rules: [] };
        if (hook && priority !== undefined && policy !== '-') {
          chain.base = {
            hook,
            priority,
            type: chainType(table, hook),
            policy: policy === 'DROP' ? 'drop' : 'accept',
            policyCounter: parseCounter(counter),
          };
        }
        byName.set(name, chain);
        chains.push(chain);
      }
      continue;
    }
    const counterMatch = /^(\[\d+:\d+\]\s+)?-A\s+(\S+)\s*(.*)$/.exec(line);
    if (!counterMatch) continue;
    const counter = parseCounter(counterMatch[1]?.trim());
    const chain = byName.get(counterMatch[2] ?? '');
    if (!chain) continue;
    const spec = counterMatch[3] ?? '';
    const { conditions, statements } = parseRuleSpec(tokenize(spec), new Set(byName.keys()));
    const rule: Rule = {
      ref: { backend, family, table, chain: chain.name, position: chain.rules.length + 1 },
      conditions,
      statements,
      counter,
      text: `-A ${chain.name} ${spec}`.trim(),
    };
    chain.rules.push(rule);
  }
  return chains;
}

/** True when the dump came from the nf_tables backend (its header says so). */
export function isNftBackendDump(text: string): boolean {
  return /^# Generated by ip6?tables(?:-nft)?-save v[\d.]+ \(nf_tables\)/m.test(text);
}
