/**
 * The narrowest rule that lets a probe's packet past the rule (or policy)
 * that dropped it: an accept for exactly that packet's way, inserted just
 * before the dropping rule (or appended, for a policy). For a target on this
 * host it names lo, which only ever carries this host's own packets, so it
 * admits mmproxy's spoofed connections and nothing from the network; it also
 * names the target's address, protocol and port, so no other service gains
 * anything. Shown to the user, never applied by the doctor.
 */
import { formatIp, type IpAddress } from '../../base/net/ip.js';
import type { Drop } from './walk.js';
import type { ProbeFlow } from './path.js';

interface Match {
  interface: { dir: 'in' | 'out'; name: string } | null;
  side: 'destination' | 'source';
  address: IpAddress;
  protocol: 'tcp' | 'udp';
  port: number;
}

/** What identifies the dropped packet: its interface, and the target end of it. */
function matchFor(drop: Drop, flow: ProbeFlow): Match {
  const packet = drop.leg.packet;
  const towardTarget = drop.leg.connection.direction === 'original';
  const incoming = drop.hook === 'prerouting' || drop.hook === 'input';
  const name = incoming ? packet.iif : packet.oif;
  return {
    interface: name ? { dir: incoming ? 'in' : 'out', name } : null,
    side: towardTarget ? 'destination' : 'source',
    address: flow.target,
    protocol: flow.protocol,
    port: flow.targetPort,
  };
}

function iptablesCommand(drop: Drop, match: Match): string {
  const { chain, rule } = drop;
  const tool = `${chain.family === 'ip6' ? 'ip6tables' : 'iptables'}${chain.backend === 'iptables-legacy' ? '-legacy' : ''}`;
  const where = rule ? `-I ${chain.name} ${rule.ref.position}` : `-A ${chain.name}`;
  const parts = [tool, '-t', chain.table, where];
  if (match.interface) parts.push(match.interface.dir === 'in' ? '-i' : '-o', match.interface.name);
  const [addressFlag, portFlag] = match.side === 'destination' ? ['-d', '--dport'] : ['-s', '--sport'];
  parts.push(addressFlag, formatIp(match.address), '-p', match.protocol, portFlag, String(match.port), '-j', 'ACCEPT');
  return parts.join(' ');
}

function nftCommand(drop: Drop, match: Match): string {
  const { chain, rule } = drop;
  const head =
    rule === null
      ? ['nft', 'add', 'rule', chain.family, chain.table, chain.name]
      : [
          'nft',
          'insert',
          'rule',
          chain.family,
          chain.table,
          chain.name,
          ...(rule.ref.handle !== undefined ? ['position', String(rule.ref.handle)] : []),
        ];
  const parts = [...head];
  if (match.interface) parts.push(match.interface.dir === 'in' ? 'iifname' : 'oifname', match.interface.name);
  const [addressField, portField] = match.side === 'destination' ? ['daddr', 'dport'] : ['saddr', 'sport'];
  parts.push(match.address.family === 6 ? 'ip6' : 'ip', addressField, formatIp(match.address));
  parts.push(match.protocol, portField, String(match.port), 'accept');
  return parts.join(' ');
}

/** The exact command that lets this packet through where it was dropped. */
export function narrowAcceptCommand(drop: Drop, flow: ProbeFlow): string {
  const match = matchFor(drop, flow);
  return drop.chain.backend === 'nftables' ? nftCommand(drop, match) : iptablesCommand(drop, match);
}
