/**
 * A raw client for the stats socket: sends what the test writes, collects
 * the lines that come back. Used to test the protocol itself, below the
 * typed client.
 */
import { createConnection, type Socket } from 'node:net';

import { waitFor } from './wait-for.js';

export interface LineClient {
  socket: Socket;
  lines: unknown[];
  ended: () => boolean;
  send(text: string): void;
  /** Waits until at least `count` lines have arrived and returns the count-th (1-based). */
  line(count: number): Promise<unknown>;
  waitEnded(): Promise<void>;
}

export async function lineClient(path: string): Promise<LineClient> {
  const socket = createConnection({ path });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const lines: unknown[] = [];
  let pending = '';
  let ended = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) lines.push(JSON.parse(part));
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    ended = true;
  });
  return {
    socket,
    lines,
    ended: () => ended,
    send: (text) => socket.write(text),
    line: (count) => waitFor(`line ${count} from the stats socket`, () => lines[count - 1]),
    waitEnded: () => waitFor('the server to close the connection', () => ended).then(() => undefined),
  };
}
