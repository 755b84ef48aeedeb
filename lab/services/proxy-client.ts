/**
 * A load balancer stand-in for the data plane tests, run inside a namespace:
 *   node proxy-client.js --connect ADDR:PORT --header-hex HEX [options]
 * Sends the PROXY header (hex), then payload(N), and reads what comes back.
 *   --send-bytes N       payload after the header (default 0)
 *   --same-write         header and payload in one write (one segment)
 *   --trickle-header     the header one byte per write, 2 ms apart
 *   --mode send-then-read (default: send everything, FIN, read to the end) |
 *          read-then-send (read to the service's FIN, then send and FIN) |
 *          silent (send nothing after the header, wait for the end) |
 *          hold (send the payload in 64 slices 50 ms apart, then FIN and read) |
 *          reset (send the payload, wait for the banner, then reset the connection)
 *   --timeout-ms MS      give up (default 20000)
 *   --bind ADDR          connect from this local address (a second load balancer)
 *   --release-file PATH  hold: after the payload, wait until PATH exists before the FIN
 * Prints one JSON line: banner, received bytes and sha256 (banner excluded),
 * sent sha256, and how the connection ended ('eof' or the error code).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

import { countOption, option, parseHostPort } from './args.js';
import { payload, sha256 } from './payload.js';

const argv = process.argv.slice(2);
const target = parseHostPort(option(argv, 'connect') ?? '');
const header = Buffer.from(option(argv, 'header-hex') ?? '', 'hex');
const outgoing = payload(countOption(argv, 'send-bytes', 0));
const mode = option(argv, 'mode') ?? 'send-then-read';
const timeoutMs = countOption(argv, 'timeout-ms', 20_000);
const BANNER = /^PEER (\S+) (\d+)\n/;
const HOLD_SLICES = 64;
const HOLD_INTERVAL_MS = 50;
const TRICKLE_INTERVAL_MS = 2;
const RELEASE_POLL_MS = 20;
const releaseFile = option(argv, 'release-file');

const localAddress = option(argv, 'bind');
const socket = connect({ host: target.host, port: target.port, localAddress, allowHalfOpen: true, noDelay: true });
const hash = createHash('sha256');
let head = Buffer.alloc(0);
let banner: RegExpExecArray | null = null;
let receivedBytes = 0;
let ended = false;
const timer = setTimeout(() => finish('timeout'), timeoutMs);

async function sendHeader(): Promise<void> {
  if (argv.includes('--trickle-header')) {
    for (const byte of header) {
      socket.write(Buffer.of(byte));
      await delay(TRICKLE_INTERVAL_MS);
    }
  } else if (!argv.includes('--same-write')) {
    socket.write(header);
  }
}

async function sendPayload(): Promise<void> {
  if (mode === 'hold') {
    const slice = Math.ceil(outgoing.length / HOLD_SLICES);
    for (let offset = 0; offset < outgoing.length && !ended; offset += slice) {
      socket.write(outgoing.subarray(offset, offset + slice));
      await delay(HOLD_INTERVAL_MS);
    }
    // Bounded by the --timeout-ms timer, which ends the process.
    while (releaseFile !== undefined && !existsSync(releaseFile) && !ended) await delay(RELEASE_POLL_MS);
    socket.end();
  } else if (argv.includes('--same-write')) {
    socket.end(Buffer.concat([header, outgoing]));
  } else {
    socket.end(outgoing);
  }
}

function onData(chunk: Buffer): void {
  if (banner === null) {
    head = Buffer.concat([head, chunk]);
    banner = BANNER.exec(head.toString('latin1'));
    if (banner === null) return;
    chunk = head.subarray(banner[0].length);
  }
  hash.update(chunk);
  receivedBytes += chunk.length;
  if (mode === 'reset' && receivedBytes >= outgoing.length) {
    socket.resetAndDestroy();
    finish('reset');
  }
}

function finish(how: string): void {
  if (ended) return;
  ended = true;
  clearTimeout(timer);
  const result = {
    ended: how,
    localPort: socket.localPort,
    peer: banner ? { address: banner[1], port: Number(banner[2]) } : null,
    sentBytes: outgoing.length,
    sentSha256: sha256(outgoing),
    receivedBytes,
    receivedSha256: hash.digest('hex'),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  socket.destroy();
  process.exit(0);
}

socket.on('connect', () => {
  void (async () => {
    await sendHeader();
    if (mode === 'send-then-read' || mode === 'hold') await sendPayload();
    if (mode === 'reset') socket.write(outgoing);
  })();
});
socket.on('data', onData);
socket.on('end', () => {
  if (mode === 'read-then-send') {
    void sendPayload();
    socket.on('close', () => finish('eof'));
  } else {
    finish('eof');
  }
});
socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
