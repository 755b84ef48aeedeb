/**
 * Mark-based routing (-mark): replies find their way back because the mark
 * set on the upstream socket is saved on the connection (CONNMARK) and
 * restored on the replies, and a fwmark rule sends marked packets to a table
 * with a local route. With a 127.0.0.0/8 target the reply is first routed
 * unmarked, which the kernel refuses for a loopback source unless
 * route_localnet is on. With a target on another host the outgoing packets
 * must lose the mark once it is saved, or the fwmark rule would deliver the
 * proxy's own SYN locally. Each requirement was confirmed in a namespace
 * (test/netns/doctor.test.ts, scenarios mark-*).
 */
import type { DoctorContext } from '../context/context.js';
import type { IpRule } from '../context/ip-types.js';
import { formatEndpoint, type Endpoint } from '../../base/net/endpoint.js';
import { isLoopback, requireIp } from '../../base/net/ip.js';
import { connmarkFromIptables, connmarkFromNftables, type ConnmarkRule } from '../routing/connmark.js';
import { PROBE_CLIENT } from '../routing/probe-addresses.js';
import {
  deliveredLocally,
  describeReplyRoute,
  remoteReplyRouteQuery,
  replyRouteQuery,
  targetIsLocal,
} from '../routing/reply-route.js';
import {
  formatRule,
  isUserTable,
  mainPriority,
  tableForNewRouting,
  tableHasLocalDefault,
  tablesInUse,
} from '../routing/tables.js';
import type { Check, CheckResult } from '../types.js';

function fwmarkRule(rules: IpRule[], mark: number): IpRule | undefined {
  const main = mainPriority(rules);
  return rules.find((rule) => {
    if (rule.fwmark === undefined || !isUserTable(rule.table) || rule.priority >= main) return false;
    const mask = rule.fwmask === undefined ? 0xffffffff : Number(rule.fwmask);
    return (Number(rule.fwmark) & mask) === (mark & mask);
  });
}

async function readConnmark(
  ctx: DoctorContext,
  family: 4 | 6,
  mark: number,
): Promise<{ rules: ConnmarkRule[]; notes: string[] }> {
  const notes: string[] = [];
  const rules: ConnmarkRule[] = [];
  const save = await ctx.system.exec(family === 6 ? 'ip6tables-save' : 'iptables-save', ['-t', 'mangle']);
  if (save.code === 0) rules.push(...connmarkFromIptables(save.stdout, mark));
  else notes.push(`cannot read iptables: ${save.stderr.trim().split('\n')[0]}`);
  const nft = await ctx.system.exec('nft', ['-j', 'list', 'ruleset']);
  if (nft.code === 0) rules.push(...connmarkFromNftables(nft.stdout, mark));
  else notes.push(`cannot read nftables: ${nft.stderr.trim().split('\n')[0]}`);
  return { rules, notes };
}

/** The interface the unmarked reply would leave by: where route_localnet is consulted. */
async function egressInterface(ctx: DoctorContext, family: 4 | 6): Promise<string | null> {
  const answer = await ctx.ip.routeGet({ family, destination: PROBE_CLIENT[family] });
  return answer.ok ? (answer.route.dev ?? null) : null;
}

interface Part {
  missing: string;
  commands: string[];
  apply?: string[][];
}

/** The fwmark rule and its table, and the kernel's verdict for a marked reply. */
async function routingParts(ctx: DoctorContext, target: Endpoint, local: boolean, evidence: string[]): Promise<Part[]> {
  const { family, address } = target;
  const mark = ctx.setup.mark;
  const ip = family === 6 ? ['ip', '-6'] : ['ip'];
  const localDefault = family === 6 ? '::/0' : '0.0.0.0/0';
  const [rules, routes] = await Promise.all([ctx.ip.rules(family), ctx.ip.routes(family)]);
  const rule = fwmarkRule(rules, mark);
  const parts: Part[] = [];
  if (rule && tableHasLocalDefault(routes, rule.table as string)) {
    evidence.push(`rule ${formatRule(rule)} → table ${rule.table} has local ${localDefault} dev lo`);
  } else {
    const { table, needsRoute } = rule
      ? { table: rule.table as string, needsRoute: true }
      : tableForNewRouting(ctx.options.table, routes, tablesInUse(rules, routes));
    const addRoute = [...ip, 'route', 'add', 'local', localDefault, 'dev', 'lo', 'table', table];
    const apply = [
      ...(rule ? [] : [[...ip, 'rule', 'add', 'fwmark', String(mark), 'lookup', table]]),
      ...(needsRoute ? [addRoute] : []),
    ];
    parts.push({
      missing: rule
        ? `table ${table} (used by rule ${formatRule(rule)}) has no local route`
        : `no fwmark ${mark} rule before main`,
      commands: apply.map((argv) => argv.join(' ')),
      apply,
    });
  }
  const query = local
    ? replyRouteQuery(family, address, mark)
    : await remoteReplyRouteQuery(ctx, family, address, mark);
  const marked = await ctx.ip.routeGet(query);
  evidence.push(describeReplyRoute(marked, address));
  if (!deliveredLocally(marked) && parts.length === 0)
    parts.push({ missing: 'the kernel does not deliver marked replies locally', commands: [] });
  return parts;
}

