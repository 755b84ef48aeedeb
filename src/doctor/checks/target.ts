/**
 * The target, probed twice: a plain connect (is the app there?) and a
 * spoofed one from a documentation-range client with IP_TRANSPARENT, exactly
 * as the proxy connects. Plain OK + spoofed timing out is the signature of
 * missing reply routing.
 */
import type { ConnectProbeResult } from '../../native/native-types.js';
import type { DoctorContext } from '../context/context.js';
import { formatEndpoint, type Endpoint } from '../../base/net/endpoint.js';
import { PROBE_CLIENT } from '../routing/probe-addresses.js';
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
      summary: `${target} answers a plain connect but a spoofed one times out: the SYN reaches the app, its SYN-ACK never comes back (missing reply routing)`,
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

async function probeTarget(ctx: DoctorContext, target: Endpoint): Promise<{ verdict: Verdict; evidence: string[] }> {
  const timeoutMs = ctx.options.probeTimeoutMs;
  const endpoint = { address: target.address, port: target.port };
  const plain = await ctx.system.probeConnect({
    source: null,
    target: endpoint,
    transparent: false,
    mark: 0,
    timeoutMs,
  });
  const client = PROBE_CLIENT[target.family];
  const spoofed = await ctx.system.probeConnect({
    source: { address: client, port: 0 },
    target: endpoint,
    transparent: true,
    mark: ctx.setup.mark,
    timeoutMs,
  });
  const name = formatEndpoint(target);
  return {
    verdict: judge(name, plain, spoofed),
    evidence: [
      `plain connect to ${name}: ${describeProbe(plain, timeoutMs)}`,
      `spoofed connect from ${client} to ${name}: ${describeProbe(spoofed, timeoutMs)}`,
    ],
  };
}

const RANK: Record<CheckStatus, number> = { ok: 0, skip: 0, warn: 1, fail: 2, crash: 3 };

export const target: Check = {
  id: 'target',
  title: 'Target reachability',
  groups: ['target'],
  async run(ctx): Promise<CheckResult> {
    if (ctx.setup.protocol === 'udp')
      return { status: 'skip', summary: 'UDP target: no connection to probe (see udp-wildcard)', evidence: [] };
    const targets = [ctx.setup.target4, ctx.setup.target6].filter((entry): entry is Endpoint => entry !== null);
    const results = await Promise.all(targets.map((entry) => probeTarget(ctx, entry)));
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
    };
  },
};
