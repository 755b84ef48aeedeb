/**
 * A hostile load balancer, run inside a namespace:
 *   node tcp-hostile-sender.js --connect ADDR:PORT --plan FILE
 * The plan (JSON, TcpPlan) lists connections and one way to deliver their bytes. Opens them `concurrency` at a
 * time, delivers, and watches how each one ends. Prints one JSON line, TcpSendReport: how many ended which way.
 * Every connection is bounded by the plan's timeoutMs (then it counts as 'timeout').
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

import { option, parseHostPort } from '../../../../lab/services/args.js';

/**
 * - fin: write everything, half-close, wait for the end.
 * - hold: write everything and wait, never closing (the proxy must end it).
 * - reset: write everything, then close at once with SO_LINGER 0 (a reset right behind the bytes).
 * - reset-after-banner: write everything, wait for the service's `PEER …` banner (the upstream connect is done),
 *   then reset.
 * - echo: write everything, half-close, expect the banner then exactly `echoHex` back, then the end.
 * With `pieces`, fin, hold and echo write `pieces.bytes` at a time, `pieces.ms` apart, stopping if the proxy
 * closes first (slowloris: one byte at a time).
 */
export type Delivery = 'fin' | 'hold' | 'reset' | 'reset-after-banner' | 'echo';

export interface TcpPlan {
  delivery: Delivery;
  concurrency: number;
  timeoutMs: number;
  pieces?: { bytes: number; ms: number };
  connections: Array<{ hex: string; echoHex?: string }>;
}

/**
 * How connections ended, by kind: 'closed:reset' and 'closed:eof' (the proxy ended it), 'self-reset' and
 * 'self-reset-after-banner' (we did), 'echoed' (echo intact), 'echo-mismatch', 'timeout', 'error:CODE'.
 */
export interface TcpSendReport {
  outcomes: Record<string, number>;
  /** Connections that got every byte out before they ended. */
  sentWhole: number;
}

const BANNER = /^PEER \S+ \d+\n/;

function deliver(
  target: { host: string; port: number },
  plan: TcpPlan,
  bytes: Buffer,
  echo: Buffer | null,
): Promise<string> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    let received = Buffer.alloc(0);
    let settled = false;
    const done = (outcome: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done('timeout'), plan.timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (plan.delivery === 'reset-after-banner' && BANNER.test(received.toString('latin1'))) {
        socket.resetAndDestroy();
        done('self-reset-after-banner');
      }
    });
    socket.on('end', () => {
      if (plan.delivery !== 'echo') return done('closed:eof');
      const banner = BANNER.exec(received.toString('latin1'));
      const body = banner ? received.subarray(banner[0].length) : null;
      done(body !== null && echo !== null && body.equals(echo) ? 'echoed' : 'echo-mismatch');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // EPIPE: a write after the proxy's reset.
      done(
        error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'closed:reset' : `error:${error.code ?? error.message}`,
      );
    });
    socket.on('close', () => done('closed:eof'));
    socket.on('connect', () => {
      switch (plan.delivery) {
        case 'fin':
        case 'echo':
          void writeAll(socket, bytes, plan, () => settled).then(() => socket.end());
          break;
        case 'hold':
        case 'reset-after-banner':
          void writeAll(socket, bytes, plan, () => settled);
          break;
        case 'reset':
          // The callback runs once the kernel has the bytes: they leave before the reset.
          socket.write(bytes, () => {
            sentWhole++;
            socket.resetAndDestroy();
            done('self-reset');
          });
          break;
      }
    });
  });
}

let sentWhole = 0;

/** At once, or in pieces until all is written or the connection is over. */
async function writeAll(socket: Socket, bytes: Buffer, plan: TcpPlan, over: () => boolean): Promise<void> {
  const size = plan.pieces?.bytes ?? bytes.length;
  for (let offset = 0; offset < bytes.length; offset += size) {
    if (over()) return;
    socket.write(bytes.subarray(offset, offset + size));
    if (plan.pieces) await delay(plan.pieces.ms);
  }
  if (!over()) sentWhole++;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const target = parseHostPort(option(argv, 'connect') ?? '');
  const plan = JSON.parse(readFileSync(option(argv, 'plan') ?? '', 'utf8')) as TcpPlan;
  const outcomes: Record<string, number> = {};
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.connections.length) {
      const item = plan.connections[next++]!;
      const echo = item.echoHex === undefined ? null : Buffer.from(item.echoHex, 'hex');
      const outcome = await deliver(target, plan, Buffer.from(item.hex, 'hex'), echo);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, plan.concurrency) }, worker));
  process.stdout.write(`${JSON.stringify({ outcomes, sentWhole } satisfies TcpSendReport)}\n`);
}

void main();
