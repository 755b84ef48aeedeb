/**
 * systemd-networkd's [RoutingPolicyRule] and [Route] sections (systemd.network(5)),
 * both ways: read into PolicyRules, to see whether a live rule is configured,
 * and written from one, with every selector it has, for the snippet the
 * doctor offers. A rule with something networkd cannot express gets no
 * snippet rather than a wrong one: a snippet that lost, say, an inversion
 * would route other traffic when pasted.
 */
import type { IpRule } from '../context/ip-types.js';
import { type Family, type PolicyRule, policyRule } from '../routing/policy/rule.js';
import { prefixRow } from '../routing/policy/rule-args.js';
import { selectorArgs } from '../routing/policy/rule-text.js';

interface Section {
  name: string;
  keys: [string, string][];
}

/** INI sections in order; a key may repeat (the last one wins, as for networkd's single-valued keys). */
export function parseSections(text: string): Section[] {
  const sections: Section[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      sections.push({ name: header[1] as string, keys: [] });
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) sections[sections.length - 1]?.keys.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return sections;
}

function last(section: Section, key: string): string | undefined {
  return section.keys.filter(([name]) => name === key).pop()?.[1];
}

const TRUE = new Set(['1', 'yes', 'true', 'on']);

/** One [RoutingPolicyRule] section as rules (two with Family=both); null when a value cannot be read. */
function sectionRules(section: Section): { rule: PolicyRule; priority: number | null }[] | null {
  const row: Record<string, unknown> = { priority: 0 };
  const prefix = (key: 'src' | 'dst', value: string) => prefixRow(key, value, row);
  const port = (key: 'sport' | 'dport', value: string) => {
    const [start, end] = value.split('-').map(Number);
    if (end === undefined) row[key] = start;
    else Object.assign(row, { [`${key}_start`]: start, [`${key}_end`]: end });
  };
  let family: string | undefined;
  let priority: number | null = null;
  for (const [key, value] of section.keys) {
    switch (key) {
      case 'From':
        prefix('src', value);
        break;
      case 'To':
        prefix('dst', value);
        break;
      case 'IncomingInterface':
        row['iif'] = value;
        break;
      case 'OutgoingInterface':
        row['oif'] = value;
        break;
      case 'FirewallMark': {
        const [mark, mask] = value.split('/');
        row['fwmark'] = `0x${Number(mark).toString(16)}`;
        if (mask !== undefined) row['fwmask'] = `0x${Number(mask).toString(16)}`;
        break;
      }
      case 'Table':
        row['table'] = value;
        break;
      case 'Priority':
        priority = Number(value);
        break;
      case 'IPProtocol':
        row['ipproto'] = value;
        break;
      case 'SourcePort':
        port('sport', value);
        break;
      case 'DestinationPort':
        port('dport', value);
        break;
      case 'InvertRule':
        if (TRUE.has(value.toLowerCase())) row['not'] = null;
        break;
      case 'TypeOfService':
        row['tos'] = value;
        break;
      case 'User': {
        const range = /^(\d+)(?:-(\d+))?$/.exec(value);
        // A user name would need /etc/passwd: not read, so not counted.
        if (!range) return null;
        Object.assign(row, { uid_start: Number(range[1]), uid_end: Number(range[2] ?? range[1]) });
        break;
      }
      case 'SuppressPrefixLength':
        row['suppress_prefixlen'] = Number(value);
        break;
      case 'SuppressInterfaceGroup':
        row['suppress_ifgroup'] = value;
        break;
      case 'Type':
        if (value !== 'table') row['action'] = value;
        break;
      case 'Family':
        family = value;
        break;
      default:
        return null;
    }
  }
  if (!('table' in row) && !('action' in row)) row['table'] = 'main';
  const addresses = [row['src'], row['dst']].filter((address): address is string => typeof address === 'string');
  const families: Family[] =
    family === 'both' ? [4, 6] : family === 'ipv6' || addresses.some((a) => a.includes(':')) ? [6] : [4];
  const rules = families.map((f) => policyRule({ ...(row as unknown as IpRule), priority: priority ?? 0 }, f));
  return rules.some((rule) => rule.unknownKeys.length) ? null : rules.map((rule) => ({ rule, priority }));
}

export interface NetworkdConfig {
  rules: { rule: PolicyRule; priority: number | null }[];
  /** Tables given a `Type=local` default route, by family: "4/123". */
  localDefaults: Set<string>;
}

export function parseNetworkFile(text: string): NetworkdConfig {
  const config: NetworkdConfig = { rules: [], localDefaults: new Set() };
  for (const section of parseSections(text)) {
    if (section.name === 'RoutingPolicyRule') config.rules.push(...(sectionRules(section) ?? []));
    if (section.name === 'Route' && last(section, 'Type') === 'local') {
      const destination = last(section, 'Destination');
      const table = last(section, 'Table') ?? 'main';
      if (destination === '0.0.0.0/0') config.localDefaults.add(`4/${table}`);
      if (destination === '::/0') config.localDefaults.add(`6/${table}`);
    }
  }
  return config;
}

/** What networkd has no key for; the rule then gets ip commands instead of a snippet. */
function inexpressible(rule: PolicyRule): string | null {
  if (rule.dscp) return 'a dscp selector';
  if (rule.tunId !== null) return 'a tun_id selector';
  if (rule.realms !== null) return 'realms';
  if ((rule.sport && 'mask' in rule.sport) || (rule.dport && 'mask' in rule.dport)) return 'a port mask';
  if (rule.action.kind === 'goto' || rule.action.kind === 'nop' || rule.action.kind === 'l3mdev') {
    return `a ${rule.action.kind} action`;
  }
  return null;
}

const NETWORKD_KEYS: Partial<Record<string, string>> = {
  from: 'From',
  to: 'To',
  tos: 'TypeOfService',
  fwmark: 'FirewallMark',
  iif: 'IncomingInterface',
  oif: 'OutgoingInterface',
  uidrange: 'User',
  ipproto: 'IPProtocol',
  sport: 'SourcePort',
  dport: 'DestinationPort',
};

/** The rule as one [RoutingPolicyRule] section, every selector kept; null when networkd cannot say it all. */
export function routingPolicyRuleSection(rule: PolicyRule): string | null {
  if (inexpressible(rule) !== null) return null;
  const lines = ['[RoutingPolicyRule]', `Family=${rule.family === 6 ? 'ipv6' : 'ipv4'}`];
  if (rule.not) lines.push('InvertRule=yes');
  for (const { name, args } of selectorArgs(rule)) {
    const key = NETWORKD_KEYS[name];
    if (name === 'from' && args[0] === 'all') continue;
    if (!key) return null;
    const value = name === 'fwmark' ? args[0]?.split('/').map(Number).join('/') : args[0];
    lines.push(`${key}=${value}`);
  }
  const { action } = rule;
  if (action.kind === 'lookup') {
    lines.push(`Table=${action.table}`);
    if (action.suppressPrefixLength !== null) lines.push(`SuppressPrefixLength=${action.suppressPrefixLength}`);
    if (action.suppressIfgroup !== null) lines.push(`SuppressInterfaceGroup=${action.suppressIfgroup}`);
  } else {
    lines.push(`Type=${action.kind}`);
  }
  lines.push(`Priority=${rule.priority}`);
  return lines.join('\n') + '\n';
}

export function localRouteSection(table: string, family: Family): string {
  return `[Route]\nType=local\nDestination=${family === 6 ? '::/0' : '0.0.0.0/0'}\nTable=${table}\n`;
}
