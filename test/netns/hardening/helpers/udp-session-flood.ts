/**
 * Real UDP sessions under a flood of forged clients, run inside a namespace:
 *   node udp-session-flood.js --to ADDR:PORT --from ADDR --real N --forged N --go-file PATH [--interval-ms MS]
 * One load balancer socket carries N real clients (192.0.2.101, ... port 5000) that exchange datagrams with the
 * service in turn, one every --interval-ms, for the whole run. Once each has had two answers (the data plane
 * then sees them as exchanging traffic) it prints `WARM`, and waits for --go-file to exist: the test reads the
 * sessions first. Then a second socket sends one datagram from each of the forged clients (203.0.113.1-250, a
 * port each), in bursts; the real clients go on until 300 ms after the flood. Prints one JSON line,
 * FloodReport.
 */
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

import { encodeProxyHeader } from '../../../../src/proxy-protocol/encode.js';
import { countOption, option, parseHostPort } from '../../../../lab/services/args.js';

export interface FloodReport {
  realSent: number;
  realAnswered: number;
  forgedSent: number;
  /** Answers to forged clients that came back to the flooding socket. */
  forgedAnswered: number;
  floodMs: number;
}

const DESTINATION = { address: '203.0.113.200', port: 7000 };
/** Forged datagrams sent before yielding to the event loop, so the real clients keep their pace. */
const BURST = 32;
const GO_POLL_MS = 20;
const AFTER_FLOOD_MS = 300;

function datagram(address: string, port: number, text: string): Buffer {
  const header = encodeProxyHeader({
    version: 2,
    transport: 'dgram',
    source: { address, port },
    destination: DESTINATION,
  });
  return Buffer.concat([header, Buffer.from(text)]);
}

function send(socket: Socket, bytes: Buffer, to: { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.send(bytes, to.port, to.host, (error) => (error ? reject(error) : resolve())),
  );
}

async function bound(from: string): Promise<Socket> {
  const socket = createSocket(from.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => socket.bind(0, from, resolve));
  return socket;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const to = parseHostPort(option(argv, 'to') ?? '');
  const from = option(argv, 'from') ?? '127.0.0.1';
  const realCount = countOption(argv, 'real', 5);
  const forgedCount = countOption(argv, 'forged', 10_000);
  const intervalMs = countOption(argv, 'interval-ms', 20);
  const goFile = option(argv, 'go-file') ?? '';
  const report: FloodReport = { realSent: 0, realAnswered: 0, forgedSent: 0, forgedAnswered: 0, floodMs: 0 };

  const real = await bound(from);
  const answers = new Array<number>(realCount).fill(0);
  real.on('message', (message) => {
    const match = /^PEER 192\.0\.2\.(\d+) /.exec(message.toString('latin1'));
    const index = match ? Number(match[1]) - 101 : -1;
    if (index >= 0 && index < realCount) {
      answers[index]!++;
      report.realAnswered++;
    }
  });
  let stopReal = false;
  const realLoop = (async () => {
    for (let turn = 0; !stopReal; turn++) {
      const index = turn % realCount;
      await send(real, datagram(`192.0.2.${101 + index}`, 5000, `real ${turn}`), to);
      report.realSent++;
      await delay(intervalMs);
    }
  })();

  while (answers.some((count) => count < 2)) await delay(GO_POLL_MS);
  process.stdout.write('WARM\n');
  while (!existsSync(goFile)) await delay(GO_POLL_MS);

  const flood = await bound(from);
  flood.on('message', () => report.forgedAnswered++);
  const started = Date.now();
  for (let i = 0; i < forgedCount; i++) {
    await send(flood, datagram(`203.0.113.${(i % 250) + 1}`, 10_000 + Math.floor(i / 250), `forged ${i}`), to);
    report.forgedSent++;
    if (i % BURST === BURST - 1) await new Promise((resolve) => setImmediate(resolve));
  }
  report.floodMs = Date.now() - started;
  await delay(AFTER_FLOOD_MS);
  stopReal = true;
  await realLoop;
  // Answers still on their way: one interval more.
  await delay(intervalMs * 2);
  real.close();
  flood.close();
  console.log(JSON.stringify(report));
}

main().catch((error: unknown) => {
  process.stderr.write(`udp-session-flood: ${String(error)}\n`);
  process.exit(1);
});
