/**
 * Reads `nft -j -a list ruleset` (libnftables' JSON schema) into the rule
 * model: base chains with hook, priority, type and policy, regular chains,
 * rules with their handles and counters, named sets and verdict maps.
 * iptables-nft's tables appear here too, with the matches it could not
 * translate as opaque `xt` expressions: ./read-firewall.ts reads those
 * tables through iptables-save instead and keeps only their handles.
 */
import { parseCidr, type Prefix } from '../../base/net/cidr.js';
import { parseIp } from '../../base/net/ip.js';
import { PROTOCOL_NUMBERS } from './iptables-save.js';
import type {
  AddressItem,
  Chain,
  ChainType,
  Condition,
  Counter,
  CtState,
  Hook,
  MarkExpr,
  NfFamily,
  Rule,
  Statement,
  TcpFlag,
  VmapKey,
  VmapValue,
} from './model.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (value: Json): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isArray = (value: Json): value is Json[] => Array.isArray(value);

/** Named sets and maps of one table, by name: their elements as JSON. */
type NamedSets = Map<string, Json[]>;

/** Standard priority names (nft accepts them in place of numbers). */
const PRIORITY_NAMES: Record<string, number> = {
  raw: -300,
  mangle: -150,
  dstnat: -100,
  filter: 0,
  security: 50,
  srcnat: 100,
};

const HOOKS = new Set<Hook>(['prerouting', 'input', 'forward', 'output', 'postrouting']);

/** What a match's left-hand side reads from the packet. */
type Selector =
  | { kind: 'address'; field: 'saddr' | 'daddr'; family: 4 | 6 }
  | { kind: 'port'; field: 'sport' | 'dport'; protocols: number[] }
  | { kind: 'l4proto' }
  | { kind: 'nfproto' }
  | { kind: 'interface'; field: 'iif' | 'oif' }
  | { kind: 'mark'; of: 'meta' | 'ct'; mask: number }
  | { kind: 'ct-state' }
  | { kind: 'ct-direction' }
  | { kind: 'tcp-flags'; mask: TcpFlag[] | null };

const TCP = PROTOCOL_NUMBERS['tcp']!;
const UDP = PROTOCOL_NUMBERS['udp']!;
const TRANSPORT_HEADER = [TCP, UDP, PROTOCOL_NUMBERS['udplite']!, PROTOCOL_NUMBERS['sctp']!];

function selectorOf(left: Json): Selector | null {
  if (!isObject(left)) return null;
  const payload = left['payload'];
  if (isObject(payload)) {
    const protocol = payload['protocol'];
    const field = payload['field'];
    if ((protocol === 'ip' || protocol === 'ip6') && (field === 'saddr' || field === 'daddr'))
      return { kind: 'address', field, family: protocol === 'ip' ? 4 : 6 };
    if ((protocol === 'ip' && field === 'protocol') || (protocol === 'ip6' && field === 'nexthdr'))
      return { kind: 'l4proto' };
    if (field === 'sport' || field === 'dport') {
      if (protocol === 'tcp') return { kind: 'port', field, protocols: [TCP] };
      if (protocol === 'udp') return { kind: 'port', field, protocols: [UDP] };
      if (protocol === 'th') return { kind: 'port', field, protocols: TRANSPORT_HEADER };
    }
    if (protocol === 'tcp' && field === 'flags') return { kind: 'tcp-flags', mask: null };
    return null;
  }
  const meta = left['meta'];
  if (isObject(meta)) {
    switch (meta['key']) {
      case 'l4proto':
        return { kind: 'l4proto' };
      case 'nfproto':
      case 'protocol':
        return { kind: 'nfproto' };
      case 'iifname':
      case 'iif':
        return { kind: 'interface', field: 'iif' };
      case 'oifname':
      case 'oif':
        return { kind: 'interface', field: 'oif' };
      case 'mark':
        return { kind: 'mark', of: 'meta', mask: 0xffffffff };
      default:
        return null;
    }
  }
  const ct = left['ct'];
  if (isObject(ct) && ct['dir'] === undefined) {
    if (ct['key'] === 'state') return { kind: 'ct-state' };
    if (ct['key'] === 'mark') return { kind: 'mark', of: 'ct', mask: 0xffffffff };
    if (ct['key'] === 'direction') return { kind: 'ct-direction' };
    return null;
  }
  const and = left['&'];
  if (isArray(and) && and.length === 2) {
    const inner = selectorOf(and[0]);
    if (inner?.kind === 'mark' && typeof and[1] === 'number') return { ...inner, mask: and[1] >>> 0 };
    if (inner?.kind === 'tcp-flags') return { kind: 'tcp-flags', mask: flagList(and[1]) };
  }
  return null;
}

