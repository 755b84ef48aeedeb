/**
 * Loopback policy routing for one target: finds the rule that should catch
 * the app's replies (`from TARGET iif lo`), checks its table and priority,
 * asks the kernel for its verdict, and names the part that is missing with
 * the exact commands that add it.
 */
import { formatEndpoint } from '../../base/net/endpoint.js';
import type { DoctorContext } from '../context/context.js';
import type { IpRoute, IpRule } from '../context/ip-types.js';
import type { Endpoint } from '../../base/net/endpoint.js';
import type { CheckResult } from '../types.js';
import { addressBits } from '../../base/net/ip.js';
import { deliveredLocally, describeReplyRoute, replyRouteQuery, targetIsLocal } from './reply-route.js';
import {
  formatRoute,
  formatRule,
  freePriorityBefore,
  isPlainLookup,
  isUserTable,
  mainPriority,
  ruleCoversSource,
  ruleMatchesLocalOutput,
  tableHasLocalDefault,
  tableForNewRouting,
  tableRoutes,
  tablesInUse,
} from './tables.js';

interface Fix {
  commands: string[][];
  text: string;
}

function ipPrefix(family: 4 | 6): string[] {
  return family === 6 ? ['ip', '-6'] : ['ip'];
}

function localDefault(family: 4 | 6): string {
  return family === 6 ? '::/0' : '0.0.0.0/0';
}

function addRoute(family: 4 | 6, table: string): string[] {
  return [...ipPrefix(family), 'route', 'add', 'local', localDefault(family), 'dev', 'lo', 'table', table];
}

function addRule(family: 4 | 6, source: string, table: string, priority?: number): string[] {
  const command = [...ipPrefix(family), 'rule', 'add', 'from', source, 'iif', 'lo', 'table', table];
  return priority === undefined ? command : [...command, 'priority', String(priority)];
}

function loopbackRules(rules: IpRule[]): IpRule[] {
  return rules.filter((rule) => isPlainLookup(rule) && isUserTable(rule.table) && ruleMatchesLocalOutput(rule));
}

interface Finding {
  summary: string;
  evidence: string[];
  fix: Fix;
}

/** Decides which part is missing; called only when the kernel's answer is wrong. */
function findMissingPart(
  family: 4 | 6,
  target: string,
  rules: IpRule[],
  routes: IpRoute[],
  allRulesAndRoutes: { rules: IpRule[]; routes: IpRoute[] },
  requestedTable: string | undefined,
): Finding {
  const hostLength = addressBits(family);
  const main = mainPriority(rules);
  const candidates = loopbackRules(rules);
  const covering = candidates.filter((rule) => ruleCoversSource(rule, target, hostLength));
  const source = `${target}/${hostLength}`;
  const withLocal = (rule: IpRule) => tableHasLocalDefault(routes, rule.table as string);

  const beforeMainEmpty = covering.find((rule) => rule.priority < main && !withLocal(rule));
  if (beforeMainEmpty) {
    const table = beforeMainEmpty.table as string;
    const present = tableRoutes(routes, table).map(formatRoute);
    return {
      summary: `rule "${formatRule(beforeMainEmpty)}" catches replies from ${target}, but table ${table} has no \`local ${localDefault(family)} dev lo\` route`,
      evidence: [present.length ? `table ${table} holds: ${present.join('; ')}` : `table ${table} is empty`],
      fix: { commands: [addRoute(family, table)], text: `Add the local route to table ${table}.` },
    };
  }
  const afterMain = covering.find((rule) => rule.priority > main && withLocal(rule));
  if (afterMain) {
    const priority = freePriorityBefore(rules, main);
    return {
      summary: `rule "${formatRule(afterMain)}" comes after main (priority ${main}), so main's routes win`,
      evidence: [`a rule must have a priority below ${main} to be consulted before the main table`],
      fix: {
        commands: [
          [...ipPrefix(family), 'rule', 'del', 'priority', String(afterMain.priority)],
          addRule(
            family,
            afterMain.srclen !== undefined ? `${afterMain.src}/${afterMain.srclen}` : source,
            afterMain.table as string,
            priority,
          ),
        ],
        text: `Move the rule before main.`,
      },
    };
  }
  const wrongSource = candidates.find(
    (rule) => !ruleCoversSource(rule, target, hostLength) && withLocal(rule) && rule.priority < main,
  );
  if (wrongSource) {
    const table = wrongSource.table as string;
    return {
      summary: `rule "${formatRule(wrongSource)}" does not cover the target ${target}: replies from ${target} miss it`,
      evidence: [`table ${table} has the local route, only the rule's source is too narrow`],
      fix: { commands: [addRule(family, source, table)], text: `Add a rule for ${target} to the same table.` },
    };
  }
  if (covering.some((rule) => rule.priority < main && withLocal(rule))) {
    return {
      summary: `a loopback rule and table exist for ${target}, yet the kernel routes replies elsewhere: an earlier rule takes the lookup`,
      evidence: rules.filter((rule) => rule.priority < main).map(formatRule),
      fix: { commands: [], text: 'Inspect the rules listed above, the earliest matching one wins.' },
    };
  }
  const used = tablesInUse(allRulesAndRoutes.rules, allRulesAndRoutes.routes);
  const { table, needsRoute } = tableForNewRouting(requestedTable, routes, used);
  return {
    summary: `no rule sends replies from ${target} (iif lo) to a table with a local route`,
    evidence: [
      requestedTable === undefined
        ? `table ${table} is free (no rule or route uses it)`
        : `table ${table}, as asked for`,
    ],
    fix: {
      commands: needsRoute
        ? [addRule(family, source, table), addRoute(family, table)]
        : [addRule(family, source, table)],
      text: 'Add the loopback policy routing (rule and table).',
    },
  };
}

