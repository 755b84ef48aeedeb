/**
 * UDP targets must be bound to the target address itself. A socket bound to
 * the wildcard replies from whatever source address routing picks, not from
 * the target, so the `from TARGET iif lo` rule never sees its replies.
 * Read from /proc/net/udp{,6}, the kernel's own table of UDP sockets.
 */
import { parseProcNetSockets } from '../../base/net/proc-net.js';
import { formatEndpoint, type Endpoint } from '../../base/net/endpoint.js';
import { PROBE_CLIENT } from '../routing/probe-addresses.js';
import { formatRoute } from '../routing/tables.js';
import type { Check, CheckResult } from '../types.js';
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

export const udpWildcard: Check = {
  id: 'udp-wildcard',
  title: 'UDP target binding',
  groups: ['udp'],
  async run(ctx): Promise<CheckResult> {
    if (ctx.setup.protocol !== 'udp') return { status: 'skip', summary: 'TCP mode (-p tcp)', evidence: [] };
    const sockets = [
      ...parseProcNetSockets((await ctx.system.readFile('/proc/net/udp')) ?? '', 4),
      ...parseProcNetSockets((await ctx.system.readFile('/proc/net/udp6')) ?? '', 6),
    ];
    const targets = [ctx.setup.target4, ctx.setup.target6].filter((entry): entry is Endpoint => entry !== null);
    const evidence: string[] = [udpHeaderNote(ctx.setup.udpHeader ?? 'every')];
    const wildcard: Endpoint[] = [];
    const absent: Endpoint[] = [];
    for (const entry of targets) {
      const bound = sockets.filter(
        (socket) => socket.port === entry.port && (socket.address === entry.address || WILDCARD.has(socket.address)),
      );
      for (const socket of bound) evidence.push(`UDP socket bound to ${formatEndpoint({ ...socket })}`);
      if (bound.some((socket) => socket.address === entry.address)) continue;
      if (bound.length === 0) {
        absent.push(entry);
        continue;
      }
      wildcard.push(entry);
      const answer = await ctx.ip.routeGet({ family: entry.family, destination: PROBE_CLIENT[entry.family] });
      const chosen = answer.ok
        ? (answer.route.prefsrc ?? answer.route.from ?? "the outgoing interface's address")
        : answer.error;
      evidence.push(
        `a reply to ${PROBE_CLIENT[entry.family]} from the wildcard socket takes source ${chosen}` +
          (answer.ok ? ` (\`${answer.command}\` → ${formatRoute(answer.route)})` : '') +
          `, not ${entry.address}: the loopback rule for ${entry.address} never matches it`,
      );
    }
    if (wildcard.length) {
      return {
        status: 'fail',
        summary: `the app's UDP socket for ${wildcard.map(formatEndpoint).join(', ')} is bound to a wildcard address: its replies miss the loopback routing`,
        evidence,
        remediation: {
          commands: wildcard.map(
            (entry) =>
              `# bind the app to ${formatEndpoint(entry)} instead of ${entry.family === 6 ? '[::]' : '0.0.0.0'}:${entry.port}`,
          ),
          text: 'Configure the app to listen on the target address itself (not 0.0.0.0 / ::).',
        },
      };
    }
    if (absent.length) {
      return {
        status: 'warn',
        summary: `nothing is bound to UDP ${absent.map(formatEndpoint).join(', ')} yet`,
        evidence,
      };
    }
    return { status: 'ok', summary: 'the UDP target is bound to its own address', evidence };
  },
};
