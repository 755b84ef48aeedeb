/**
 * A load balancer that sends a header in small pieces, run inside a namespace:
 *   node piecewise-sender.js --connect ADDR:PORT --hex-file FILE --piece N [--head N] [--pause-ms N]
 *     [--then TEXT] [--end-after N]
 * Writes the first --head bytes at once, then the rest N at a time, each write waiting for the one before to leave
 * and then --pause-ms (TCP_NODELAY: each piece is its own segment, read by the proxy on its own), then TEXT; or,
 * with --end-after, closes after that many bytes. Prints one JSON line: what came back and how the connection ended.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

import { countOption, option, parseHostPort } from '../../../../lab/services/args.js';

const argv = process.argv.slice(2);
const { host, port } = parseHostPort(option(argv, 'connect') ?? '');
const bytes = Buffer.from(readFileSync(option(argv, 'hex-file') ?? '', 'utf8').trim(), 'hex');
const piece = countOption(argv, 'piece', 1);
const then = option(argv, 'then');
const endAfter = countOption(argv, 'end-after', bytes.length);
const head = countOption(argv, 'head', 0);
const pauseMs = countOption(argv, 'pause-ms', 0);
const pause = () => new Promise<void>((resolve) => (pauseMs > 0 ? setTimeout(resolve, pauseMs) : resolve()));

const socket = connect({ host, port, noDelay: true });
const received: Buffer[] = [];
let ending = 'closed';
socket.on('data', (chunk: Buffer) => received.push(chunk));
socket.on('error', (error: NodeJS.ErrnoException) => (ending = error.code ?? error.message));
socket.on('close', () => {
  console.log(JSON.stringify({ received: Buffer.concat(received).toString(), ending }));
});

const write = (chunk: Buffer) => new Promise<void>((resolve) => socket.write(chunk, () => resolve()));

socket.on('connect', () => {
  void (async () => {
    const last = Math.min(endAfter, bytes.length);
    if (head > 0) await write(bytes.subarray(0, Math.min(head, last)));
    for (let offset = Math.min(head, last); offset < last && !socket.destroyed; offset += piece) {
      await write(bytes.subarray(offset, Math.min(offset + piece, last)));
      await pause();
    }
    if (endAfter < bytes.length) socket.end();
    else if (then !== undefined) socket.end(then);
  })();
});