function flagList(value: Json): TcpFlag[] {
  const list = isArray(value) ? value : isObject(value) && isArray(value['set']) ? value['set'] : [value];
  return list.filter((flag): flag is TcpFlag => typeof flag === 'string');
}

/** The elements a right-hand side stands for: a value, a set, a named set. */
function elements(right: Json, sets: NamedSets): Json[] | null {
  if (typeof right === 'string' && right.startsWith('@')) return sets.get(right.slice(1)) ?? null;
  if (isObject(right) && isArray(right['set'])) return right['set'];
  if (isArray(right)) return right;
  return [right];
}

/** A set element may be wrapped with its timeout or comment: `{"elem": {"val": ...}}`. */
function unwrap(element: Json): Json {
  if (isObject(element) && isObject(element['elem'])) return element['elem']['val'];
  return element;
}

function addressItem(element: Json): AddressItem | null {
  const value = unwrap(element);
  if (typeof value === 'string') {
    try {
      return { prefix: parseCidr(value) };
    } catch {
      return null;
    }
  }
  if (isObject(value) && isObject(value['prefix'])) {
    const { addr, len } = value['prefix'];
    const address = typeof addr === 'string' ? parseIp(addr) : null;
    return address && typeof len === 'number' ? { prefix: { address, length: len } satisfies Prefix } : null;
  }
  if (isObject(value) && isArray(value['range'])) {
    const [from, to] = value['range'].map((entry) => (typeof entry === 'string' ? parseIp(entry) : null));
    return from && to ? { range: [from, to] } : null;
  }
  return null;
}

function portRange(element: Json): [number, number] | null {
  const value = unwrap(element);
  if (typeof value === 'number') return [value, value];
  if (isObject(value) && isArray(value['range'])) {
    const [from, to] = value['range'];
    return typeof from === 'number' && typeof to === 'number' ? [from, to] : null;
  }
  return null;
}

function protocolNumber(element: Json): number | null {
  const value = unwrap(element);
  if (typeof value === 'number') return value;
  return typeof value === 'string' ? (PROTOCOL_NUMBERS[value] ?? null) : null;
}

const CT_STATES = new Set<CtState>(['new', 'established', 'related', 'invalid', 'untracked']);

function allOrNull<T>(values: (T | null)[]): T[] | null {
  return values.every((value) => value !== null) ? values : null;
}

/** One `match` expression as conditions ([] when it always holds), or null when it is not modelled. */
function matchConditions(match: JsonObject, sets: NamedSets): Condition[] | null {
  const selector = selectorOf(match['left']);
  const op = match['op'];
  if (!selector || (op !== '==' && op !== '!=' && op !== 'in')) return null;
  const negate = op === '!=';
  const right = match['right'];
  const items = elements(right, sets);
  if (!items) return null;
  switch (selector.kind) {
    case 'address': {
      const list = allOrNull(items.map(addressItem));
      if (!list) return null;
      return [
        { kind: 'family', family: selector.family },
        { kind: 'address', field: selector.field, items: list, negate },
      ];
    }
    case 'port': {
      const ranges = allOrNull(items.map(portRange));
      if (!ranges) return null;
      return [{ kind: 'port', field: selector.field, protocols: selector.protocols, ranges, negate }];
    }
    case 'l4proto': {
      const protocols = allOrNull(items.map(protocolNumber));
      return protocols ? [{ kind: 'l4proto', protocols, negate }] : null;
    }
    case 'nfproto': {
      const families = items.map(unwrap);
      if (families.length !== 1) return null;
      const family = families[0] === 'ipv4' || families[0] === 'ip' ? 4 : families[0] === 'ipv6' ? 6 : null;
      if (family === null) return null;
      return [{ kind: 'family', family: negate ? (family === 4 ? 6 : 4) : family }];
    }
    case 'interface': {
      const names = items.map(unwrap);
      if (!names.every((name): name is string => typeof name === 'string')) return null;
      return [{ kind: 'interface', field: selector.field, names, negate }];
    }
    case 'mark': {
      const values = items.map(unwrap);
      if (values.length !== 1 || typeof values[0] !== 'number') return null;
      return [{ kind: 'mark', of: selector.of, value: values[0] >>> 0, mask: selector.mask, negate }];
    }
    case 'ct-state': {
      const states = items.map(unwrap);
      if (!states.every((state): state is CtState => typeof state === 'string' && CT_STATES.has(state as CtState)))
        return null;
      return [{ kind: 'ct-state', states, negate }];
    }
    case 'ct-direction': {
      const [direction] = items.map(unwrap);
      if (direction !== 'original' && direction !== 'reply') return null;
      return [{ kind: 'ct-direction', direction, negate }];
    }
    case 'tcp-flags': {
      const set = flagList(right);
      if (selector.mask === null) {
        // `tcp flags syn` (op in): any of them; `tcp flags == syn`: exactly them.
        const all: TcpFlag[] = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ecn', 'cwr'];
        return [{ kind: 'tcp-flags', mask: op === 'in' ? set : all, set, any: op === 'in', negate }];
      }
      return [{ kind: 'tcp-flags', mask: selector.mask, set, any: op === 'in', negate }];
    }
  }
}

