/**
 * `mmproxy send -p udp`: --count datagrams from one socket (one flow, as a
 * load balancer relays one client), each with its header as the mode puts it
 * (every: PROXY v2 on each; first: on the first only; spp: SPP on each) and the
 * payload. Each reply's payload goes to standard output (an SPP reply's header
 * is taken off, as Spectrum does); exits 0 once --expect replies arrived.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { Readable } from 'node:stream';

import { formatIp } from '../base/net/ip.js';
import { decodeSppDatagram } from '../proxy-protocol/spp.js';
import { headerBefore } from './headers.js';
import { explainSocketError } from './socket-errors.js';
import type { SendOptions } from './send-options.js';
import { SEND_FAILED, SEND_OK, type SendIo } from './tcp-send.js';

/** The largest UDP payload over IPv4 (65,535 − 20 IP − 8 UDP); larger never leaves the host. */
const MAX_DATAGRAM_BYTES = 65_507;

async function readAll(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    length += (chunk as Buffer).length;
    if (length > limit) throw new Error(`standard input holds more than ${limit} bytes, more than one datagram`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function bound(socket: Socket, options: SendOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: options.source ? formatIp(options.source) : undefined, port: 0 }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

function sent(socket: Socket, datagram: Buffer, options: SendOptions): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.send(datagram, options.to.port, options.to.address, (error) => (error ? reject(error) : resolve())),
  );
}

export async function sendUdp(options: SendOptions, io: SendIo): Promise<number> {
  let payload: Buffer;
  try {
    payload = options.data ?? (await readAll(io.stdin, MAX_DATAGRAM_BYTES));
  } catch (error) {
    io.err(`mmproxy send: ${(error as Error).message}`);
    return SEND_FAILED;
  }
  const socket = createSocket({ type: options.to.family === 6 ? 'udp6' : 'udp4' });
  let replies = 0;
  let idle: NodeJS.Timeout | undefined;
  let settled = false;
  const done = new Promise<number>((resolve) => {
    const finish = (code: number, line?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      if (line) io.err(line);
      socket.close();
      resolve(code);
    };
    const rearm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        if (replies >= options.expect) return finish(SEND_OK);
        finish(
          SEND_FAILED,
          `mmproxy send: ${replies} of ${options.expect} replies in ${options.idleMs / 1000}s: see mmproxy's log ` +
            'and counters (mmproxy top), and run mmproxy doctor -p udp with its flags',
        );
      }, options.idleMs);
    };
    socket.on('message', (datagram: Buffer) => {
      replies += 1;
      if (options.header === 'spp') {
        const spp = decodeSppDatagram(datagram);
        if (!spp) io.err(`mmproxy send: reply ${replies} has no SPP header; Spectrum would take its first 38 bytes`);
        io.stdout.write(spp ? spp.payload : datagram);
      } else {
        io.stdout.write(datagram);
      }
      if (replies >= options.expect && replies >= options.count) finish(SEND_OK);
      else rearm();
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(SEND_FAILED, `mmproxy send: ${explainSocketError(error, options.to)}`),
    );
    socket.on('listening', rearm);
  });
  try {
    await bound(socket, options);
    for (let index = 0; index < options.count && !settled; index += 1) {
      await sent(socket, Buffer.concat([headerBefore(options, index), payload]), options);
    }
  } catch (error) {
    socket.emit('error', error);
  }
  return done;
}
