/**
 * Rules added by hand vanish at the next reboot. Looks for the live mmproxy
 * tables (loopback and fwmark rules) in boot-time configuration:
 * systemd-networkd .network files, ifupdown's interfaces files and systemd
 * units' ExecStartPre lines: `ip rule add` ones, or `mmproxy setup-routing`
 * (scripts/systemd/mmproxy@.service), which re-creates at every start
 * whatever routing its proxy needs, in whichever table.
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

const SETUP_ROUTING = /^ExecStartPre=[^\n]*\bmmproxy(?:\.js)?\s+setup-routing\b/m;

interface Persisted {
  /** Tables mentioned by boot-time configuration, with where each was found. */
  tables: Map<string, string>;
  /** A unit running `mmproxy setup-routing` before its proxy, or null. */
  setupRoutingUnit: string | null;
}

async function persistedTables(ctx: DoctorContext): Promise<Persisted> {
  const found = new Map<string, string>();
  let setupRoutingUnit: string | null = null;
  const scan = async (path: string, pattern: RegExp) => {
    const text = await ctx.system.readFile(path);
    for (const match of text?.matchAll(pattern) ?? []) if (match[1]) found.set(match[1], path);
  };
  const networkd = (await Promise.all(CONFIG_DIRS.networkd.map((dir) => filesIn(ctx, dir, '.network')))).flat();
  const ifupdown = [
    '/etc/network/interfaces',
    ...(await Promise.all(CONFIG_DIRS.ifupdown.map((dir) => filesIn(ctx, dir, '')))).flat(),
  ];
  const units = (await Promise.all(CONFIG_DIRS.units.map((dir) => filesIn(ctx, dir, '.service')))).flat();
  const ipRule = /ip\s+(?:-6\s+)?rule\s+add\b[^\n]*?\b(?:table|lookup)\s+(\w+)/g;
  await Promise.all([
    ...networkd.map((path) => scan(path, /\[RoutingPolicyRule\][^[]*?^Table=(\w+)/gms)),
    ...ifupdown.map((path) =>
      scan(path, /^\s*(?:post-)?up\s+[^\n]*?ip\s+(?:-6\s+)?rule\s+add\b[^\n]*?\b(?:table|lookup)\s+(\w+)/gm),
    ),
    ...units.map((path) => scan(path, new RegExp(`^ExecStartPre=[^\\n]*?${ipRule.source}`, 'gm'))),
    ...units.map(async (path) => {
      if (SETUP_ROUTING.test((await ctx.system.readFile(path)) ?? '')) setupRoutingUnit ??= path;
    }),
  ]);
  return { tables: found, setupRoutingUnit };
}

function ruleSection(rule: IpRule, family: 4 | 6): string {
  const from =
    rule.src && rule.src !== 'all' ? `From=${rule.src}${rule.srclen !== undefined ? `/${rule.srclen}` : ''}\n` : '';
  const mark = rule.fwmark !== undefined ? `FirewallMark=${Number(rule.fwmark)}\n` : '';
  const iif = rule.iif ? `IncomingInterface=${rule.iif}\n` : '';
  return `[RoutingPolicyRule]\n${from}${iif}${mark}Table=${rule.table}\n${family === 6 ? 'Family=ipv6\n' : ''}`;
}

function routeSection(table: string, family: 4 | 6): string {
  return `[Route]\nType=local\nDestination=${family === 6 ? '::/0' : '0.0.0.0/0'}\nTable=${table}\n`;
}

/** One section per rule, and one local route per (family, table) however many rules share it. */
function networkdSnippet(rules: { rule: IpRule; family: 4 | 6 }[]): string {
  const routes = new Map(
    rules.map(({ rule, family }) => [`${family}/${rule.table}`, routeSection(rule.table as string, family)]),
  );
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
    if (live.length === 0)
      return { status: 'skip', summary: 'no mmproxy routing rules present to persist', evidence: [] };
    const persisted = await persistedTables(ctx);
    const where = (rule: IpRule): string | null => {
      const file = persisted.tables.get(rule.table as string);
      if (file) return `in ${file}`;
      return persisted.setupRoutingUnit ? `re-created by mmproxy setup-routing in ${persisted.setupRoutingUnit}` : null;
    };
    const evidence = live.map(
      ({ rule, family }) => `IPv${family} rule ${formatRule(rule)}: ${where(rule) ?? 'in no boot-time configuration'}`,
    );
    const missing = live.filter(({ rule }) => where(rule) === null);
    if (missing.length === 0)
      return { status: 'ok', summary: 'the routing rules are in boot-time configuration', evidence };
    const snippet = networkdSnippet(missing);
    return {
      status: 'warn',
      summary: `${missing.length} routing rule${missing.length > 1 ? 's' : ''} present now but not in any boot-time configuration: gone after a reboot`,
      evidence,
      remediation: {
        commands: [`cat >> /etc/systemd/network/10-mmproxy-lo.network <<'EOF'\n[Match]\nName=lo\n\n${snippet}EOF`],
        text:
          'With systemd-networkd (then `networkctl reload`); with ifupdown or a unit, put the same `ip rule`/`ip route` commands in post-up lines or ExecStartPre=, ' +
          'or run the proxy from scripts/systemd/mmproxy@.service, whose ExecStartPre=+mmproxy setup-routing adds them at every start.',
      },
    };
  },
};
