/**
 * Datagrams for the UDP data plane tests, built with the project's PROXY
 * encoder (transport 'dgram'), and the sender that plays the load balancer.
 */
import { fileURLToPath } from 'node:url';

import { encodeProxyHeader } from '../../../../src/proxy-protocol/encode.js';
import type { SenderResult } from '../../../../lab/services/udp-sender.js';
import type { Host } from '../../../../lab/index.js';

export const UDP_SENDER = fileURLToPath(new URL('../../../../lab/services/udp-sender.js', import.meta.url));

export interface Client {
  address: string;
  port: number;
}

/** What the target's address is in the header; the data plane uses -4/-6 unless dynamicDestination. */
const DESTINATION4 = { address: '203.0.113.1', port: 7000 };
const DESTINATION6 = { address: '2001:db8::ffff', port: 7000 };

/** One datagram: a PROXY v2 DGRAM header for `client`, then `text`. */
export function proxied(client: Client, text: string): Buffer {
  const destination = client.address.includes(':') ? DESTINATION6 : DESTINATION4;
  const header = encodeProxyHeader({ version: 2, transport: 'dgram', source: client, destination });
  return Buffer.concat([header, Buffer.from(text)]);
}

/** A well-formed v1 header, which cannot describe a datagram. */
export function v1Datagram(client: Client, text: string): Buffer {
  const header = encodeProxyHeader({ version: 1, source: client, destination: DESTINATION4 });
  return Buffer.concat([header, Buffer.from(text)]);
}

export interface SendOptions {
  from: string;
  /** The sender's port; any free one when absent. The same port again is the same load balancer. */
  fromPort?: number;
  to: string;
  datagrams: Buffer[];
  expect: number;
  /** Wait for each datagram's reply before sending the next. */
  lockstep?: boolean;
  timeoutMs?: number;
}

/** Runs the sender inside host: sends every datagram in order, returns the replies it got. */
export async function sendDatagrams(host: Host, options: SendOptions): Promise<SenderResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const args = [
    '--from',
    options.from,
    '--to',
    options.to,
    '--expect',
    String(options.expect),
    '--timeout-ms',
    String(timeoutMs),
    '--datagrams',
    options.datagrams.map((datagram) => datagram.toString('hex')).join(','),
    ...(options.lockstep ? ['--lockstep'] : []),
    ...(options.fromPort === undefined ? [] : ['--from-port', String(options.fromPort)]),
  ];
  const { stdout, stderr, code } = await host.exec([process.execPath, UDP_SENDER, ...args], {
    timeoutMs: timeoutMs + 5_000,
  });
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as SenderResult;
  } catch {
    throw new Error(`udp sender printed no result (exit ${code}): ${stdout}${stderr}`);
  }
}

/** The service's answer `PEER <address> <port>\n<payload>`, split. */
export function parsePeerReply(text: string): { address: string; port: number; payload: string } | null {
  const match = /^PEER (\S+) (\d+)\n([\s\S]*)$/.exec(text);
  return match ? { address: match[1] ?? '', port: Number(match[2]), payload: match[3] ?? '' } : null;
}
