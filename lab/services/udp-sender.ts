/**
 * A load balancer stand-in for the UDP data plane tests, run inside a namespace:
 *   node udp-sender.js --from ADDR --to ADDR:PORT --datagrams HEX,HEX,... --expect N [--lockstep] [--timeout-ms MS]
 *     [--from-port N]
 * Binds one UDP socket to ADDR (port N, else any port: a later run with the
 * same N is the same load balancer to the data plane), sends each datagram (hex: PROXY
 * header and payload, or anything else) in order, then collects replies
 * until N arrived or the timeout passed. --lockstep waits for one reply
 * after each datagram before sending the next (every datagram must get one). Prints one JSON line: its own port
 * and every reply with its sender, text and bytes.
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';

import { countOption, option, parseHostPort } from './args.js';

export interface SenderReply {
  address: string;
  port: number;
  text: string;
  /** The same bytes in hex, for replies that are not text (an SPP header in front). */
  hex: string;
}

export interface SenderResult {
  port: number;
  replies: SenderReply[];
}

const argv = process.argv.slice(2);
const from = option(argv, 'from') ?? '127.0.0.1';
const to = parseHostPort(option(argv, 'to') ?? '');
// An empty item is an empty datagram (a valid one, zero bytes long).
const list = option(argv, 'datagrams') ?? '';
const datagrams = list === '' ? [] : list.split(',').map((hex) => Buffer.from(hex, 'hex'));
const expected = countOption(argv, 'expect', 0);
const timeoutMs = countOption(argv, 'timeout-ms', 10_000);
const lockstep = argv.includes('--lockstep');
const fromPort = countOption(argv, 'from-port', 0);

const socket = createSocket({ type: isIPv6(from) ? 'udp6' : 'udp4' });
const replies: SenderReply[] = [];
let replyArrived: (() => void) | null = null;

function finish(): void {
  clearTimeout(timer);
  console.log(JSON.stringify({ port: socket.address().port, replies } satisfies SenderResult));
  socket.close();
}

const timer = setTimeout(finish, timeoutMs);
socket.on('message', (message, rinfo) => {
  replies.push({
    address: rinfo.address,
    port: rinfo.port,
    text: message.toString('utf8'),
    hex: message.toString('hex'),
  });
  replyArrived?.();
  if (replies.length >= expected) finish();
});
async function sendAll(): Promise<void> {
  for (const datagram of datagrams) {
    const replied = new Promise<void>((resolve) => (replyArrived = resolve));
    await new Promise<void>((resolve, reject) =>
      socket.send(datagram, to.port, to.host, (error) => (error ? reject(error) : resolve())),
    );
    if (lockstep) await replied;
  }
  if (expected === 0) finish();
}
socket.bind(fromPort, from, () => {
  sendAll().catch((error: unknown) => {
    process.stderr.write(`udp-sender: ${String(error)}\n`);
    process.exit(1);
  });
});
