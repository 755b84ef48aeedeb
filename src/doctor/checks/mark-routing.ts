/**
 * Mark-based routing (-mark): replies find their way back because the mark
 * set on the upstream socket is saved on the connection (CONNMARK) and
 * restored on the replies, and a fwmark rule sends marked packets to a table
 * with a local route. With a 127.0.0.0/8 target the reply is first routed
 * unmarked, which the kernel refuses for a loopback source unless
 * route_localnet is on. With a target on another host the outgoing packets
 * must lose the mark once it is saved, or the fwmark rule would deliver the
 * proxy's own SYN locally. Where the mark is saved and restored is walked
 * through the host's netfilter rules (../routing/mark-path.ts): a save in
 * any hook the SYN passes counts, a restore only where the reply is routed
 * again. Each requirement was confirmed in a namespace
 * (test/netns/doctor/scenarios.test.ts, mark-*; test/netns/doctor/mark-routing.test.ts).
 */
import type { DoctorContext } from '../context/context.js';
import type { IpRule } from '../context/ip-types.js';
import { formatEndpoint, type Endpoint } from '../../base/net/endpoint.js';
import type { PortSpan } from '../../base/net/port-span.js';
import { isLoopback, requireIp } from '../../base/net/ip.js';
import { formatRule as formatNetfilterRule } from '../firewall/format.js';
import { describeChain, describeRuleRef } from '../firewall/model.js';
import type { ProbeFlow } from '../firewall/path.js';
import type { MarkChange } from '../firewall/walk.js';
import { traceMark } from '../routing/mark-path.js';
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

/** The interface the unmarked reply would leave by: where route_localnet is consulted. */
async function egressInterface(ctx: DoctorContext, family: 4 | 6): Promise<string | null> {
  const answer = await ctx.ip.routeGet({ family, destination: PROBE_CLIENT[family] });
  return answer.ok ? (answer.route.dev ?? null) : null;
}

