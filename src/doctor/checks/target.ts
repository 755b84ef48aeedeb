/**
 * The target, probed twice (the run's probe round, ../context/probe-round.ts):
 * a plain connect (is the app there?) and a spoofed one from a
 * documentation-range client with IP_TRANSPARENT, exactly as the proxy
 * connects. Plain OK + spoofed timing out means the handshake is lost on this
 * host: the routing, mark-routing and firewall checks say where. The spoofed
 * outcomes are the report's ground truth (../reconcile.ts).
 */
import type { ConnectProbeResult } from '../../native/native-types.js';
import { formatEndpoint } from '../../base/net/endpoint.js';
import { observations, probeInputs, type TargetProbes } from '../context/probe-round.js';
import type { Check, CheckResult, CheckStatus } from '../types.js';

export function describeProbe(result: ConnectProbeResult, timeoutMs: number): string {
  switch (result.outcome) {
    case 'connected':
      return 'connected';
    case 'refused':
      return 'refused (nothing listens there)';
    case 'timeout':
      return `no answer within ${timeoutMs} ms`;
    case 'error':
      return `failed: ${result.syscall ?? 'connect'} ${result.code ?? ''}`.trim();
  }
}

interface Verdict {
  status: CheckStatus;
  summary: string;
  replyLost?: boolean;
}

function judge(target: string, plain: ConnectProbeResult, spoofed: ConnectProbeResult): Verdict {
  if (plain.outcome === 'refused')
    return { status: 'fail', summary: `nothing listens on ${target}: start the app, or fix -4/-6` };
  if (plain.outcome !== 'connected')
    return { status: 'fail', summary: `${target} is unreachable even without spoofing` };
  if (spoofed.outcome === 'connected')
    return { status: 'ok', summary: `${target} answers plain and spoofed connections` };
  if (spoofed.outcome === 'timeout') {
    return {
      status: 'fail',
      summary: `${target} answers a plain connect but a spoofed one times out: no SYN-ACK reached the spoofed socket`,
      replyLost: true,
    };
  }
  if (spoofed.code === 'EPERM')
    return { status: 'fail', summary: `spoofed connect to ${target} not permitted (see privilege)` };
  return {
    status: 'fail',
    summary: `spoofed connect to ${target} failed: ${spoofed.syscall ?? 'connect'} ${spoofed.code ?? ''}`.trim(),
  };
}

function describeTarget(probe: TargetProbes, timeoutMs: number): { verdict: Verdict; evidence: string[] } {
  const name = formatEndpoint(probe.target);
  return {
    verdict: judge(name, probe.plain, probe.spoofed),
    evidence: [
      `plain connect to ${name}: ${describeProbe(probe.plain, timeoutMs)}`,
      `spoofed connect from ${probe.client} to ${name}: ${describeProbe(probe.spoofed, timeoutMs)}`,
    ],
  };
}

const RANK: Record<CheckStatus, number> = { ok: 0, skip: 0, warn: 1, fail: 2, crash: 3 };

export const target: Check = {
  id: 'target',
  title: 'Target reachability',
  groups: ['target'],
  reads: probeInputs,
  async run(ctx): Promise<CheckResult> {
    if (ctx.setup.protocol === 'udp')
      return { status: 'skip', summary: 'UDP target: probed with datagrams by udp-wildcard', evidence: [] };
    const round = await ctx.probeRound();
    const results = round.targets.map((probe) => describeTarget(probe, ctx.options.probeTimeoutMs));
    const worst = results.reduce<Verdict | null>(
      (acc, { verdict }) => (!acc || RANK[verdict.status] > RANK[acc.status] ? verdict : acc),
      null,
    );
    if (!worst) return { status: 'skip', summary: 'no target', evidence: [] };
    const worstOnes = results.filter(({ verdict }) => verdict.status === worst.status);
    return {
      status: worst.status,
      summary: worstOnes.map(({ verdict }) => verdict.summary).join('; '),
      ...(results.some(({ verdict }) => verdict.replyLost) ? { symptom: { of: 'reply-routing' } } : {}),
      evidence: results.flatMap((result) => result.evidence),
      observed: observations(round, 'tcp'),
    };
  },
};
