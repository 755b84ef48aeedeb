/**
 * The firewall on the probe's path. When a spoofed probe fails, its packets
 * are walked through every netfilter ruleset of the host (../firewall/walk.ts)
 * with the rule counters read before and after the probe: the rule (or
 * policy) that dropped them is named with its table, chain and handle or
 * rule spec, with the narrow accept that lets exactly that packet through.
 * The probe's conntrack entry and the kernel's own drop counters (rp_filter,
 * the listener) say where the handshake stopped when no rule did.
 */
import { formatEndpoint } from '../../base/net/endpoint.js';
import { formatIp, requireIp } from '../../base/net/ip.js';
import type { DoctorContext } from '../context/context.js';
import { probeInputs, type ProbeRound, type TargetProbes } from '../context/probe-round.js';
import { describeConntrackEntry, findConntrackEntry } from '../firewall/conntrack.js';
import { counterDeltas, type CounterDeltas } from '../firewall/counters.js';
import { formatRule } from '../firewall/format.js';
import { KERNEL_COUNTER_MEANING, kernelDrops } from '../firewall/kernel-counters.js';
import { describeChain, describeRuleRef } from '../firewall/model.js';
import { narrowAcceptCommand } from '../firewall/narrow-fix.js';
import { walkProbePath, type ProbeFlow } from '../firewall/path.js';
import type { Drop, LegResult } from '../firewall/walk.js';
import { deliveredLocally, replyRouteQuery, targetIsLocal } from '../routing/reply-route.js';
import type { ProbeKey } from '../observation.js';
import type { Check, CheckResult } from '../types.js';

/** The probe's packets as they cross this host: which interfaces, which mark. */
async function flowFor(ctx: DoctorContext, probe: TargetProbes): Promise<ProbeFlow> {
  const { family, address, port } = probe.target;
  const local = await targetIsLocal(ctx, family, address);
  const toward = await ctx.ip.routeGet({ family, destination: address });
  const targetInterface = (toward.ok ? toward.route.dev : undefined) ?? 'lo';
  let replyInterface = targetInterface;
  if (local) {
    const reply = await ctx.ip.routeGet(replyRouteQuery(family, address, ctx.setup.mark));
    replyInterface = deliveredLocally(reply) || !reply.ok ? 'lo' : (reply.route.dev ?? 'lo');
  }
  return {
    family,
    protocol: 'tcp',
    client: requireIp(probe.client),
    clientPort: probe.spoofed.localPort ?? null,
    target: requireIp(address),
    targetPort: port,
    mark: ctx.setup.mark,
    targetLocal: local,
    replyInterface,
    targetInterface,
  };
}

function counterNote(drop: Drop, deltas: CounterDeltas | null): string {
  if (!deltas) return '';
  const moved = drop.rule ? deltas.rule(drop.rule) : deltas.policy(drop.chain);
  if (moved === undefined) return '';
  return moved > 0 ? `: its counter rose by ${moved} during the probe` : ': its counter did not move during the probe';
}

function describeDrop(drop: Drop, flow: ProbeFlow, deltas: CounterDeltas | null): string {
  const target = formatEndpoint({ family: flow.family, address: formatIp(flow.target), port: flow.targetPort });
  const where = drop.rule
    ? `\`${formatRule(drop.rule)}\` (${describeRuleRef(drop.rule.ref)})`
    : `the drop policy of ${describeChain(drop.chain)}`;
  const verb = drop.verdict === 'reject' ? 'rejects' : 'drops';
  return `${where} ${verb} ${drop.leg.name} in ${drop.hook.toUpperCase()}, for ${target}${counterNote(drop, deltas)}`;
}

interface Walked {
  probe: TargetProbes;
  flow: ProbeFlow;
  legs: LegResult[];
}

function probeKey(probe: TargetProbes): ProbeKey {
  return { protocol: 'tcp', target: formatEndpoint(probe.target) };
}

/** Where the handshake stopped by conntrack's and the kernel's own account (conntrack's only when no rule said). */
function pathEvidence(round: ProbeRound, walked: Walked[], ruleFound: boolean): string[] {
  const evidence: string[] = [];
  if (round.conntrack !== null && !ruleFound) {
    for (const { probe, flow } of walked.filter(({ probe }) => probe.spoofed.outcome !== 'connected')) {
      const entry = findConntrackEntry(round.conntrack, {
        protocol: 'tcp',
        client: flow.client,
        clientPort: flow.clientPort,
        target: flow.target,
        targetPort: flow.targetPort,
      });
      evidence.push(`${formatEndpoint(probe.target)}: ${describeConntrackEntry(entry, 'tcp')}`);
    }
  }
  if (round.kernel.after) {
    for (const { name, delta } of kernelDrops(round.kernel.before, round.kernel.after))
      evidence.push(`during the probe the kernel counted ${delta} ${KERNEL_COUNTER_MEANING[name]} (${name})`);
  }
  return evidence;
}

