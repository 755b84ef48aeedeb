/**
 * A client that keeps its connection open until told to finish, for drain tests:
 *   node held-client.js --connect ADDR:PORT --release-file PATH --send-bytes N [--timeout-ms MS]
 * Connects, reads the `PEER <address> <port>` banner and prints `READY <local port>`; then waits until
 * the release file exists, sends N bytes of payload(N), half-closes, reads to the end and prints one
 * line of JSON like the kit's client (ok, receivedSha256, ...). Every wait is bounded by --timeout-ms.
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';

import { payload, sha256 } from '../kit/services/payload.js';

const argv = process.argv.slice(2);
const option = (name: string): string => {
  const index = argv.indexOf(`--${name}`);
  return index < 0 ? '' : (argv[index + 1] ?? '');
};
const connectTo = option('connect');
const colon = connectTo.lastIndexOf(':');
const target = { host: connectTo.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(connectTo.slice(colon + 1)) };
const releaseFile = option('release-file');
const sent = payload(Number(option('send-bytes') || '0'));
const timeoutMs = Number(option('timeout-ms') || '20000');
const RELEASE_POLL_MS = 20;
const BANNER = /^PEER (\S+) (\d+)\n/;

let received = Buffer.alloc(0);
let ready = false;
const timer = setTimeout(() => finish(`not finished within ${timeoutMs}ms`), timeoutMs);
const socket = connect({ host: target.host, port: target.port, allowHalfOpen: true });

function waitForRelease(): void {
  if (existsSync(releaseFile)) socket.end(sent);
  else setTimeout(waitForRelease, RELEASE_POLL_MS);
}

socket.on('data', (chunk) => {
  received = Buffer.concat([received, chunk]);
  if (!ready && BANNER.test(received.toString('latin1'))) {
    ready = true;
    process.stdout.write(`READY ${socket.localPort}\n`);
    waitForRelease();
  }
});
socket.on('end', () => finish());
socket.on('error', (error) => finish(error.message));

function finish(error?: string): void {
  clearTimeout(timer);
  const banner = BANNER.exec(received.toString('latin1'));
  const data = banner ? received.subarray(banner[0].length) : received;
  const problem = error ?? (banner ? undefined : 'no PEER banner received');
  const result = {
    ok: problem === undefined,
    ...(problem === undefined ? {} : { error: problem }),
    sentSha256: sha256(sent),
    receivedBytes: data.length,
    receivedSha256: sha256(data),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.ok ? 0 : 1);
}
