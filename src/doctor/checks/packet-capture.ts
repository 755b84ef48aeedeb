/**
 * Packet evidence (--capture): one more spoofed handshake, watched with
 * libpcap on every interface that is up, told as what the kernel did. The
 * ACK that completes the handshake is the proof the reply made it back.
 */
import { formatEndpoint, type Endpoint } from '../../base/net/endpoint.js';
import { probeInputs } from '../context/probe-round.js';
import { tellPacketStory } from '../capture/packet-story.js';
import { CAPTURE_CLIENT } from '../routing/probe-addresses.js';
import { targetIsLocal } from '../routing/reply-route.js';
import type { Check, CheckResult } from '../types.js';

// Long enough for the kernel's first SYN retransmission (RTO 1 s).
const MIN_CAPTURE_PROBE_MS = 1500;

/**
 * What the capture can tell. libpcap sees a packet on lo when it is sent
 * there, after OUTPUT and POSTROUTING but before the receiving side's
 * PREROUTING and INPUT: a SYN seen on lo may still be dropped on its way in
 * (the firewall check names the rule).
 */
function failureSummary(local: boolean, target: string, synAckInterfaces: string[]): string {
  if (local) {
    if (synAckInterfaces.length === 0)
      return 'the SYN crossed lo and no SYN-ACK followed: the SYN was dropped on its way in (PREROUTING, INPUT) or the SYN-ACK before it left (routing, OUTPUT)';
    if (synAckInterfaces.every((name) => name === 'lo'))
      return 'the SYN-ACK crossed lo but never reached the spoofed socket: it was dropped on its way in (PREROUTING, INPUT)';
    return `the SYN crossed lo, its SYN-ACK went out of ${synAckInterfaces.join(', ')}`;
  }
  return synAckInterfaces.length === 0
    ? `no SYN-ACK came back from ${target}`
    : `the SYN-ACK from ${target} arrived on ${synAckInterfaces.join(', ')} but never reached the spoofed socket`;
}

export const packetCapture: Check = {
  id: 'packet-capture',
  title: 'Packet evidence',
  groups: ['capture'],
  reads: probeInputs,
  async run(ctx): Promise<CheckResult> {
    if (!ctx.options.capture) return { status: 'skip', summary: 'not requested (add --capture)', evidence: [] };
    if (ctx.setup.protocol === 'udp')
      return { status: 'skip', summary: 'captures the TCP handshake only', evidence: [] };
    const chosen: Endpoint | null = ctx.setup.target4 ?? ctx.setup.target6;
    if (!chosen) return { status: 'skip', summary: 'no target', evidence: [] };
    const client = CAPTURE_CLIENT[chosen.family];
    const links = await ctx.ip.links();
    const interfaces = links.filter((link) => link.flags.includes('UP')).map((link) => link.ifname);
    const timeoutMs = Math.max(ctx.options.probeTimeoutMs, MIN_CAPTURE_PROBE_MS);
    const probe = () =>
      ctx.system.probeConnect({
        source: { address: client, port: 0 },
        target: { address: chosen.address, port: chosen.port },
        transparent: true,
        mark: ctx.setup.mark,
        timeoutMs,
      });
    const capture = await ctx.system.capture({ interfaces, filter: `tcp and host ${client}` }, probe);
    if (!capture.ok) {
      const summary = `no packet evidence: ${capture.reason}`;
      // Asked for and missing from this install: a warning, with the commands that bring it.
      if (capture.remedy) return { status: 'warn', summary, evidence: [], remediation: capture.remedy };
      return { status: 'skip', summary, evidence: [] };
    }
    const story = tellPacketStory(capture.packets, client, chosen.address);
    const evidence = [
      `spoofed handshake ${client} → ${formatEndpoint(chosen)}, captured on ${interfaces.join(', ')}`,
      ...story.lines,
    ];
    if (story.completed)
      return { status: 'ok', summary: 'the SYN-ACK came back and the handshake completed', evidence };
    if (story.syns === 0) return { status: 'warn', summary: "the probe's SYN was not seen on any interface", evidence };
    const local = await targetIsLocal(ctx, chosen.family, chosen.address);
    return {
      status: 'fail',
      summary: failureSummary(local, chosen.address, story.synAckInterfaces),
      evidence,
      symptom: { of: 'reply-routing' },
    };
  },
};
