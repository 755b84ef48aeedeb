/**
 * `mmproxy send -p tcp`: one connection, the header, then the payload (--data,
 * or standard input as it comes), then a half-close; everything that comes
 * back goes to standard output until the other side closes or is quiet for
 * the --wait time.
 */
import { connect, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';

import { formatIp } from '../base/net/ip.js';
import { headerBefore } from './headers.js';
import { explainSocketError } from './socket-errors.js';
import type { SendOptions } from './send-options.js';

export interface SendIo {
  stdin: Readable;
  stdout: Writable;
  err: (line: string) => void;
}

export const SEND_OK = 0;
export const SEND_FAILED = 1;

export function sendTcp(options: SendOptions, io: SendIo): Promise<number> {
  return new Promise((resolve) => {
    const socket: Socket = connect({
      host: options.to.address,
      port: options.to.port,
      localAddress: options.source ? formatIp(options.source) : undefined,
      allowHalfOpen: true,
    });
    let received = 0;
    let settled = false;
    const finish = (code: number, line?: string) => {
      if (settled) return;
      settled = true;
      if (line) io.err(line);
      io.stdin.unpipe(socket);
      socket.destroy();
      resolve(code);
    };
    socket.setTimeout(options.idleMs, () => {
      const quiet = `nothing more came back in ${options.idleMs / 1000}s`;
      finish(received > 0 ? SEND_OK : SEND_FAILED, received > 0 ? undefined : `mmproxy send: ${quiet}`);
    });
    socket.on('connect', () => {
      socket.write(headerBefore(options));
      if (options.data) socket.end(options.data);
      else io.stdin.pipe(socket);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      io.stdout.write(chunk);
    });
    socket.on('end', () => finish(SEND_OK));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(SEND_FAILED, `mmproxy send: ${explainSocketError(error, options.to)}`),
    );
  });
}
