/**
 * A target service for the data plane tests, run inside a namespace:
 *   node stream-service.js --listen ADDR:PORT [--mode echo|read-then-send|send-then-read] [--send-bytes N]
 * Every connection first gets `PEER <address> <port>\n` (the address the
 * service sees: the client's, when spoofing works). Then:
 *   echo            echoes until the client half-closes, then half-closes too;
 *   read-then-send  reads to the client's FIN, then sends payload(N) and FIN
 *                   (the client closes its direction first);
 *   send-then-read  sends payload(N) and FIN at once, then reads to the
 *                   client's FIN (the service closes its direction first).
 * --stall-until PATH: read nothing from a connection until PATH exists (a
 * stalled reader: what the proxy holds meanwhile is the test's question).
 * Prints `LISTENING`, `ACCEPTED <addr> <port>` and, per finished connection,
 * `DONE <json>` with what it received (bytes, sha256) and whether it saw a reset.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';

import { countOption, option, parseHostPort } from './args.js';
import { payload } from './payload.js';

const argv = process.argv.slice(2);
const listen = parseHostPort(option(argv, 'listen') ?? '');
const mode = option(argv, 'mode') ?? 'echo';
const outgoing = payload(countOption(argv, 'send-bytes', 0));
const stallUntil = option(argv, 'stall-until');
const STALL_POLL_MS = 50;

function stall(socket: Socket, path: string): void {
  socket.pause();
  const timer = setInterval(() => {
    if (!existsSync(path)) return;
    clearInterval(timer);
    socket.resume();
  }, STALL_POLL_MS);
}

function handle(socket: Socket): void {
  const peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
  process.stdout.write(`ACCEPTED ${peer.address} ${peer.port}\n`);
  const hash = createHash('sha256');
  let receivedBytes = 0;
  let error: string | undefined;
  socket.setNoDelay(true);
  socket.write(`PEER ${peer.address} ${peer.port}\n`);
  if (mode === 'send-then-read') socket.end(outgoing);
  if (stallUntil) stall(socket, stallUntil);
  socket.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    receivedBytes += chunk.length;
    if (mode === 'echo') socket.write(chunk);
  });
  socket.on('end', () => {
    if (mode === 'read-then-send') socket.end(outgoing);
    else if (mode === 'echo') socket.end();
  });
  socket.on('error', (failure: NodeJS.ErrnoException) => {
    error = failure.code ?? failure.message;
  });
  socket.on('close', () => {
    const result = { peer, receivedBytes, receivedSha256: hash.digest('hex'), error };
    process.stdout.write(`DONE ${JSON.stringify(result)}\n`);
  });
}

const server = createServer({ allowHalfOpen: true }, handle);
server.listen({ host: listen.host, port: listen.port, ipv6Only: false }, () => {
  process.stdout.write(`LISTENING ${listen.host} ${listen.port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
