/**
 * The packet a route lookup is made for, with every field a rule selector
 * can look at (the kernel's struct flowi). For the app's reply to a spoofed
 * client these are the values its SYN-ACK (or UDP reply) really carries:
 * from the target to the client, the target's protocol and port, the mark
 * and user of the app's socket, and iif lo, because the kernel runs every
 * output lookup of a locally generated packet with iif set to loopback.
 */
import type { Family } from './rule.js';

export const IPPROTO = { tcp: 6, udp: 17 } as const;

export interface Flow {
  family: Family;
  src: string;
  dst: string;
  /** The input interface: "lo" for a locally generated packet. */
  iif: string;
  /** The output interface the socket is bound to (SO_BINDTODEVICE, IP_PKTINFO), or null. */
  oif: string | null;
  mark: number;
  proto: number;
  sport: number;
  dport: number;
  uid: number;
  /** IPv4 TOS / IPv6 traffic class of the socket. */
  tos: number;
  /** Which fields were guessed rather than known, said next to any verdict that depends on them. */
  assumed: { uid?: string; dport?: string; dst?: string };
}

/** Selectors whose verdict depends on which client the reply goes to. */
export const CLIENT_SELECTORS = ['to', 'dport'] as const;