export async function diagnoseLoopback(ctx: DoctorContext, target: Endpoint): Promise<CheckResult> {
  const { family, address } = target;
  if (!(await targetIsLocal(ctx, family, address))) {
    return {
      status: 'skip',
      summary: `target ${address} is not an address of this host: its replies arrive over the network (see mark-based routing)`,
      evidence: [],
    };
  }
  const answer = await ctx.ip.routeGet(replyRouteQuery(family, address));
  const [rules, routes, otherRules, otherRoutes] = await Promise.all([
    ctx.ip.rules(family),
    ctx.ip.routes(family),
    ctx.ip.rules(family === 4 ? 6 : 4),
    ctx.ip.routes(family === 4 ? 6 : 4),
  ]);
  const verdict = describeReplyRoute(answer, address);
  if (deliveredLocally(answer)) {
    const rule = loopbackRules(rules).find((candidate) => ruleCoversSource(candidate, address, addressBits(family)));
    return {
      status: 'ok',
      summary: `replies from ${address} to spoofed clients are routed back over lo`,
      evidence: [...(rule ? [`rule ${formatRule(rule)}`] : []), verdict],
    };
  }
  if (ctx.setup.mark !== 0) {
    return {
      status: 'skip',
      summary: `no loopback rule for ${address}; with -mark ${ctx.setup.mark} replies are meant to follow the mark (see mark-based routing)`,
      evidence: [verdict],
    };
  }
  const finding = findMissingPart(
    family,
    address,
    rules,
    routes,
    {
      rules: [...rules, ...otherRules],
      routes: [...routes, ...otherRoutes],
    },
    ctx.options.table,
  );
  const remediation = finding.fix.commands.length
    ? {
        commands: finding.fix.commands.map((argv) => argv.join(' ')),
        text: finding.fix.text,
        apply: finding.fix.commands,
      }
    : { commands: [], text: finding.fix.text };
  return {
    status: 'fail',
    summary: finding.summary,
    evidence: [verdict, ...finding.evidence, ...runningProxyEvidence(ctx)],
    remediation,
    predicts: [{ protocol: ctx.setup.protocol, target: formatEndpoint(target) }],
  };
}

/** What the running proxy has already suffered from this (--from-running): its connects time out. */
function runningProxyEvidence(ctx: DoctorContext): string[] {
  const running = ctx.options.runningProxy;
  if (!running?.connectTimeouts) return [];
  const count = running.connectTimeouts;
  return [`the running proxy (pid ${running.pid}) has counted ${count} connect timeout${count === 1 ? '' : 's'}`];
}