function chainsCrossed(legs: LegResult[]): number {
  return new Set(legs.flatMap((leg) => leg.visited.map((visit) => describeChain(visit.chain)))).size;
}

export const firewall: Check = {
  id: 'firewall',
  title: 'Firewall on the path',
  groups: ['firewall'],
  reads: probeInputs,
  async run(ctx): Promise<CheckResult> {
    if (ctx.setup.protocol === 'udp') return { status: 'skip', summary: 'UDP: see udp-wildcard', evidence: [] };
    const round = await ctx.probeRound();
    const ruleset = round.firewall.before;
    const notes = ruleset.notes;
    if (ruleset.chains.length === 0) {
      return notes.length
        ? { status: 'skip', summary: `cannot read the firewall: ${notes.join('; ')}`, evidence: [] }
        : { status: 'ok', summary: 'no netfilter rules on this host', evidence: [] };
    }
    const deltas = round.firewall.after ? counterDeltas(ruleset, round.firewall.after) : null;
    const walked: Walked[] = await Promise.all(
      round.targets.map(async (probe) => {
        const flow = await flowFor(ctx, probe);
        return { probe, flow, legs: walkProbePath(ruleset, flow, deltas?.witness) };
      }),
    );
    const failed = walked.filter(
      ({ probe }) => probe.spoofed.outcome !== 'connected' && probe.plain.outcome === 'connected',
    );
    const drops = failed.flatMap(({ flow, legs }) => legs.flatMap((leg) => leg.drops.map((drop) => ({ drop, flow }))));
    const evidence = [...notes, ...pathEvidence(round, walked, drops.length > 0)];
    if (drops.length) {
      const [first] = drops;
      const commands = [...new Set(drops.map(({ drop, flow }) => narrowAcceptCommand(drop, flow)))];
      return {
        status: 'fail',
        summary: describeDrop(first!.drop, first!.flow, deltas),
        evidence: [...drops.slice(1).map(({ drop, flow }) => describeDrop(drop, flow, deltas)), ...evidence],
        remediation: {
          commands,
          text:
            "Let exactly these packets through, just before the rule that drops them: lo carries only this host's own packets, so nothing from the network gains access. " +
            '--fix never changes the firewall: run these yourself, then keep them in your firewall configuration.',
        },
        predicts: failed.map(({ probe }) => probeKey(probe)),
      };
    }
    const uncertain = failed.flatMap(({ legs }) => legs.flatMap((leg) => leg.uncertain));
    const crossed = chainsCrossed(walked.flatMap(({ legs }) => legs));
    if (failed.length && uncertain.length) {
      return {
        status: 'warn',
        summary: `no rule the doctor can evaluate drops the spoofed handshake, but ${uncertain.length} rule${uncertain.length > 1 ? 's' : ''} on its path read${uncertain.length > 1 ? '' : 's'} what it cannot model`,
        evidence: [
          ...uncertain.map(
            ({ leg, hook, rule, effect }) =>
              `${leg.name} (${hook.toUpperCase()}): ${describeRuleRef(rule.ref)} \`${formatRule(rule)}\` → ${effect}`,
          ),
          ...evidence,
        ],
      };
    }
    // The probe passed, yet the rules as read would drop it: the model is wrong about this host.
    const passedDrops = walked
      .filter(({ probe }) => probe.spoofed.outcome === 'connected')
      .flatMap(({ flow, legs }) => legs.flatMap((leg) => leg.drops.map((drop) => describeDrop(drop, flow, deltas))));
    if (passedDrops.length) {
      return {
        status: 'warn',
        summary: `the rules as read would stop the spoofed handshake, yet the probe connected: ${passedDrops[0]}`,
        evidence: [...passedDrops.slice(1), ...evidence],
      };
    }
    return {
      status: 'ok',
      summary: failed.length
        ? `no firewall rule stops the spoofed handshake (${crossed} chains on its path)`
        : `the spoofed handshake crosses ${crossed} chain${crossed === 1 ? '' : 's'} and no rule stops it`,
      evidence,
    };
  },
};
