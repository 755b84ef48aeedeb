/**
 * The load balancer stand-in of the fault tests, run inside a namespace:
 *   node fault-client.js --connect ADDR:PORT --header-hex HEX --mode MODE [--bytes N] [--timeout-ms MS]
 * Sends the PROXY header, then, by mode:
 *   push N         N bytes of the bulk stream as fast as TCP takes them, FIN, then reads to the end
 *   stall-read     nothing; reads nothing until SIGUSR1, then reads to the end
 *   ping           64 KiB, waits for the echo, pauses 100 ms, again; on SIGUSR1 sends FIN and reads to the end
 *   idle           one ping, then waits for the end
 *   sink           reads to the end
 *   reset-after N  reads; once N bytes arrived, resets the connection
 * Prints JSON lines on stdout: {"type":"connected"}, {"type":"progress",...} every 100 ms, then one
 * {"type":"end",...} saying how the connection ended ('eof', 'reset' for its own reset, an errno code, 'timeout')
 * with byte counts and sha256s.
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';

import { countOption, option, parseHostPort } from '../../../../../lab/services/args.js';
import { chunk, writeStream } from './bulk-stream.js';

const PING_BYTES = 64 * 1024;
const PING_PAUSE_MS = 100;
const PROGRESS_MS = 100;

const argv = process.argv.slice(2);
const target = parseHostPort(option(argv, 'connect') ?? '');
const header = Buffer.from(option(argv, 'header-hex') ?? '', 'hex');
const mode = option(argv, 'mode') ?? 'idle';
const bytes = countOption(argv, 'bytes', 0);
const timeoutMs = countOption(argv, 'timeout-ms', 60_000);

const socket = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
const sentHash = createHash('sha256');
const receivedHash = createHash('sha256');
let written = 0;
let received = 0;
let roundTrips = 0;
let ended = false;

function print(message: object): void {
  process.stdout.write(`${JSON.stringify({ ...message, atMs: Date.now() })}\n`);
}

const progress = setInterval(() => print({ type: 'progress', written, received, roundTrips }), PROGRESS_MS);
const timer = setTimeout(() => finish('timeout'), timeoutMs);

function finish(how: string): void {
  if (ended) return;
  ended = true;
  clearInterval(progress);
  clearTimeout(timer);
  const sha = (hash: ReturnType<typeof createHash>): string => hash.digest('hex');
  print({
    type: 'end',
    ended: how,
    localPort: socket.localPort,
    written,
    received,
    roundTrips,
    sentSha256: sha(sentHash),
    receivedSha256: sha(receivedHash),
  });
  socket.destroy();
  process.exit(0);
}

/** One round trip: 64 KiB out, and back once every byte sent so far has been echoed. */
let echoWanted = 0;
let echoed: (() => void) | undefined;
async function ping(): Promise<void> {
  const out = chunk(roundTrips).subarray(0, PING_BYTES);
  sentHash.update(out);
  echoWanted += out.length;
  const back = new Promise<void>((resolve) => (echoed = resolve));
  socket.write(out, (error) => {
    if (!error) written += out.length;
  });
  await back;
  roundTrips++;
}

let stopPinging = false;
async function pingUntilSignalled(): Promise<void> {
  while (!stopPinging && !ended) {
    await ping();
    await new Promise((resolve) => setTimeout(resolve, PING_PAUSE_MS));
  }
  socket.end();
}

socket.on('connect', () => {
  print({ type: 'connected', localPort: socket.localPort });
  socket.write(header);
  switch (mode) {
    case 'push':
      void writeStream(socket, bytes, (taken) => (written += taken)).then(() => socket.end());
      break;
    case 'stall-read':
      socket.pause();
      process.on('SIGUSR1', () => socket.resume());
      break;
    case 'ping':
      process.on('SIGUSR1', () => (stopPinging = true));
      void pingUntilSignalled();
      break;
    case 'idle':
      void ping();
      break;
  }
});
socket.on('data', (data: Buffer) => {
  receivedHash.update(data);
  received += data.length;
  if (echoed && received >= echoWanted) {
    const resolve = echoed;
    echoed = undefined;
    resolve();
  }
  if (mode === 'reset-after' && received >= bytes) {
    socket.resetAndDestroy();
    finish('reset');
  }
});
socket.on('end', () => finish('eof'));
socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
