/**
 * Rules added by hand vanish at the next reboot. Looks for the live mmproxy
 * tables (loopback and fwmark rules) in boot-time configuration:
 * systemd-networkd .network files, ifupdown's interfaces files and systemd
 * units' ExecStartPre lines.
 */
import type { DoctorContext } from '../context/context.js';
import type { IpRule } from '../context/ip-types.js';
import { formatRule, isPlainLookup, isUserTable, ruleMatchesLocalOutput } from '../routing/tables.js';
import type { Check, CheckResult } from '../types.js';

const CONFIG_DIRS = {
  networkd: ['/etc/systemd/network', '/run/systemd/network'],
  ifupdown: ['/etc/network/interfaces.d'],
  // Units an administrator wrote; packaged units in /lib never carry site routing.
  units: ['/etc/systemd/system'],
};

function isMmproxyRule(rule: IpRule): boolean {
  if (!isUserTable(rule.table) || rule.action !== undefined) return false;
  return rule.fwmark !== undefined || (isPlainLookup(rule) && rule.iif === 'lo' && ruleMatchesLocalOutput(rule));
}

async function filesIn(ctx: DoctorContext, dir: string, suffix: string): Promise<string[]> {
  return (await ctx.system.listDir(dir)).filter((name) => name.endsWith(suffix)).map((name) => `${dir}/${name}`);
}

/** Tables mentioned by boot-time configuration, with where each was found. */
async function persistedTables(ctx: DoctorContext): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const scan = async (path: string, pattern: RegExp) => {
    const text = await ctx.system.readFile(path);
    for (const match of text?.matchAll(pattern) ?? []) if (match[1]) found.set(match[1], path);
  };
  const networkd = (await Promise.all(CONFIG_DIRS.networkd.map((dir) => filesIn(ctx, dir, '.network')))).flat();
  const ifupdown = ['/etc/network/interfaces', ...(await Promise.all(CONFIG_DIRS.ifupdown.map((dir) => filesIn(ctx, dir, '')))).flat()];
  const units = (await Promise.all(CONFIG_DIRS.units.map((dir) => filesIn(ctx, dir, '.service')))).flat();
  const ipRule = /ip\s+(?:-6\s+)?rule\s+add\b[^\n]*?\b(?:table|lookup)\s+(\w+)/g;
  await Promise.all([
    ...networkd.map((path) => scan(path, /\[RoutingPolicyRule\][^[]*?^Table=(\w+)/gms)),
    ...ifupdown.map((path) => scan(path, /^\s*(?:post-)?up\s+[^\n]*?ip\s+(?:-6\s+)?rule\s+add\b[^\n]*?\b(?:table|lookup)\s+(\w+)/gm)),
    ...units.map((path) => scan(path, new RegExp(`^ExecStartPre=[^\\n]*?${ipRule.source}`, 'gm'))),
  ]);
  return found;
}

function ruleSection(rule: IpRule, family: 4 | 6): string {
  const from = rule.src && rule.src !== 'all' ? `From=${rule.src}${rule.srclen !== undefined ? `/${rule.srclen}` : ''}\n` : '';
  const mark = rule.fwmark !== undefined ? `FirewallMark=${Number(rule.fwmark)}\n` : '';
  const iif = rule.iif ? `IncomingInterface=${rule.iif}\n` : '';
  return `[RoutingPolicyRule]\n${from}${iif}${mark}Table=${rule.table}\n${family === 6 ? 'Family=ipv6\n' : ''}`;
}

function routeSection(table: string, family: 4 | 6): string {
  return `[Route]\nType=local\nDestination=${family === 6 ? '::/0' : '0.0.0.0/0'}\nTable=${table}\n`;
}

/** One section per rule, and one local route per (family, table) however many rules share it. */
function networkdSnippet(rules: { rule: IpRule; family: 4 | 6 }[]): string {
  const routes = new Map(rules.map(({ rule, family }) => [`${family}/${rule.table}`, routeSection(rule.table as string, family)]));
  return [...rules.map(({ rule, family }) => ruleSection(rule, family)), ...routes.values()].join('\n');
}

export const persistence: Check = {
  id: 'persistence',
  title: 'Routing survives a reboot',
  groups: ['persistence'],
  async run(ctx): Promise<CheckResult> {
    const live = [
      ...(await ctx.ip.rules(4)).filter(isMmproxyRule).map((rule) => ({ rule, family: 4 as const })),
      ...(await ctx.ip.rules(6)).filter(isMmproxyRule).map((rule) => ({ rule, family: 6 as const })),
    ];
    if (live.length === 0) return { status: 'skip', summary: 'no mmproxy routing rules present to persist', evidence: [] };
    const persisted = await persistedTables(ctx);
    const evidence = live.map(({ rule, family }) => {
      const where = persisted.get(rule.table as string);
      return `IPv${family} rule ${formatRule(rule)}: ${where ? `in ${where}` : 'in no boot-time configuration'}`;
    });
    const missing = live.filter(({ rule }) => !persisted.has(rule.table as string));
    if (missing.length === 0) return { status: 'ok', summary: 'the routing rules are in boot-time configuration', evidence };
    const snippet = networkdSnippet(missing);
    return {
      status: 'warn',
      summary: `${missing.length} routing rule${missing.length > 1 ? 's' : ''} present now but not in any boot-time configuration: gone after a reboot`,
      evidence,
      remediation: {
        commands: [`cat >> /etc/systemd/network/10-mmproxy-lo.network <<'EOF'\n[Match]\nName=lo\n\n${snippet}EOF`],
        text: 'With systemd-networkd (then `networkctl reload`); with ifupdown or a unit, put the same `ip rule`/`ip route` commands in post-up lines or ExecStartPre=.',
      },
    };
  },
};