function markExpr(value: Json): MarkExpr | null {
  if (typeof value === 'number') return { const: value >>> 0 };
  if (!isObject(value)) return null;
  if (isObject(value['meta']) && value['meta']['key'] === 'mark') return { of: 'meta' };
  if (isObject(value['ct']) && value['ct']['key'] === 'mark' && value['ct']['dir'] === undefined) return { of: 'ct' };
  for (const op of ['&', '|', '^'] as const) {
    const operands = value[op];
    if (isArray(operands) && operands.length === 2) {
      const [left, right] = operands.map(markExpr);
      if (left && right) return { op, left, right };
    }
  }
  return null;
}

const VMAP_KEYS: [(selector: Selector) => boolean, VmapKey][] = [
  [(s) => s.kind === 'ct-state', 'ct-state'],
  [(s) => s.kind === 'port' && s.field === 'dport', 'dport'],
  [(s) => s.kind === 'port' && s.field === 'sport', 'sport'],
  [(s) => s.kind === 'l4proto', 'l4proto'],
  [(s) => s.kind === 'interface' && s.field === 'iif', 'iif'],
  [(s) => s.kind === 'interface' && s.field === 'oif', 'oif'],
  [(s) => s.kind === 'address' && s.field === 'saddr', 'saddr'],
  [(s) => s.kind === 'address' && s.field === 'daddr', 'daddr'],
];

function vmapValue(key: VmapKey, element: Json): VmapValue | null {
  const value = unwrap(element);
  if (key === 'saddr' || key === 'daddr') return addressItem(value);
  if (key === 'dport' || key === 'sport') return portRange(value);
  if (key === 'l4proto') return protocolNumber(value);
  return typeof value === 'string' || typeof value === 'number' ? value : null;
}

function vmapStatement(vmap: JsonObject, sets: NamedSets): Statement | null {
  const selector = selectorOf(vmap['key']);
  const key = selector ? VMAP_KEYS.find(([test]) => test(selector))?.[1] : undefined;
  const entries = elements(vmap['data'], sets);
  if (!key || !entries) return null;
  const parsed: { values: VmapValue[]; verdict: Statement }[] = [];
  for (const entry of entries) {
    if (!isArray(entry) || entry.length !== 2) return null;
    const value = vmapValue(key, entry[0]);
    const verdict = verdictStatement(entry[1]);
    if (value === null || !verdict) return null;
    parsed.push({ values: [value], verdict });
  }
  const protocols = selector?.kind === 'port' ? { protocols: selector.protocols } : {};
  return { kind: 'vmap', key, ...protocols, entries: parsed };
}

function verdictStatement(expr: Json): Statement | null {
  if (!isObject(expr)) return null;
  for (const verdict of ['accept', 'drop', 'return', 'continue'] as const)
    if (verdict in expr) return { kind: 'verdict', verdict };
  if ('reject' in expr) return { kind: 'verdict', verdict: 'reject' };
  if ('queue' in expr) return { kind: 'verdict', verdict: 'queue' };
  for (const kind of ['jump', 'goto'] as const) {
    const target = expr[kind];
    if (isObject(target) && typeof target['target'] === 'string') return { kind, chain: target['target'] };
  }
  return null;
}

/** Statements that change nothing the path depends on. */
const NO_OP_STATEMENTS = new Set(['log', 'limit', 'set', 'meter', 'quota', 'ct count', 'dup', 'counter', 'flow']);

function compactJson(value: Json): string {
  return JSON.stringify(value).slice(0, 120);
}

