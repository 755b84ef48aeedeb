/**
 * UDP targets must be bound to the target address itself. A socket bound to
 * the wildcard replies from whatever source address routing picks, not from
 * the target, so the `from TARGET iif lo` rule never sees its replies.
 * Read from /proc/net/udp{,6}, the kernel's own table of UDP sockets.
 */
import { formatHostPort, type HostPort } from '../options/proxy-setup.js';
import { PROBE_CLIENT } from '../routing/probe-addresses.js';
import { formatRoute } from '../routing/tables.js';
import type { Check, CheckResult } from '../types.js';

export interface UdpSocket {
  family: 4 | 6;
  address: string;
  port: number;
}

/** Kernel hex is the in-memory byte order of 32-bit words (little-endian here). */
function hexAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => (word.match(/../g) ?? []).reverse().map((byte) => parseInt(byte, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

export function parseProcNetUdp(text: string, family: 4 | 6): UdpSocket[] {
  return text
    .split('\n')
    .slice(1)
    .flatMap((line) => {
      const local = line.trim().split(/\s+/)[1];
      const [address, port] = local?.split(':') ?? [];
      if (!address || !port) return [];
      return [{ family, address: hexAddress(address), port: parseInt(port, 16) }];
    });
}

const WILDCARD = new Set(['0.0.0.0', '::']);

export const udpWildcard: Check = {
  id: 'udp-wildcard',
  title: 'UDP target binding',
  groups: ['udp'],
  async run(ctx): Promise<CheckResult> {
    if (ctx.setup.protocol !== 'udp') return { status: 'skip', summary: 'TCP mode (-p tcp)', evidence: [] };
    const sockets = [
      ...parseProcNetUdp((await ctx.system.readFile('/proc/net/udp')) ?? '', 4),
      ...parseProcNetUdp((await ctx.system.readFile('/proc/net/udp6')) ?? '', 6),
    ];
    const targets = [ctx.setup.target4, ctx.setup.target6].filter((entry): entry is HostPort => entry !== null);
    const evidence: string[] = [];
    const wildcard: HostPort[] = [];
    const absent: HostPort[] = [];
    for (const entry of targets) {
      const bound = sockets.filter(
        (socket) => socket.port === entry.port && (socket.address === entry.address || WILDCARD.has(socket.address)),
      );
      for (const socket of bound) evidence.push(`UDP socket bound to ${formatHostPort({ ...socket })}`);
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
        summary: `the app's UDP socket for ${wildcard.map(formatHostPort).join(', ')} is bound to a wildcard address: its replies miss the loopback routing`,
        evidence,
        remediation: {
          commands: wildcard.map(
            (entry) =>
              `# bind the app to ${formatHostPort(entry)} instead of ${entry.family === 6 ? '[::]' : '0.0.0.0'}:${entry.port}`,
          ),
          text: 'Configure the app to listen on the target address itself (not 0.0.0.0 / ::).',
        },
      };
    }
    if (absent.length) {
      return {
        status: 'warn',
        summary: `nothing is bound to UDP ${absent.map(formatHostPort).join(', ')} yet`,
        evidence,
      };
    }
    return { status: 'ok', summary: 'the UDP target is bound to its own address', evidence };
  },
};