/** CONNMARK save (and, for a remote target, the clear after it) in OUTPUT; restore where replies pass. */
async function netfilterParts(
  ctx: DoctorContext,
  target: Endpoint,
  local: boolean,
  evidence: string[],
): Promise<Part[]> {
  const { family, address } = target;
  const mark = ctx.setup.mark;
  const tables = family === 6 ? 'ip6tables' : 'iptables';
  const connmark = await readConnmark(ctx, family, mark);
  evidence.push(...connmark.notes, ...connmark.rules.map((found) => `${found.source}: ${found.text}`));
  const parts: Part[] = [];
  const save = connmark.rules.find((found) => found.kind === 'save' && found.chain === 'OUTPUT');
  if (!save) {
    parts.push({
      missing: `no CONNMARK --save-mark for mark ${mark} in OUTPUT`,
      commands: [`${tables} -t mangle -A OUTPUT -m mark --mark ${mark} -j CONNMARK --save-mark`],
    });
  }
  const clearedAfterSave = connmark.rules.some(
    (found) =>
      found.kind === 'clear' &&
      found.chain === 'OUTPUT' &&
      save !== undefined &&
      found.source === save.source &&
      found.position > save.position,
  );
  if (!local && !clearedAfterSave) {
    parts.push({
      missing: `packets marked ${mark} keep their mark after the save: the fwmark rule delivers the proxy's own SYN to ${address} locally`,
      commands: [
        `${tables} -t mangle -A OUTPUT -m mark --mark ${mark} -j MARK --set-mark 0   # after the --save-mark rule`,
      ],
    });
  }
  // Locally generated replies (local target) pass OUTPUT; replies from a remote target arrive through PREROUTING.
  const restoreChain = local ? 'OUTPUT' : 'PREROUTING';
  if (!connmark.rules.some((found) => found.kind === 'restore' && found.chain === restoreChain)) {
    parts.push({
      missing: `no CONNMARK --restore-mark for mark ${mark} in ${restoreChain}`,
      commands: [`${tables} -t mangle -A ${restoreChain} -m connmark --mark ${mark} -j CONNMARK --restore-mark`],
    });
  }
  return parts;
}

/** route_localnet, needed only for a 127.0.0.0/8 target: its reply is routed once unmarked. */
async function localnetParts(ctx: DoctorContext, target: Endpoint, evidence: string[]): Promise<Part[]> {
  const { family, address } = target;
  if (family !== 4 || !isLoopback(requireIp(address))) return [];
  const device = (await egressInterface(ctx, family)) ?? 'all';
  const all = Number(await ctx.sysctl('net.ipv4.conf.all.route_localnet'));
  const onDevice = Number(await ctx.sysctl(`net.ipv4.conf.${device}.route_localnet`));
  evidence.push(`route_localnet: all = ${all}, ${device} = ${onDevice}`);
  evidence.push(`unmarked: ${describeReplyRoute(await ctx.ip.routeGet(replyRouteQuery(family, address)), address)}`);
  if (Math.max(all, onDevice) === 1) return [];
  return [
    {
      missing: `route_localnet is off on ${device}: the unmarked reply from ${address} is refused before its mark is restored`,
      commands: [`sysctl -w net.ipv4.conf.${device}.route_localnet=1`],
    },
  ];
}

async function diagnose(ctx: DoctorContext, target: Endpoint, evidence: string[]): Promise<Part[]> {
  const local = await targetIsLocal(ctx, target.family, target.address);
  return [
    ...(await routingParts(ctx, target, local, evidence)),
    ...(await netfilterParts(ctx, target, local, evidence)),
    ...(await localnetParts(ctx, target, evidence)),
  ];
}

export const markRouting: Check = {
  id: 'mark-routing',
  title: 'Mark-based routing',
  groups: ['mark', 'routing'],
  async run(ctx): Promise<CheckResult> {
    const mark = ctx.setup.mark;
    const targets = [ctx.setup.target4, ctx.setup.target6].filter((target): target is Endpoint => target !== null);
    if (mark === 0) {
      const remote: string[] = [];
      for (const target of targets)
        if (!(await targetIsLocal(ctx, target.family, target.address))) remote.push(target.address);
      if (remote.length === 0)
        return { status: 'skip', summary: 'no -mark, and every target is on this host', evidence: [] };
      return {
        status: 'warn',
        summary: `target ${remote.join(', ')} is not on this host and no -mark is set: its replies to spoofed clients will not come back here`,
        evidence: [],
        remediation: {
          commands: [],
          text: 'Run the proxy with -mark N and add the mark-based routing this check then prints.',
        },
      };
    }
    const evidence: string[] = [];
    const parts: Part[] = [];
    for (const target of targets) parts.push(...(await diagnose(ctx, target, evidence)));
    if (parts.length === 0)
      return { status: 'ok', summary: `replies to connections marked ${mark} are routed back locally`, evidence };
    const apply = parts.flatMap((part) => part.apply ?? []);
    return {
      status: 'fail',
      summary: parts.map((part) => part.missing).join('; '),
      evidence,
      remediation: {
        commands: [...new Set(parts.flatMap((part) => part.commands))],
        text: '--fix applies only the ip rule/route commands; add the netfilter rules and sysctl yourself.',
        ...(apply.length ? { apply } : {}),
      },
      predicts: targets.map((target) => ({ protocol: ctx.setup.protocol, target: formatEndpoint(target) })),
    };
  },
};
