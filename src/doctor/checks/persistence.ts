/**
 * Rules added by hand vanish at the next reboot. The live rules of mmproxy's
 * routing (the loopback recipe's shape and -mark's fwmark rule, see
 * ../routing/policy/loopback-rules.ts; WireGuard's and others' rules have
 * other shapes and are left out) and their `local default dev lo` routes are
 * looked for in boot-time configuration (../persistence/boot-config.ts),
 * compared selector by selector. What is missing gets a systemd-networkd
 * snippet with every selector, or the exact ip commands when networkd cannot
 * express one.
 */
import type { DoctorContext } from '../context/context.js';
import type { IpRoute } from '../context/ip-types.js';
import { type BootConfig, readBootConfig } from '../persistence/boot-config.js';
import { localRouteSection, routingPolicyRuleSection } from '../persistence/networkd.js';
import { changeCommand } from '../routing/policy/changes.js';
import { isLoopbackRule, isMarkRule, loopbackTableOf } from '../routing/policy/loopback-rules.js';
import { type Family, type PolicyRule, policyRules } from '../routing/policy/rule.js';
import { describeRule, ruleCommand, ruleKey } from '../routing/policy/rule-text.js';
import { isLocalDefaultViaLo, routeTable } from '../routing/tables.js';
import type { Check, CheckResult } from '../types.js';

interface Live {
  rules: PolicyRule[];
  /** "4/123": tables of those rules holding the local default route. */
  localDefaults: { family: Family; table: string }[];
}

async function liveRouting(ctx: DoctorContext): Promise<Live> {
  const live: Live = { rules: [], localDefaults: [] };
  for (const family of [4, 6] as const) {
    const [rows, routes] = await Promise.all([ctx.ip.rules(family), ctx.ip.routes(family)]);
    const rules = policyRules(rows, family);
    const ours = rules.filter((rule) => isLoopbackRule(rule, rules, routes) || isMarkRule(rule, routes));
    live.rules.push(...ours);
    const tables = new Set(ours.map((rule) => loopbackTableOf(rule) as string));
    for (const table of tables) {
      if (routes.some((route: IpRoute) => routeTable(route) === table && isLocalDefaultViaLo(route))) {
        live.localDefaults.push({ family, table });
      }
    }
  }
  return live;
}

function whereRule(rule: PolicyRule, boot: BootConfig): string | null {
  const key = ruleKey(rule);
  const found = boot.rules.find(
    (configured) =>
      ruleKey(configured.rule) === key && (configured.priority === null || configured.priority === rule.priority),
  );
  if (found) return `in ${found.where}`;
  return boot.setupRoutingUnits.length
    ? `re-created by mmproxy setup-routing in ${boot.setupRoutingUnits.join(', ')}`
    : null;
}

function whereRoute(family: Family, table: string, boot: BootConfig): string | null {
  const found = boot.localDefaults.get(`${family}/${table}`);
  if (found) return `in ${found}`;
  return boot.setupRoutingUnits.length
    ? `re-created by mmproxy setup-routing in ${boot.setupRoutingUnits.join(', ')}`
    : null;
}

function remedy(rules: PolicyRule[], routes: { family: Family; table: string }[]): CheckResult['remediation'] {
  const ipLines = [
    ...routes.map(({ family, table }) => changeCommand({ kind: 'add-route', family, table }).join(' ')),
    ...rules.map((rule) => ruleCommand('add', rule).join(' ')),
  ];
  const sections = rules.map(routingPolicyRuleSection);
  const alternative = `With ifupdown or a unit, put these in post-up lines or ExecStartPre=: ${ipLines.join('; ')}.`;
  const setupRouting =
    'Or run the proxy from scripts/systemd/mmproxy@.service (or mmproxy.service for a config file), whose ExecStartPre=+mmproxy setup-routing adds them at every start.';
  if (sections.some((section) => section === null)) {
    return {
      commands: ipLines,
      text: `systemd-networkd cannot express every selector of these rules: put these commands in post-up lines or ExecStartPre=. ${setupRouting}`,
    };
  }
  const body = [...sections, ...routes.map(({ family, table }) => localRouteSection(table, family))].join('\n');
  return {
    commands: [`cat >> /etc/systemd/network/10-mmproxy-lo.network <<'EOF'\n[Match]\nName=lo\n\n${body}EOF`],
    text: `With systemd-networkd (then \`networkctl reload\`). ${alternative} ${setupRouting}`,
  };
}

export const persistence: Check = {
  id: 'persistence',
  title: 'Routing survives a reboot',
  groups: ['persistence'],
  // The routing in place, whoever it serves.
  reads: () => null,
  async run(ctx): Promise<CheckResult> {
    const live = await liveRouting(ctx);
    if (live.rules.length === 0) {
      return { status: 'skip', summary: 'no mmproxy routing rules present to persist', evidence: [] };
    }
    const boot = await readBootConfig(ctx);
    const rules = live.rules.map((rule) => ({ rule, where: whereRule(rule, boot) }));
    const routes = live.localDefaults.map((route) => ({
      ...route,
      where: whereRoute(route.family, route.table, boot),
    }));
    const evidence = [
      ...rules.map(
        ({ rule, where }) =>
          `IPv${rule.family} rule ${describeRule(rule)}: ${where ?? 'in no boot-time configuration'}`,
      ),
      ...routes.map(
        ({ family, table, where }) =>
          `IPv${family} local route of table ${table}: ${where ?? 'in no boot-time configuration'}`,
      ),
    ];
    const missingRules = rules.filter(({ where }) => where === null).map(({ rule }) => rule);
    const missingRoutes = routes.filter(({ where }) => where === null);
    if (missingRules.length + missingRoutes.length === 0) {
      return { status: 'ok', summary: 'the routing rules are in boot-time configuration', evidence };
    }
    const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    const parts = [
      ...(missingRules.length ? [count(missingRules.length, 'routing rule')] : []),
      ...(missingRoutes.length ? [count(missingRoutes.length, 'local route')] : []),
    ];
    return {
      status: 'warn',
      summary: `${parts.join(' and ')} present now but not in any boot-time configuration: gone after a reboot`,
      evidence,
      remediation: remedy(missingRules, missingRoutes),
    };
  },
};
