/**
 * `ip rule add …` arguments as written in configuration (unit files,
 * ifupdown stanzas, scripts, NetworkManager's routing-rules), read into the
 * same PolicyRule as a live rule, so that a configured rule and a live one
 * are compared selector by selector. The keywords and their aliases are
 * iproute2's (ip/iprule.c). Returns null for anything it cannot read fully:
 * a rule half understood must not count as persisted.
 */
import type { IpRule } from '../../context/ip-types.js';
import { type Family, type PolicyRule, policyRule } from './rule.js';

const ACTION_TYPES = new Set(['blackhole', 'unreachable', 'prohibit']);

function portRow(key: 'sport' | 'dport', value: string, row: Record<string, unknown>): boolean {
  const range = /^(\d+)(?:-(\d+))?$/.exec(value);
  const masked = /^(\d+|0x[0-9a-f]+)\/(0x[0-9a-f]+|\d+)$/i.exec(value);
  if (range) {
    if (range[2] === undefined) row[key] = Number(range[1]);
    else Object.assign(row, { [`${key}_start`]: Number(range[1]), [`${key}_end`]: Number(range[2]) });
    return true;
  }
  if (masked) {
    Object.assign(row, { [key]: Number(masked[1]), [`${key}_mask`]: masked[2] });
    return true;
  }
  return false;
}

/** "ADDRESS[/LENGTH]" as ip -json's fields (`src`, `srclen`); `all` and `default` select nothing. */
export function prefixRow(key: 'src' | 'dst', value: string, row: Record<string, unknown>): void {
  if (value === 'all' || value === 'default') return;
  const [address, length] = value.split('/');
  row[key] = address;
  if (length !== undefined) row[`${key}len`] = Number(length);
}

/**
 * `args` are the words after `rule add` (or NetworkManager's routing-rule
 * value); `family` is -4/-6, or guessed from the addresses when absent.
 * `priority` is null when the words give none (the kernel then picks one).
 */
export function parseRuleArgs(args: string[], family?: Family): { rule: PolicyRule; priority: number | null } | null {
  const row: Record<string, unknown> = { priority: 0 };
  let priority: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    const value = args[i + 1];
    const take = () => {
      i++;
      return value as string;
    };
    if (word === 'not') {
      row['not'] = null;
      continue;
    }
    if (word === 'nop' || word === 'l3mdev') {
      row[word] = null;
      continue;
    }
    if (ACTION_TYPES.has(word)) {
      row['action'] = word;
      continue;
    }
    if (value === undefined) return null;
    switch (word) {
      case 'from':
        prefixRow('src', take(), row);
        break;
      case 'to':
        prefixRow('dst', take(), row);
        break;
      case 'priority':
      case 'preference':
      case 'pref':
      case 'order':
        priority = Number(take());
        if (!Number.isInteger(priority)) return null;
        break;
      case 'table':
      case 'lookup':
        row['table'] = take();
        break;
      case 'fwmark': {
        const [mark, mask] = take().split('/');
        row['fwmark'] = `0x${Number(mark).toString(16)}`;
        if (mask !== undefined) row['fwmask'] = `0x${Number(mask).toString(16)}`;
        break;
      }
      case 'iif':
      case 'dev':
        row['iif'] = take();
        break;
      case 'oif':
        row['oif'] = take();
        break;
      case 'tos':
      case 'dsfield':
        row['tos'] = take();
        break;
      case 'ipproto':
        row['ipproto'] = take();
        break;
      case 'sport':
      case 'dport':
        if (!portRow(word, take(), row)) return null;
        break;
      case 'uidrange': {
        const range = /^(\d+)-(\d+)$/.exec(take());
        if (!range) return null;
        Object.assign(row, { uid_start: Number(range[1]), uid_end: Number(range[2]) });
        break;
      }
      case 'suppress_prefixlength':
      case 'sup_pl':
        row['suppress_prefixlen'] = Number(take());
        break;
      case 'suppress_ifgroup':
      case 'sup_group':
        row['suppress_ifgroup'] = take();
        break;
      case 'goto':
        row['goto'] = Number(take());
        break;
      case 'tun_id':
        row['tun_id'] = Number(take());
        break;
      case 'realms':
        row['flow_to'] = take();
        break;
      case 'protocol':
      case 'proto':
        row['protocol'] = take();
        break;
      case 'type':
        if (!ACTION_TYPES.has(value) && value !== 'unicast') return null;
        if (value !== 'unicast') row['action'] = value;
        i++;
        break;
      default:
        return null;
    }
  }
  const guessed = [row['src'], row['dst']].some((address) => typeof address === 'string' && address.includes(':'))
    ? 6
    : 4;
  if (!('table' in row) && !('action' in row) && !('goto' in row) && !('nop' in row) && !('l3mdev' in row)) {
    row['table'] = 'main';
  }
  const rule = policyRule({ ...(row as unknown as IpRule), priority: priority ?? 0 }, family ?? guessed);
  return rule.unknownKeys.length ? null : { rule, priority };
}
