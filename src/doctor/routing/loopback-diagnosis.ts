/**
 * Loopback policy routing for one target: the kernel is asked what it does
 * with the app's reply (`ip route get` with the reply's own selectors), the
 * rules are walked to say which one takes it and why, and when the reply is
 * not delivered back over lo, ./policy/loopback-plan.ts names the cause and
 * the narrowest fix. `mmproxy setup-routing` applies exactly these fixes.
 */
import { formatEndpoint } from '../../base/net/endpoint.js';
import type { PortSpan } from '../../base/net/port-span.js';
import type { DoctorContext } from '../context/context.js';
import type { Remediation, CheckResult } from '../types.js';
import { changeCommand } from './policy/changes.js';
import type { Flow } from './policy/flow.js';
import { planLoopback } from './policy/loopback-plan.js';
import { policyRules, type Family } from './policy/rule.js';
import { flowQuery, replyFlow } from './reply-flow.js';
import { deliveredLocally, describeReplyRoute, targetIsLocal } from './reply-route.js';

/** What the check assumed about the reply, said when a rule's verdict depends on it. */
function assumptions(flow: Flow): string[] {
  return flow.assumed.uid ? [`the app's user: ${flow.assumed.uid}`] : [];
}

async function hostView(ctx: DoctorContext, family: Family) {
  const other: Family = family === 4 ? 6 : 4;
  const [rows, routes, otherRows, otherRoutes, links] = await Promise.all([
    ctx.ip.rules(family),
    ctx.ip.routes(family),
    ctx.ip.rules(other),
    ctx.ip.routes(other),
    ctx.ip.links(),
  ]);
  const inet = family === 4 ? 'inet' : 'inet6';
  return {
    rules: policyRules(rows, family),
    routes,
    otherRules: policyRules(otherRows, other),
    otherRoutes,
    groups: new Map(links.map((link) => [link.ifname, link.group ?? 'default'])),
    hostAddresses: links.flatMap((link) =>
      link.addr_info.filter((info) => info.family === inet).map((info) => info.local),
    ),
  };
}

/** `target` may be a port range: the rule it offers covers every port (the probes try some, ../context/probed-ports.ts). */
export async function diagnoseLoopback(ctx: DoctorContext, target: PortSpan): Promise<CheckResult> {
  const { family, address } = target;
  if (!(await targetIsLocal(ctx, family, address))) {
    return {
      status: 'skip',
      summary: `target ${address} is not an address of this host: its replies arrive over the network (see mark-based routing)`,
      evidence: [],
    };
  }
  const flow = await replyFlow(ctx, target);
  const [answer, view] = await Promise.all([ctx.ip.routeGet(flowQuery(flow)), hostView(ctx, family)]);
  const verdict = describeReplyRoute(answer, address);
  const kernelDelivers = deliveredLocally(answer);
  if (!kernelDelivers && ctx.setup.mark !== 0) {
    return {
      status: 'skip',
      summary: `no loopback rule for ${address}; with -mark ${ctx.setup.mark} replies are meant to follow the mark (see mark-based routing)`,
      evidence: [verdict],
    };
  }
  const plan = planLoopback({
    target,
    protocol: ctx.setup.protocol,
    anyPort: ctx.setup.dynamicDestination,
    flow,
    ...view,
    kernelDelivers,
    ...(ctx.options.table !== undefined ? { requestedTable: ctx.options.table } : {}),
  });
  const evidence = [verdict, ...plan.evidence, ...assumptions(flow)];
  if (plan.status === 'ok') return { status: 'ok', summary: plan.summary, evidence };
  const apply = plan.changes.map(changeCommand);
  const remediation: Remediation = {
    commands: apply.map((argv) => argv.join(' ')),
    text: plan.fixText ?? '',
    ...(apply.length ? { apply } : {}),
  };
  return {
    status: plan.status,
    summary: plan.summary,
    evidence: [...evidence, ...runningProxyEvidence(ctx, plan.status)],
    remediation,
    // A reply the kernel does not deliver means the spoofed probe must fail; a rule that works
    // for the app but cuts other services off (or only some clients) predicts nothing about it.
    ...(kernelDelivers ? {} : { predicts: [{ protocol: ctx.setup.protocol, target: formatEndpoint(target) }] }),
  };
}

/** What the running proxy has already suffered from this (--from-running): its connects time out. */
function runningProxyEvidence(ctx: DoctorContext, status: 'warn' | 'fail'): string[] {
  const running = ctx.options.runningProxy;
  if (status !== 'fail' || !running?.connectTimeouts) return [];
  const count = running.connectTimeouts;
  return [`the running proxy (pid ${running.pid}) has counted ${count} connect timeout${count === 1 ? '' : 's'}`];
}