interface Part {
  missing: string;
  commands: string[];
  apply?: string[][];
  /** Why a command is safe to run, added to the remediation text. */
  note?: string;
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

/** The flow mark-path walks: the probe's client and the proxy's mark, the interfaces the kernel picks. */
async function markFlow(ctx: DoctorContext, target: Endpoint, local: boolean): Promise<ProbeFlow> {
  const { family, address, port } = target;
  const toward = await ctx.ip.routeGet({ family, destination: address });
  const targetInterface = (toward.ok ? toward.route.dev : undefined) ?? 'lo';
  return {
    family,
    protocol: ctx.setup.protocol,
    client: requireIp(PROBE_CLIENT[family]),
    clientPort: null,
    target: requireIp(address),
    targetPort: port,
    mark: ctx.setup.mark,
    targetLocal: local,
    // Local: the reply is routed unmarked first, by the default route; remote: it arrives facing the target.
    replyInterface: local ? ((await egressInterface(ctx, family)) ?? 'lo') : targetInterface,
    targetInterface,
  };
}

const ruleName = (change: MarkChange) =>
  `\`${formatNetfilterRule(change.rule)}\` (${describeRuleRef(change.rule.ref)})`;

/** Why a rule that gives the reply its mark does not re-route it, and the chain that would. */
function tooLatePart(change: MarkChange, mark: number, tables: string): Part {
  const base = change.baseChain;
  const where = `${describeChain(base)}, a chain of type ${base.base?.type ?? 'filter'} hook ${change.hook}`;
  const missing = `${ruleName(change)} restores mark ${mark} on the reply in ${where}: only a chain of type route in OUTPUT makes the kernel route the reply again, so it keeps the route it got unmarked`;
  if (base.backend !== 'nftables') {
    return {
      missing,
      commands: [`${tables} -t mangle -A OUTPUT -m connmark --mark ${mark} -j CONNMARK --restore-mark`],
    };
  }
  const { family, table } = base;
  const chain = `${base.name}_route`;
  return {
    missing,
    commands: [
      `nft add chain ${family} ${table} ${chain} '{ type route hook output priority mangle; }'`,
      `nft add rule ${family} ${table} ${chain} ct mark ${mark} meta mark set ct mark`,
      ...(change.rule.ref.handle !== undefined
        ? [`nft delete rule ${family} ${table} ${change.rule.ref.chain} handle ${change.rule.ref.handle}`]
        : []),
    ],
  };
}

/**
 * The mark's way through netfilter (../routing/mark-path.ts): saved on the
 * connection in any hook the SYN passes, cleared before a remote target's SYN
 * is routed again, restored where the reply is routed.
 */
async function netfilterParts(
  ctx: DoctorContext,
  target: Endpoint,
  local: boolean,
  evidence: string[],
): Promise<Part[]> {
  const mark = ctx.setup.mark;
  const tables = target.family === 6 ? 'ip6tables' : 'iptables';
  const ruleset = await ctx.firewall();
  evidence.push(...ruleset.notes);
  const path = traceMark(ruleset, await markFlow(ctx, target, local));
  const parts: Part[] = [];
  const synHooks = local ? 'OUTPUT, POSTROUTING, PREROUTING or INPUT' : 'OUTPUT or POSTROUTING';
  if (path.connectionMark === mark && path.saved) {
    evidence.push(
      `the SYN's mark ${mark} is saved on its connection in ${path.saved.hook.toUpperCase()} by ${ruleName(path.saved)}`,
    );
  } else {
    parts.push({
      missing: `no rule saves mark ${mark} on the connection where the SYN passes (${synHooks})`,
      commands: [`${tables} -t mangle -A OUTPUT -m mark --mark ${mark} -j CONNMARK --save-mark`],
    });
  }
  if (!local && path.synRoutedWith === mark) {
    parts.push({
      missing: `packets marked ${mark} keep their mark after the save: the fwmark rule delivers the proxy's own SYN to ${target.address} locally`,
      commands: [
        `${tables} -t mangle -A OUTPUT -m mark --mark ${mark} -j MARK --set-mark 0   # after the --save-mark rule`,
      ],
    });
  }
  if (path.restored) {
    evidence.push(
      `the reply gets mark ${mark} back in ${path.restored.hook.toUpperCase()} from ${ruleName(path.restored)}, before the kernel routes it`,
    );
  } else if (path.tooLate.length) {
    parts.push(...path.tooLate.map((change) => tooLatePart(change, mark, tables)));
  } else if (path.replyRoutedWith !== mark) {
    // Locally generated replies (local target) are routed again after OUTPUT; replies from a remote target after PREROUTING.
    const restoreChain = local ? 'OUTPUT' : 'PREROUTING';
    parts.push({
      missing: local
        ? `no rule restores mark ${mark} on the reply in an OUTPUT chain that routes again (iptables' mangle, nftables type route)`
        : `no rule restores mark ${mark} on the reply in PREROUTING`,
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
      commands: [localnetGuard(device), `sysctl -w net.ipv4.conf.${device}.route_localnet=1`],
      note: LOCALNET_GUARD_NOTE,
    },
  ];
}

/**
 * route_localnet also accepts packets addressed to 127.0.0.0/8 from the
 * network, which would reach services bound to localhost (CVE-2020-8558;
 * kube-proxy's KUBE-FIREWALL drops them the same way). The guard is inserted
 * before any accept and added before the sysctl, so the host is never open.
 * The mark setup's own packets never match it: the SYN to the target and the
 * re-routed reply to the client both arrive on lo, and the reply's
 * destination is the client, not 127.0.0.0/8. Replies and DNAT'd connections
 * (an operator's own DNAT to localhost) pass.
 */
function localnetGuard(device: string): string {
  const from = device === 'all' ? '! -i lo' : `-i ${device}`;
  return `iptables -I INPUT ${from} -d 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`;
}

const LOCALNET_GUARD_NOTE =
  'route_localnet=1 also lets packets sent to 127.0.0.0/8 from the network reach services bound to localhost (CVE-2020-8558), so the iptables rule before it drops those that are not replies.';

async function diagnose(ctx: DoctorContext, target: Endpoint, evidence: string[]): Promise<Part[]> {
  const local = await targetIsLocal(ctx, target.family, target.address);
  // Each part keeps its own evidence, in this order, whichever finishes first.
  const notes: string[][] = [[], [], []];
  const parts = await Promise.all([
    routingParts(ctx, target, local, notes[0]!),
    netfilterParts(ctx, target, local, notes[1]!),
    localnetParts(ctx, target, notes[2]!),
  ]);
  evidence.push(...notes.flat());
  return parts.flat();
}

export const markRouting: Check = {
  id: 'mark-routing',
  title: 'Mark-based routing',
  groups: ['mark', 'routing'],
  // The rule and table are per mark and family; the netfilter path is walked for the first listener's port of each
  // address (the probes still try every port). Without a mark only the addresses matter (on this host or not).
  reads: (setup) => ({
    mark: setup.mark,
    protocol: setup.mark === 0 ? null : setup.protocol,
    addresses: [setup.target4?.address ?? null, setup.target6?.address ?? null],
  }),
  async run(ctx): Promise<CheckResult> {
    const mark = ctx.setup.mark;
    const targets = [ctx.setup.target4, ctx.setup.target6].filter((target): target is PortSpan => target !== null);
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
    const perTarget = await Promise.all(
      targets.map(async (target) => {
        const evidence: string[] = [];
        return { evidence, parts: await diagnose(ctx, target, evidence) };
      }),
    );
    const evidence = perTarget.flatMap((entry) => entry.evidence);
    const parts = perTarget.flatMap((entry) => entry.parts);
    if (parts.length === 0)
      return { status: 'ok', summary: `replies to connections marked ${mark} are routed back locally`, evidence };
    const apply = parts.flatMap((part) => part.apply ?? []);
    return {
      status: 'fail',
      summary: parts.map((part) => part.missing).join('; '),
      evidence,
      remediation: {
        commands: [...new Set(parts.flatMap((part) => part.commands))],
        text: [
          '--fix applies only the ip rule/route commands; add the netfilter rules and sysctl yourself.',
          ...new Set(parts.flatMap((part) => (part.note ? [part.note] : []))),
        ].join(' '),
        ...(apply.length ? { apply } : {}),
      },
      predicts: targets.map((target) => ({ protocol: ctx.setup.protocol, target: formatEndpoint(target) })),
    };
  },
};
