/**
 * Turns the packets of one spoofed handshake into what the kernel did: where
 * the SYNs went (and their retransmissions), whether the SYN-ACK was sent or
 * arrived and on which interface, and whether the handshake completed (the
 * spoofed side's ACK).
 */
import type { CapturedPacket } from './capture-types.js';

export interface PacketStory {
  syns: number;
  /** Interfaces the SYN-ACK crossed, in order of first appearance. */
  synAckInterfaces: string[];
  /** The spoofed socket answered the SYN-ACK: the reply routing works. */
  completed: boolean;
  lines: string[];
}

const has = (packet: CapturedPacket, flag: string) => packet.flags.includes(flag);
const countOn = (packets: CapturedPacket[]) =>
  [...new Set(packets.map((packet) => packet.interface))]
    .map((iface) => `${iface} ×${packets.filter((packet) => packet.interface === iface).length}`)
    .join(', ');

export function tellPacketStory(packets: CapturedPacket[], client: string, target: string): PacketStory {
  const outbound = packets.filter((packet) => packet.source === client && packet.destination === target);
  const inbound = packets.filter((packet) => packet.source === target && packet.destination === client);
  const syns = outbound.filter((packet) => has(packet, 'SYN') && !has(packet, 'ACK'));
  const synAcks = inbound.filter((packet) => has(packet, 'SYN') && has(packet, 'ACK'));
  const completed = outbound.some((packet) => has(packet, 'ACK') && !has(packet, 'SYN'));
  const synAckInterfaces = [...new Set(synAcks.map((packet) => packet.interface))];
  const lines: string[] = [];
  if (syns.length === 0) lines.push(`no SYN from ${client} to ${target} seen`);
  else {
    const retransmitted =
      syns.length > 1
        ? ` (${syns.length - 1} retransmission${syns.length > 2 ? 's' : ''}: no answer reached the spoofed socket)`
        : '';
    lines.push(`SYN ${client} → ${target} on ${countOn(syns)}${retransmitted}`);
  }
  lines.push(
    synAcks.length === 0
      ? `SYN-ACK ${target} → ${client}: none seen`
      : `SYN-ACK ${target} → ${client} on ${countOn(synAcks)}`,
  );
  lines.push(
    completed
      ? 'ACK from the spoofed socket: the handshake completed'
      : 'no ACK from the spoofed socket: the handshake never completed',
  );
  return { syns: syns.length, synAckInterfaces, completed, lines };
}
