/**
 * UDP targets must answer from the target address. A socket bound to the
 * wildcard replies from whatever source address routing picks, not from the
 * target, so the `from TARGET iif lo` rule never sees its replies, unless
 * the app answers from the address it was asked on (IP_PKTINFO, as dnsmasq
 * and unbound do). Bindings are read from /proc/net/udp{,6}, the kernel's own
 * table of UDP sockets; the run's UDP probes (../context/probe-round.ts) say
 * which it is: a spoofed datagram answered means the replies come back.
 */
import { parseProcNetSockets } from '../../base/net/proc-net.js';
import type { ConnectProbeResult } from '../../native/native-types.js';
import type { DoctorContext } from '../context/context.js';
import { observations, probeInputs, type TargetProbes } from '../context/probe-round.js';
import { formatEndpoint, type Endpoint } from '../../base/net/endpoint.js';
import { PROBE_CLIENT } from '../routing/probe-addresses.js';
import { formatRoute } from '../routing/tables.js';
import type { Check, CheckResult, Remediation } from '../types.js';
import type { UdpHeaderMode } from '../../base/flows.js';

const WILDCARD = new Set(['0.0.0.0', '::']);

/** Which headers the proxy expects, and what the mode asks of the load balancer (docs/proxy.md, "Header modes"). */
function udpHeaderNote(mode: UdpHeaderMode): string {
  const asks: Record<UdpHeaderMode, string> = {
    every: 'a PROXY v2 header on every datagram',
    first:
      'a PROXY v2 header on the first datagram of each flow; a flow whose first datagram is lost gets nothing through, so keep --close-after at least the load balancer idle timeout',
    spp: 'an SPP header on every datagram; replies carry one back',
    auto: 'a PROXY v2 or SPP header on every datagram',
  };
  return `--udp-header ${mode}: the load balancer must send ${asks[mode]}`;
}

/** What one UDP probe did, in words. */
function describeDatagramProbe(result: ConnectProbeResult, timeoutMs: number): string {
  switch (result.outcome) {
    case 'connected':
      return 'answered';
    case 'refused':
      return 'refused (port unreachable: nothing listens there)';
    case 'timeout':
      return `no reply within ${timeoutMs} ms`;
    case 'error':
      return `failed: ${result.syscall ?? 'send'} ${result.code ?? ''}`.trim();
  }
}

function probeEvidence(probe: TargetProbes, timeoutMs: number): string[] {
  const name = formatEndpoint(probe.target);
  return [
    `plain datagram to ${name}: ${describeDatagramProbe(probe.plain, timeoutMs)}`,
    `spoofed datagram from ${probe.client} to ${name} (as the proxy sends it): ${describeDatagramProbe(probe.spoofed, timeoutMs)}`,
  ];
}

/** Why a reply from the wildcard socket misses the rule, by the kernel's source choice. */
async function sourceChoice(ctx: DoctorContext, entry: Endpoint): Promise<string> {
  const answer = await ctx.ip.routeGet({ family: entry.family, destination: PROBE_CLIENT[entry.family] });
  const chosen = answer.ok
    ? (answer.route.prefsrc ?? answer.route.from ?? "the outgoing interface's address")
    : answer.error;
  return (
    `a reply to ${PROBE_CLIENT[entry.family]} from the wildcard socket takes source ${chosen}` +
    (answer.ok ? ` (\`${answer.command}\` → ${formatRoute(answer.route)})` : '') +
    `, unless the app answers from the address it was asked on (IP_PKTINFO), not ${entry.address}: the loopback rule for ${entry.address} never matches it`
  );
}

type Binding = 'own' | 'wildcard' | 'absent';

function bindingOf(sockets: Endpoint[], entry: Endpoint, evidence: string[]): Binding {
  const bound = sockets.filter(
    (socket) => socket.port === entry.port && (socket.address === entry.address || WILDCARD.has(socket.address)),
  );
  for (const socket of bound) evidence.push(`UDP socket bound to ${formatEndpoint({ ...socket })}`);
  if (bound.some((socket) => socket.address === entry.address)) return 'own';
  return bound.length ? 'wildcard' : 'absent';
}

const list = (entries: Endpoint[]) => entries.map(formatEndpoint).join(', ');

function rebind(entries: Endpoint[]): Remediation {
  return {
    commands: entries.map(
      (entry) =>
        `# bind the app to ${formatEndpoint(entry)} instead of ${entry.family === 6 ? '[::]' : '0.0.0.0'}:${entry.port}`,
    ),
    text: 'Configure the app to listen on the target address itself (not 0.0.0.0 / ::), or to answer from the address it was asked on (IP_PKTINFO / IPV6_RECVPKTINFO, as dnsmasq and unbound do).',
  };
}

export const udpWildcard: Check = {
  id: 'udp-wildcard',
  title: 'UDP target binding',
  groups: ['udp'],
  reads: (setup) => ({ ...probeInputs(setup), udpHeader: setup.udpHeader }),
  async run(ctx): Promise<CheckResult> {
    if (ctx.setup.protocol !== 'udp') return { status: 'skip', summary: 'TCP mode (-p tcp)', evidence: [] };
    const [udp4, udp6, round] = await Promise.all([
      ctx.system.readFile('/proc/net/udp'),
      ctx.system.readFile('/proc/net/udp6'),
      ctx.probeRound(),
    ]);
    const sockets = [...parseProcNetSockets(udp4 ?? '', 4), ...parseProcNetSockets(udp6 ?? '', 6)];
    const timeoutMs = ctx.options.probeTimeoutMs;
    const evidence: string[] = [udpHeaderNote(ctx.setup.udpHeader ?? 'every')];
    // The probes are the truth: a wildcard socket whose app answers the spoofed datagram works.
    const lost: Endpoint[] = [];
    const unproven: Endpoint[] = [];
    const answering: Endpoint[] = [];
    const absent: Endpoint[] = [];
    for (const probe of round.targets) {
      const entry = probe.target;
      const binding = bindingOf(sockets, entry, evidence);
      evidence.push(...probeEvidence(probe, timeoutMs));
      if (binding === 'absent') absent.push(entry);
      if (binding !== 'wildcard') continue;
      if (probe.spoofed.outcome === 'connected') answering.push(entry);
      else {
        evidence.push(await sourceChoice(ctx, entry));
        (probe.plain.outcome === 'connected' ? lost : unproven).push(entry);
      }
    }
    const observed = observations(round, 'udp');
    if (lost.length) {
      return {
        status: 'fail',
        summary: `the app's UDP socket for ${list(lost)} is bound to a wildcard address: its replies miss the loopback routing (a plain datagram was answered, the spoofed one was not)`,
        evidence,
        remediation: rebind(lost),
        observed,
      };
    }
    if (unproven.length) {
      return {
        status: 'warn',
        summary: `the app's UDP socket for ${list(unproven)} is bound to a wildcard address and did not answer the probe's datagram: unless it answers from the address it was asked on, its replies miss the loopback routing`,
        evidence,
        remediation: rebind(unproven),
        observed,
      };
    }
    if (absent.length) {
      return { status: 'warn', summary: `nothing is bound to UDP ${list(absent)} yet`, evidence, observed };
    }
    if (answering.length) {
      return {
        status: 'ok',
        summary: `the app's UDP socket for ${list(answering)} is bound to a wildcard address, but it answers spoofed datagrams from the address they were sent to`,
        evidence,
        observed,
      };
    }
    return { status: 'ok', summary: 'the UDP target is bound to its own address', evidence, observed };
  },
};
