/**
 * The bulk streams of the fault tests: 1 MiB chunks, each stamped with its
 * index at two places, so a lost, repeated or reordered chunk changes the
 * sha256 that both ends and the test compute.
 */
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';

import { payload } from '../../../../../lab/services/payload.js';

export const CHUNK_BYTES = 1 << 20;
const BASE = payload(CHUNK_BYTES);

/** Chunk `index` of the stream (a fresh buffer). */
export function chunk(index: number): Buffer {
  const bytes = Buffer.from(BASE);
  bytes.writeUInt32BE(index, 0);
  bytes.writeUInt32BE(index, CHUNK_BYTES / 2);
  return bytes;
}

/** The first `total` bytes of the stream, one chunk at a time. */
export function* streamChunks(total: number): Generator<Buffer> {
  for (let index = 0, left = total; left > 0; index++, left -= CHUNK_BYTES) {
    const bytes = chunk(index);
    yield left >= CHUNK_BYTES ? bytes : bytes.subarray(0, left);
  }
}

export function streamSha256(total: number): string {
  const hash = createHash('sha256');
  for (const bytes of streamChunks(total)) hash.update(bytes);
  return hash.digest('hex');
}

/**
 * Writes the first `total` bytes of the stream as fast as the socket takes
 * them, waiting for 'drain' whenever its buffer is full, so what Node holds
 * stays one chunk. `taken` hears of each chunk the kernel accepted. Stops
 * early when the socket closes.
 */
export async function writeStream(socket: Socket, total: number, taken: (bytes: number) => void): Promise<void> {
  for (const bytes of streamChunks(total)) {
    if (socket.destroyed) return;
    const more = socket.write(bytes, (error) => {
      if (!error) taken(bytes.length);
    });
    if (!more) await drainedOrClosed(socket);
  }
}

function drainedOrClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
