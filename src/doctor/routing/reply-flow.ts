/**
 * The app's reply to a spoofed client, with the selectors it really
 * carries, so that rules written with them (`ipproto tcp sport 7000`,
 * `uidrange`) are judged on the real packet, both by the kernel (`ip route
 * get` with the same selectors) and by the model (./policy/walk.ts):
 * - from the target address and port to the client, TCP or UDP as proxied;
 * - the user of the app's socket, from the kernel's socket table (the
 *   listener for TCP, the bound socket for UDP);
 * - the mark: a SYN-ACK carries the listener's mark, which is 0 unless the
 *   app sets SO_MARK or net.ipv4.tcp_fwmark_accept = 1 hands it the mark of
 *   mmproxy's SYN (inet_request_mark);
 * - iif lo, no oif (the doctor cannot see a socket bound to a device), TOS 0.
 */
import { formatEndpoint, type Endpoint } from '../../base/net/endpoint.js';
import { parseProcNetEntries, SOCKET_STATE, type SocketEntry } from '../../base/net/proc-net.js';
import type { DoctorContext } from '../context/context.js';
import type { RouteQuery } from '../context/ip-reader.js';
import { IPPROTO, type Flow } from './policy/flow.js';
import { PROBE_CLIENT } from './probe-addresses.js';

/** The client port the reply goes to: real clients use any; this one is in Linux's default ephemeral range. */
export const REPRESENTATIVE_CLIENT_PORT = 40000;

const WILDCARD = { 4: '0.0.0.0', 6: '::' } as const;

async function socketTable(ctx: DoctorContext, protocol: 'tcp' | 'udp', family: 4 | 6): Promise<SocketEntry[]> {
  const text = await ctx.system.readFile(`/proc/net/${protocol}${family === 6 ? '6' : ''}`);
  return parseProcNetEntries(text ?? '', family);
}

/** The app's socket for the target: bound to it, or to a wildcard (an IPv6 one serves IPv4 too). */
async function appSocket(ctx: DoctorContext, target: Endpoint, protocol: 'tcp' | 'udp'): Promise<SocketEntry | null> {
  const families: (4 | 6)[] = target.family === 4 ? [4, 6] : [6];
  const tables = await Promise.all(families.map((family) => socketTable(ctx, protocol, family)));
  const candidates = tables
    .flat()
    .filter((entry) => entry.local.port === target.port)
    .filter((entry) => protocol === 'udp' || entry.state === SOCKET_STATE.listen)
    .filter((entry) => [target.address, WILDCARD[entry.local.family]].includes(entry.local.address));
  // The kernel prefers the socket bound to the address itself.
  return candidates.find((entry) => entry.local.address === target.address) ?? candidates[0] ?? null;
}

export async function replyFlow(ctx: DoctorContext, target: Endpoint): Promise<Flow> {
  const protocol = ctx.setup.protocol;
  const [socket, fwmarkAccept] = await Promise.all([
    appSocket(ctx, target, protocol),
    protocol === 'tcp' ? ctx.sysctl('net.ipv4.tcp_fwmark_accept') : Promise.resolve(null),
  ]);
  return {
    family: target.family,
    src: target.address,
    dst: PROBE_CLIENT[target.family],
    iif: 'lo',
    oif: null,
    mark: fwmarkAccept === '1' ? ctx.setup.mark : 0,
    proto: IPPROTO[protocol],
    sport: target.port,
    dport: REPRESENTATIVE_CLIENT_PORT,
    uid: socket?.uid ?? 0,
    tos: 0,
    assumed: {
      dst: 'a documentation address standing for any client',
      dport: 'any client port; this one stands for them',
      ...(socket ? {} : { uid: `nothing is bound to ${formatEndpoint(target)} yet, so root's is assumed` }),
    },
  };
}

/** `ip route get` for exactly this packet. */
export function flowQuery(flow: Flow): RouteQuery {
  return {
    family: flow.family,
    destination: flow.dst,
    from: flow.src,
    mark: flow.mark,
    ipproto: flow.proto === IPPROTO.udp ? 'udp' : 'tcp',
    sport: flow.sport,
    dport: flow.dport,
    uid: flow.uid,
  };
}
