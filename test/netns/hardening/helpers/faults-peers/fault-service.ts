/**
 * The target of the fault tests, run inside a namespace:
 *   node fault-service.js --listen ADDR:PORT --mode MODE [--bytes N]
 * Each connection, by mode:
 *   echo           echoes until the client's FIN, then sends its own
 *   stall-read     reads nothing until SIGUSR1, then reads to the FIN and closes
 *   stream N       sends N bytes of the bulk stream as fast as TCP takes them, then FIN; discards what comes in
 *   reset-after N  reads; once N bytes arrived, resets the connection
 *   hold           reads, never answers and never closes (a target still working on the request)
 * Prints JSON lines on stdout: {"type":"listening"}, {"type":"accepted",...}, {"type":"progress",...} every
 * 100 ms while a connection is open, and per connection {"type":"done",...} with the bytes and sha256 it received,
 * the bytes the kernel took from it, and its error code if it ended with one ('reset' for its own reset).
 */
import { createHash } from 'node:crypto';
import { createServer, type Socket } from 'node:net';

import { countOption, option, parseHostPort } from '../../../../../lab/services/args.js';
import { writeStream } from './bulk-stream.js';

const PROGRESS_MS = 100;

const argv = process.argv.slice(2);
const listen = parseHostPort(option(argv, 'listen') ?? '');
const mode = option(argv, 'mode') ?? 'echo';
const bytes = countOption(argv, 'bytes', 0);
const stalled = new Set<Socket>();

function print(message: object): void {
  process.stdout.write(`${JSON.stringify({ ...message, atMs: Date.now() })}\n`);
}

function handle(socket: Socket): void {
  const peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
  print({ type: 'accepted', peer });
  const hash = createHash('sha256');
  let received = 0;
  let written = 0;
  let error: string | undefined;
  const progress = setInterval(() => print({ type: 'progress', peer, received, written }), PROGRESS_MS);
  socket.setNoDelay(true);
  socket.on('data', (data: Buffer) => {
    hash.update(data);
    received += data.length;
    if (mode === 'echo') socket.write(data, (failure) => (written += failure ? 0 : data.length));
    if (mode === 'reset-after' && received >= bytes && !socket.destroyed) {
      error = 'reset';
      socket.resetAndDestroy();
    }
  });
  socket.on('end', () => {
    if (mode !== 'stream' && mode !== 'hold') socket.end();
  });
  socket.on('error', (failure: NodeJS.ErrnoException) => {
    error ??= failure.code ?? failure.message;
  });
  socket.on('close', () => {
    clearInterval(progress);
    stalled.delete(socket);
    print({ type: 'done', peer, received, receivedSha256: hash.digest('hex'), written, error });
  });
  if (mode === 'stall-read') stalled.add(socket);
  else socket.resume();
  if (mode === 'stream') {
    void writeStream(socket, bytes, (taken) => (written += taken)).then(() => socket.end());
  }
}

// Paused on accept: stall-read must not take a byte before the signal.
const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, handle);
server.listen({ host: listen.host, port: listen.port }, () => print({ type: 'listening', listen }));
process.on('SIGUSR1', () => {
  for (const socket of stalled) socket.resume();
  stalled.clear();
});
process.on('SIGTERM', () => process.exit(0));
