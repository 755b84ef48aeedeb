/**
 * Many UDP sessions at once through a proxy, as a load balancer opens them, run inside a namespace:
 *   node udp-sessions.js --from ADDR --to ADDR:PORT --mode every|first|spp --sessions N --client-base N
 * Client i is 198.51.100.(1 + i % 250) (or 2001:db8::c:(1 + i % 250) for an IPv6 --from) at port 20000 + i / 250
 * plus --client-base, so each is distinct. every and spp: one load balancer socket, a header on each datagram.
 * first: a socket per client (the session is the load balancer's address:port), the header on its first
 * datagram only, then a bare second datagram. Datagrams go out in windows of WINDOW, each missing reply is asked
 * for again once. The service must answer `PEER <address> <port>\n<payload>`. Prints one JSON line:
 * sessions, answered (clients whose every datagram was answered as themselves), wrong (replies naming another
 * client), lost, sent (datagrams sent in each round, the asked-again ones included), elapsedMs.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';

import { countOption, option, parseHostPort } from './args.js';
import { SPP_HEADER_BYTES, sppHeader, v2DgramHeader, type UdpEndpoint } from './udp-headers.js';

const WINDOW = 256;
const REPLY_WAIT_MS = 2_000;
const ATTEMPTS = 2;

const argv = process.argv.slice(2);
const from = option(argv, 'from') ?? '127.0.0.1';
const to = parseHostPort(option(argv, 'to') ?? '');
const mode = option(argv, 'mode') ?? 'every';
const sessions = countOption(argv, 'sessions', 1);
const clientBase = countOption(argv, 'client-base', 0);
if (!['every', 'first', 'spp'].includes(mode)) {
  process.stderr.write('--mode must be every, first or spp\n');
  process.exit(2);
}
const v6 = isIPv6(from);
const destination: UdpEndpoint = v6 ? { address: '2001:db8::ff', port: 7000 } : { address: '203.0.113.1', port: 7000 };

function client(i: number): UdpEndpoint {
  const host = 1 + (i % 250);
  return {
    address: v6 ? `2001:db8::c:${host.toString(16)}` : `198.51.100.${host}`,
    port: 20000 + clientBase + Math.floor(i / 250),
  };
}

/** What the service says back for client i's datagram n: how the reply names its client and payload. */
const expectedReply = (i: number, n: number) => {
  const c = client(i);
  return `PEER ${c.address} ${c.port}\ns${i}.${n}`;
};

// The datagrams of each client: two per client, so `first` relays a bare one after the header.
const DATAGRAMS_PER_CLIENT = 2;
function datagram(i: number, n: number): Buffer {
  const payload = Buffer.from(`s${i}.${n}`);
  if (mode === 'spp') return Buffer.concat([sppHeader(client(i), destination), payload]);
  if (mode === 'first' && n > 0) return payload;
  return Buffer.concat([v2DgramHeader(client(i), destination), payload]);
}

async function open(): Promise<Socket> {
  const socket = createSocket({ type: v6 ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: from, port: 0 }, () => resolve());
  });
  return socket;
}

const answered = new Set<string>();
let wrong = 0;
const sockets: Socket[] = [];
const shared = mode === 'first' ? undefined : await open();
let wake: (() => void) | undefined;

function listen(socket: Socket): void {
  socket.on('message', (message) => {
    const text = (mode === 'spp' ? message.subarray(SPP_HEADER_BYTES) : message).toString();
    const match = /\ns(\d+)\.(\d+)$/.exec(text);
    const key = match ? `${match[1]}.${match[2]}` : '';
    if (match && text === expectedReply(Number(match[1]), Number(match[2]))) answered.add(key);
    else wrong += 1;
    wake?.();
  });
}
if (shared) listen(shared);

async function socketFor(i: number): Promise<Socket> {
  if (shared) return shared;
  if (!sockets[i]) {
    sockets[i] = await open();
    listen(sockets[i]);
  }
  return sockets[i];
}

const send = (socket: Socket, bytes: Buffer) =>
  new Promise<void>((resolve, reject) => socket.send(bytes, to.port, to.host, (e) => (e ? reject(e) : resolve())));

async function untilAnswered(keys: string[]): Promise<void> {
  const deadline = Date.now() + REPLY_WAIT_MS;
  while (keys.some((key) => !answered.has(key)) && Date.now() < deadline) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, 50);
    });
  }
}

const started = Date.now();
const sent: number[] = Array.from({ length: DATAGRAMS_PER_CLIENT }, () => 0);
// Datagram n of every client before datagram n + 1 of any: in `first`, a client's header goes out before its bare
// datagram, and each round waits for its replies.
for (let n = 0; n < DATAGRAMS_PER_CLIENT; n += 1) {
  for (let low = 0; low < sessions; low += WINDOW) {
    const window = Array.from({ length: Math.min(WINDOW, sessions - low) }, (_, k) => low + k);
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const missing = window.filter((i) => !answered.has(`${i}.${n}`));
      if (missing.length === 0) break;
      for (const i of missing) await send(await socketFor(i), datagram(i, n));
      sent[n] = (sent[n] ?? 0) + missing.length;
      await untilAnswered(missing.map((i) => `${i}.${n}`));
    }
  }
}
const elapsedMs = Date.now() - started;
let complete = 0;
for (let i = 0; i < sessions; i += 1) {
  if (Array.from({ length: DATAGRAMS_PER_CLIENT }, (_, n) => answered.has(`${i}.${n}`)).every(Boolean)) complete += 1;
}
console.log(JSON.stringify({ sessions, answered: complete, wrong, lost: sessions - complete, sent, elapsedMs }));
for (const socket of [shared, ...sockets]) socket?.close();
