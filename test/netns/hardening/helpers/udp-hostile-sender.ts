/**
 * A hostile load balancer for UDP, run inside a namespace:
 *   node udp-hostile-sender.js --to ADDR:PORT --bind-port PORT --plan FILE
 * Sends the plan's datagrams (UdpPlan) from one socket in small bursts. After each burst it sends a legitimate
 * probe (a valid PROXY v2 header and "probe N") from the same socket and waits for the service's answer: the
 * listener queue is FIFO per socket, so the answer proves every hostile datagram before it was handled, which
 * paces the run below the socket buffer (a kernel drop would break the exact counts) and checks that a real
 * session keeps working, its bytes intact and in order. A fixed source port keeps that session the same from
 * one run to the next. Prints one JSON line, UdpSendReport.
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

import { option, parseHostPort } from '../../../../lab/services/args.js';

export interface UdpPlan {
  datagrams: string[];
  probeHeaderHex: string;
  /** What the service answers to a probe, before its payload: `PEER <client> <port>\n`. */
  probeReplyPrefix: string;
  /** Probes on top of the one after each burst. */
  extraProbes: number;
  burstDatagrams: number;
  burstBytes: number;
  probeTimeoutMs: number;
}

export interface UdpSendReport {
  sent: number;
  probes: number;
  probesAnswered: number;
  problems: string[];
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const to = parseHostPort(option(argv, 'to') ?? '');
  const plan = JSON.parse(readFileSync(option(argv, 'plan') ?? '', 'utf8')) as UdpPlan;
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(Number(option(argv, 'bind-port') ?? '0'), resolve));
  const probeHeader = Buffer.from(plan.probeHeaderHex, 'hex');
  const report: UdpSendReport = { sent: 0, probes: 0, probesAnswered: 0, problems: [] };
  let answer: ((reply: Buffer) => void) | null = null;
  socket.on('message', (reply) => answer?.(reply));

  const send = (datagram: Buffer): Promise<void> =>
    new Promise((resolve, reject) =>
      socket.send(datagram, to.port, to.host, (error) => (error ? reject(error) : resolve())),
    );

  const probe = async (): Promise<void> => {
    const text = `probe ${report.probes++}`;
    const reply = new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), plan.probeTimeoutMs);
      answer = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
    });
    await send(Buffer.concat([probeHeader, Buffer.from(text)]));
    const got = await reply;
    answer = null;
    const expected = `${plan.probeReplyPrefix}${text}`;
    if (got?.toString('latin1') === expected) report.probesAnswered++;
    else
      report.problems.push(
        `${text}: ${got === null ? 'no answer' : JSON.stringify(got.toString('latin1').slice(0, 80))}`,
      );
  };

  await probe();
  let burst = 0;
  let burstBytes = 0;
  for (const hex of plan.datagrams) {
    const datagram = Buffer.from(hex, 'hex');
    if (burst > 0 && (burst >= plan.burstDatagrams || burstBytes + datagram.length > plan.burstBytes)) {
      await probe();
      burst = 0;
      burstBytes = 0;
    }
    await send(datagram);
    report.sent++;
    burst++;
    burstBytes += datagram.length;
  }
  for (let i = 0; i <= plan.extraProbes; i++) await probe();
  socket.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

void main();
