/**
 * A client that keeps its connections open until told to finish, for drain and load-spreading tests:
 *   node held-client.js --connect ADDR:PORT --release-file PATH --send-bytes N [--connections C] [--timeout-ms MS]
 * Opens C connections (default 1), reads each one's `PEER <address> <port>` banner, and prints
 * `READY <local ports>`; then waits until the release file exists, sends N bytes of payload(N) on each,
 * half-closes, reads to the end and prints one line of JSON: ok when every connection echoed its bytes
 * intact. Every wait is bounded by --timeout-ms.
 */
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

import { payload, sha256 } from '../../../../lab/services/payload.js';

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
const connections = Number(option('connections') || '1');
const timeoutMs = Number(option('timeout-ms') || '20000');
const RELEASE_POLL_MS = 20;
const BANNER = /^PEER (\S+) (\d+)\n/;

interface Held {
  socket: Socket;
  received: Buffer;
  ready: boolean;
  ended: boolean;
  error?: string;
}

const held: Held[] = [];
const timer = setTimeout(() => finish(`not finished within ${timeoutMs}ms`), timeoutMs);

function waitForRelease(): void {
  if (existsSync(releaseFile)) for (const { socket } of held) socket.end(sent);
  else setTimeout(waitForRelease, RELEASE_POLL_MS);
}

function onProgress(): void {
  if (held.some((h) => h.error !== undefined)) return finish(held.find((h) => h.error)?.error);
  if (held.every((h) => h.ended)) return finish();
}

for (let i = 0; i < connections; i++) {
  const entry: Held = {
    socket: connect({ host: target.host, port: target.port, allowHalfOpen: true }),
    received: Buffer.alloc(0),
    ready: false,
    ended: false,
  };
  held.push(entry);
  entry.socket.on('data', (chunk) => {
    entry.received = Buffer.concat([entry.received, chunk]);
    if (!entry.ready && BANNER.test(entry.received.toString('latin1'))) {
      entry.ready = true;
      if (held.length === connections && held.every((h) => h.ready)) {
        process.stdout.write(`READY ${held.map((h) => h.socket.localPort).join(' ')}\n`);
        waitForRelease();
      }
    }
  });
  entry.socket.on('end', () => {
    entry.ended = true;
    onProgress();
  });
  entry.socket.on('error', (error) => {
    entry.error = error.message;
    onProgress();
  });
}

function echoed(entry: Held): Buffer {
  const banner = BANNER.exec(entry.received.toString('latin1'));
  return banner ? entry.received.subarray(banner[0].length) : entry.received;
}

function finish(error?: string): void {
  clearTimeout(timer);
  const expected = sha256(sent);
  const intact = held.filter((h) => h.ready && sha256(echoed(h)) === expected).length;
  const problem =
    error ?? (intact === connections ? undefined : `${connections - intact} of ${connections} echoes incomplete`);
  const result = {
    ok: problem === undefined,
    ...(problem === undefined ? {} : { error: problem }),
    connections,
    intact,
    sentSha256: expected,
    receivedSha256: held.map((h) => sha256(echoed(h))),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.ok ? 0 : 1);
}
