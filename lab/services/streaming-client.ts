/**
 * A client that keeps a flow alive and busy, so `mmproxy top` has live flows
 * whose byte counts grow:
 *   node streaming-client.js --connect ADDR:PORT [--bind ADDR] --chunk-bytes N --every-ms MS
 *                            --release-file PATH [--timeout-ms MS]
 * Connects, reads the peer service's `PEER <address> <port>` banner and prints
 * `READY <local port> <peer address> <peer port>`; then sends a chunk of
 * payload every MS until the release file exists, half-closes, reads the echo
 * to the end and prints one JSON line: {ok, sentBytes, receivedBytes,
 * bannerBytes, error?}. Every wait is bounded by --timeout-ms.
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';

import { payload } from './payload.js';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = argv.indexOf(`--${name}`);
  return index === -1 ? undefined : argv[index + 1];
};
const target = option('connect') ?? '';
const colon = target.lastIndexOf(':');
const host = target.slice(0, colon).replace(/^\[|\]$/g, '');
const port = Number(target.slice(colon + 1));
const bind = option('bind');
const chunk = payload(Number(option('chunk-bytes') ?? '65536'));
const everyMs = Number(option('every-ms') ?? '50');
const releaseFile = option('release-file') ?? '';
const timeoutMs = Number(option('timeout-ms') ?? '60000');
const BANNER = /^PEER (\S+) (\d+)\n/;

let sentBytes = 0;
let received = Buffer.alloc(0);
let sender: NodeJS.Timeout | undefined;
const timer = setTimeout(() => finish(`not finished within ${timeoutMs}ms`), timeoutMs);
const socket = connect({ host, port, allowHalfOpen: true, ...(bind ? { localAddress: bind } : {}) });

function send(): void {
  if (existsSync(releaseFile)) {
    clearInterval(sender);
    socket.end();
    return;
  }
  // Only while the echo keeps up, so nothing piles up in this process.
  if (socket.writableLength === 0) {
    socket.write(chunk);
    sentBytes += chunk.length;
  }
}

socket.on('data', (data: Buffer) => {
  const first = received.length === 0 || !BANNER.test(received.toString('latin1'));
  received = Buffer.concat([received, data]);
  const banner = BANNER.exec(received.toString('latin1'));
  if (first && banner) {
    process.stdout.write(`READY ${socket.localPort} ${banner[1]} ${banner[2]}\n`);
    sender = setInterval(send, everyMs);
  }
});
socket.on('end', () => finish());
socket.on('error', (error) => finish(error.message));

function finish(error?: string): void {
  clearTimeout(timer);
  clearInterval(sender);
  const banner = BANNER.exec(received.toString('latin1'));
  const bannerBytes = banner ? Buffer.byteLength(banner[0]) : 0;
  const receivedBytes = received.length - bannerBytes;
  const problem =
    error ??
    (!banner
      ? 'no PEER banner received'
      : receivedBytes !== sentBytes
        ? `echoed ${receivedBytes} of ${sentBytes} bytes`
        : undefined);
  process.stdout.write(
    `${JSON.stringify({ ok: problem === undefined, sentBytes, receivedBytes, bannerBytes, ...(problem ? { error: problem } : {}) })}\n`,
  );
  socket.destroy();
  process.exit(problem === undefined ? 0 : 1);
}