/** One rule's expressions as conditions, statements and its counter. */
export function parseRuleExpressions(
  expressions: Json[],
  sets: NamedSets,
): { conditions: Condition[]; statements: Statement[]; counter: Counter | null } {
  const conditions: Condition[] = [];
  const statements: Statement[] = [];
  let counter: Counter | null = null;
  for (const expr of expressions) {
    if (!isObject(expr)) continue;
    const [name] = Object.keys(expr);
    const body = name === undefined ? undefined : expr[name];
    if (name === 'match' && isObject(body)) {
      conditions.push(...(matchConditions(body, sets) ?? [{ kind: 'unknown', text: compactJson(body) }]));
    } else if (name === 'counter') {
      if (isObject(body) && typeof body['packets'] === 'number' && typeof body['bytes'] === 'number')
        counter = { packets: body['packets'], bytes: body['bytes'] };
    } else if (name === 'mangle' && isObject(body)) {
      const key = markExpr(body['key']);
      const value = markExpr(body['value']);
      if (key && 'of' in key && value) statements.push({ kind: 'set-mark', target: key.of, value });
      else if (key) statements.push({ kind: 'unknown', text: compactJson(expr) });
    } else if (name === 'notrack') {
      statements.push({ kind: 'notrack' });
    } else if (name === 'snat' || name === 'dnat' || name === 'masquerade' || name === 'redirect') {
      statements.push({ kind: 'nat', text: `${name} ${compactJson(body)}` });
    } else if (name === 'vmap' && isObject(body)) {
      statements.push(vmapStatement(body, sets) ?? { kind: 'unknown', text: compactJson(expr) });
    } else if (name === 'xt' && isObject(body)) {
      const text = `iptables extension ${String(body['name'])}`;
      if (body['type'] === 'target') statements.push({ kind: 'unknown', text });
      else conditions.push({ kind: 'unknown', text });
    } else if (name !== undefined && NO_OP_STATEMENTS.has(name)) {
      continue;
    } else {
      const verdict = verdictStatement(expr);
      if (verdict) statements.push(verdict);
      else statements.push({ kind: 'unknown', text: compactJson(expr) });
    }
  }
  return { conditions, statements, counter };
}

function priorityOf(value: Json): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return PRIORITY_NAMES[value] ?? null;
  return null;
}

/** A parsed ruleset: chains in listing order, each rule with its handle. */
export function parseNftRuleset(json: string): Chain[] {
  const parsed: Json = JSON.parse(json);
  const items = isObject(parsed) && isArray(parsed['nftables']) ? parsed['nftables'] : [];
  const sets = new Map<string, NamedSets>();
  const chains = new Map<string, Chain>();
  const tableKey = (object: JsonObject) => `${String(object['family'])} ${String(object['table'])}`;
  for (const item of items) {
    if (!isObject(item)) continue;
    const set = item['set'] ?? item['map'];
    if (isObject(set) && typeof set['name'] === 'string') {
      const named = sets.get(tableKey(set)) ?? new Map<string, Json[]>();
      named.set(set['name'], isArray(set['elem']) ? set['elem'] : []);
      sets.set(tableKey(set), named);
    }
    const chain = item['chain'];
    if (isObject(chain) && typeof chain['name'] === 'string') {
      const entry: Chain = {
        backend: 'nftables',
        family: String(chain['family']) as NfFamily,
        table: String(chain['table']),
        name: chain['name'],
        rules: [],
      };
      const hook = chain['hook'];
      const priority = priorityOf(chain['prio']);
      if (typeof hook === 'string' && HOOKS.has(hook as Hook) && priority !== null) {
        entry.base = {
          hook: hook as Hook,
          priority,
          type: (['filter', 'route', 'nat'].includes(String(chain['type'])) ? chain['type'] : 'filter') as ChainType,
          policy: chain['policy'] === 'drop' ? 'drop' : 'accept',
          policyCounter: null,
        };
      }
      chains.set(`${tableKey(chain)} ${chain['name']}`, entry);
    }
  }
  for (const item of items) {
    const rule = isObject(item) ? item['rule'] : undefined;
    if (!isObject(rule)) continue;
    const chain = chains.get(`${tableKey(rule)} ${String(rule['chain'])}`);
    if (!chain) continue;
    const { conditions, statements, counter } = parseRuleExpressions(
      isArray(rule['expr']) ? rule['expr'] : [],
      sets.get(tableKey(rule)) ?? new Map<string, Json[]>(),
    );
    const entry: Rule = {
      ref: {
        backend: 'nftables',
        family: chain.family,
        table: chain.table,
        chain: chain.name,
        position: chain.rules.length + 1,
        ...(typeof rule['handle'] === 'number' ? { handle: rule['handle'] } : {}),
      },
      conditions,
      statements,
      counter,
      text: '',
    };
    chain.rules.push(entry);
  }
  return [...chains.values()];
}
