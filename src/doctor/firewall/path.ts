/**
 * The hooks a spoofed probe's packets cross on this host, in order, and the
 * walk of each through the rulesets. For a target on this host everything
 * goes over lo: the spoofed SYN leaves through OUTPUT and POSTROUTING and
 * comes back in through PREROUTING and INPUT (carrying the connection
 * conntrack gave it on the way out); the app's SYN-ACK does the same in the
 * other direction. For a target elsewhere the SYN leaves by the interface
 * facing it and the SYN-ACK arrives there. UDP datagrams take the same ways.
 * The connection mark the first packet's rules save is what the reply's
 * rules restore, so the legs are walked in order.
 */
import type { IpAddress } from '../../base/net/ip.js';
import type { Connection, Packet } from './evaluate.js';
import type { Hook, Ruleset, TcpFlag } from './model.js';
import { walkLeg, type CounterWitness, type LegResult } from './walk.js';

export interface ProbeFlow {
  family: 4 | 6;
  protocol: 'tcp' | 'udp';
  client: IpAddress;
  /** The probe's source port, when known. */
  clientPort: number | null;
  target: IpAddress;
  targetPort: number;
  /** SO_MARK of the proxy's upstream socket (-mark), 0 when unset. */
  mark: number;
  /** The target is an address of this host (its packets cross lo). */
  targetLocal: boolean;
  /** Where the reply leaves by (local target: lo when loopback routing works), or arrives on (remote target). */
  replyInterface: string;
  /** The interface the SYN leaves by toward a remote target. */
  targetInterface: string;
}

const OUT: Hook[] = ['output', 'postrouting'];
const IN: Hook[] = ['prerouting', 'input'];

function names(flow: ProbeFlow): { first: string; reply: string } {
  return flow.protocol === 'tcp'
    ? { first: 'spoofed SYN', reply: 'SYN-ACK' }
    : { first: 'spoofed datagram', reply: 'reply' };
}

/**
 * The first packet (client → target, with the proxy's mark) or the app's
 * reply (target → client, unmarked), as it starts its way through this host.
 */
function probePacket(flow: ProbeFlow, direction: 'original' | 'reply'): Packet {
  const original = direction === 'original';
  const [from, fromPort, to, toPort] = original
    ? [flow.client, flow.clientPort, flow.target, flow.targetPort]
    : [flow.target, flow.targetPort, flow.client, flow.clientPort];
  const leaving = original ? (flow.targetLocal ? 'lo' : flow.targetInterface) : flow.replyInterface;
  const outgoing = original || flow.targetLocal;
  const flags: TcpFlag[] = original ? ['syn'] : ['syn', 'ack'];
  return {
    family: flow.family,
    protocol: flow.protocol === 'tcp' ? 6 : 17,
    saddr: from,
    daddr: to,
    sport: fromPort,
    dport: toPort,
    tcpFlags: flow.protocol === 'tcp' ? flags : [],
    iif: outgoing ? null : leaving,
    oif: outgoing ? leaving : null,
    mark: original ? flow.mark : 0,
    ct: null,
  };
}

/** The same packet received on lo after it left by it: the mark and the connection travel with it. */
function looped(result: LegResult): Packet {
  return { ...result.packet, iif: 'lo', oif: null };
}

/** Walks every leg of one probe's handshake (or datagram and reply), forward first. */
export function walkProbePath(ruleset: Ruleset, flow: ProbeFlow, witness?: CounterWitness): LegResult[] {
  const { first, reply } = names(flow);
  const results: LegResult[] = [];
  const original: Connection = { state: 'new', direction: 'original', mark: 0 };
  const out = walkLeg(
    ruleset,
    {
      name: `the ${first} leaving (${flow.targetLocal ? 'to lo' : `by ${flow.targetInterface}`})`,
      packet: probePacket(flow, 'original'),
      hooks: OUT,
      connection: original,
      connectionAttached: false,
      natConsulted: true,
    },
    witness,
  );
  results.push(out);
  let connection: Connection = out.packet.ct ?? original;
  if (flow.targetLocal) {
    const inbound = walkLeg(
      ruleset,
      {
        name: `the ${first} arriving on lo`,
        packet: looped(out),
        hooks: IN,
        connection,
        connectionAttached: out.packet.ct !== null,
        natConsulted: false,
      },
      witness,
    );
    results.push(inbound);
    connection = inbound.packet.ct ?? connection;
  }
  const answered: Connection = { state: 'established', direction: 'reply', mark: connection.mark };
  if (flow.targetLocal) {
    const replyOut = walkLeg(
      ruleset,
      {
        name: `the app's ${reply} leaving (by ${flow.replyInterface})`,
        packet: probePacket(flow, 'reply'),
        hooks: OUT,
        connection: answered,
        connectionAttached: false,
        natConsulted: false,
      },
      witness,
    );
    results.push(replyOut);
    if (flow.replyInterface === 'lo') {
      results.push(
        walkLeg(
          ruleset,
          {
            name: `the ${reply} arriving on lo for the spoofed socket`,
            packet: looped(replyOut),
            hooks: IN,
            connection: replyOut.packet.ct ?? answered,
            connectionAttached: replyOut.packet.ct !== null,
            natConsulted: false,
          },
          witness,
        ),
      );
    }
  } else {
    results.push(
      walkLeg(
        ruleset,
        {
          name: `the ${reply} arriving on ${flow.replyInterface}`,
          packet: probePacket(flow, 'reply'),
          hooks: IN,
          connection: answered,
          connectionAttached: false,
          natConsulted: false,
        },
        witness,
      ),
    );
  }
  return results;
}
