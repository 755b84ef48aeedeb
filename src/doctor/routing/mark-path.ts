/**
 * How the proxy's mark travels with mark-based routing, walked through every
 * netfilter ruleset of the host (../firewall/walk.ts) as the kernel runs them:
 *
 * - the spoofed SYN carries the mark (SO_MARK); a rule anywhere on its way may
 *   save it on the connection: OUTPUT or POSTROUTING as it leaves, and for a
 *   target on this host PREROUTING or INPUT as it comes back in on lo (the
 *   mark and the connection travel with a looped packet; cloudflare/mmproxy's
 *   README saves it in PREROUTING);
 * - a remote target's SYN must lose the mark in OUTPUT, where the kernel
 *   routes it again, or the fwmark rule delivers it locally;
 * - the reply must get the mark back where it is routed: for a local target
 *   in OUTPUT, and only a chain that routes again counts (nftables `type
 *   route`, iptables' mangle table); for a remote target in PREROUTING, before
 *   the input route lookup.
 */
import type { Ruleset } from '../firewall/model.js';
import type { ProbeFlow } from '../firewall/path.js';
import { walkLeg, type LegResult, type MarkChange } from '../firewall/walk.js';
import type { Connection, Packet } from '../firewall/evaluate.js';

export interface MarkPath {
  /** The connection's mark once the SYN has passed every hook it crosses on this host. */
  connectionMark: number;
  /** The rule that last wrote the connection's mark on the SYN's way, if any. */
  saved: MarkChange | null;
  /** A remote target's SYN: the mark the kernel routes it with once OUTPUT has run. */
  synRoutedWith: number;
  /** The reply's mark where the kernel routes it (OUTPUT's re-route, or the end of PREROUTING), had the save worked. */
  replyRoutedWith: number;
  /** The rule that gave the reply that mark, if any. */
  restored: MarkChange | null;
  /** Rules that gave the reply the mark where the kernel does not route it again. */
  tooLate: MarkChange[];
}

const NEW: Connection = { state: 'new', direction: 'original', mark: 0 };

function synPacket(flow: ProbeFlow): Packet {
  return {
    family: flow.family,
    protocol: flow.protocol === 'tcp' ? 6 : 17,
    saddr: flow.client,
    daddr: flow.target,
    sport: flow.clientPort,
    dport: flow.targetPort,
    tcpFlags: flow.protocol === 'tcp' ? ['syn'] : [],
    iif: null,
    oif: flow.targetLocal ? 'lo' : flow.targetInterface,
    mark: flow.mark,
    ct: null,
  };
}

function replyPacket(flow: ProbeFlow, mark: number): Packet {
  return {
    family: flow.family,
    protocol: flow.protocol === 'tcp' ? 6 : 17,
    saddr: flow.target,
    daddr: flow.client,
    sport: flow.targetPort,
    dport: flow.clientPort,
    tcpFlags: flow.protocol === 'tcp' ? ['syn', 'ack'] : [],
    iif: flow.targetLocal ? null : flow.replyInterface,
    // Routed unmarked first: the reply leaves by the default route's interface until a re-route.
    oif: flow.targetLocal ? flow.replyInterface : null,
    mark,
    ct: null,
  };
}

const lastConnectionWrite = (legs: LegResult[]) =>
  legs.flatMap((leg) => leg.markChanges.filter((change) => change.target === 'ct')).at(-1) ?? null;

/** Walks the SYN and the reply of one flow; `flow.mark` is the proxy's -mark. */
export function traceMark(ruleset: Ruleset, flow: ProbeFlow): MarkPath {
  const out = walkLeg(ruleset, {
    name: 'the spoofed SYN leaving',
    packet: synPacket(flow),
    hooks: ['output', 'postrouting'],
    connection: NEW,
    connectionAttached: false,
    natConsulted: true,
  });
  const synLegs = [out];
  if (flow.targetLocal) {
    synLegs.push(
      walkLeg(ruleset, {
        name: 'the spoofed SYN arriving on lo',
        packet: { ...out.packet, iif: 'lo', oif: null },
        hooks: ['prerouting', 'input'],
        connection: out.packet.ct ?? NEW,
        connectionAttached: out.packet.ct !== null,
        natConsulted: false,
      }),
    );
  }
  const connectionMark = synLegs.at(-1)!.packet.ct?.mark ?? 0;
  // The reply is walked as if the save had worked, so that a missing save and a missing restore are told apart.
  const answered: Connection = { state: 'established', direction: 'reply', mark: flow.mark };
  const reply = walkLeg(ruleset, {
    name: 'the reply',
    packet: replyPacket(flow, 0),
    hooks: flow.targetLocal ? ['output', 'postrouting'] : ['prerouting'],
    connection: answered,
    connectionAttached: false,
    natConsulted: false,
  });
  const replyRoutedWith = flow.targetLocal ? (reply.rerouteMark ?? 0) : reply.packet.mark;
  const marking = reply.markChanges.filter((change) => change.target === 'meta' && change.after === flow.mark);
  const rerouted = (change: MarkChange) =>
    !flow.targetLocal || (change.hook === 'output' && change.baseChain.base?.type === 'route');
  return {
    connectionMark,
    saved: lastConnectionWrite(synLegs),
    synRoutedWith: out.rerouteMark ?? flow.mark,
    replyRoutedWith,
    restored: replyRoutedWith === flow.mark ? (marking.filter(rerouted).at(-1) ?? null) : null,
    tooLate: replyRoutedWith === flow.mark ? [] : marking.filter((change) => !rerouted(change)),
  };
}
