/**
 * Turns the packets of one spoofed handshake into what the kernel did: the
 * SYNs seen on lo (and their retransmissions), and whether the SYN-ACK was
 * sent at all and out of which interface.
 */
import type { CapturedPacket } from './capture-types.js';

export interface PacketStory {
  synsOnLo: number;
  /** Interfaces the SYN-ACK crossed, in order of first appearance. */
  synAckInterfaces: string[];
  /** True when the SYN-ACK crossed lo, i.e. the handshake could complete. */
  synAckOnLo: boolean;
  lines: string[];
}

const isSyn = (packet: CapturedPacket) => packet.flags.includes('SYN') && !packet.flags.includes('ACK');
const isSynAck = (packet: CapturedPacket) => packet.flags.includes('SYN') && packet.flags.includes('ACK');

export function tellPacketStory(packets: CapturedPacket[], client: string, target: string): PacketStory {
  const syns = packets.filter((packet) => isSyn(packet) && packet.source === client && packet.destination === target);
  const synAcks = packets.filter((packet) => isSynAck(packet) && packet.source === target && packet.destination === client);
  const synsOnLo = syns.filter((packet) => packet.interface === 'lo').length;
  const synAckInterfaces = [...new Set(synAcks.map((packet) => packet.interface))];
  const lines: string[] = [];
  lines.push(
    synsOnLo === 0
      ? `no SYN from ${client} to ${target} seen on lo`
      : `SYN ${client} → ${target} seen on lo ×${synsOnLo}${synsOnLo > 1 ? ` (${synsOnLo - 1} retransmission${synsOnLo > 2 ? 's' : ''}: no SYN-ACK came back)` : ''}`,
  );
  if (synAcks.length === 0) lines.push(`SYN-ACK ${target} → ${client}: never sent (the kernel found no route for it)`);
  for (const iface of synAckInterfaces) {
    const count = synAcks.filter((packet) => packet.interface === iface).length;
    lines.push(`SYN-ACK ${target} → ${client} sent out of ${iface} ×${count}${iface === 'lo' ? '' : ' (not lo: it goes to the default route and is lost)'}`);
  }
  return { synsOnLo, synAckInterfaces, synAckOnLo: synAckInterfaces.includes('lo'), lines };
}
