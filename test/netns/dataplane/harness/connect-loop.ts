/**
 * Load balancer connections in a tight loop, for the listener take-over test,
 * run inside a namespace:
 *   node connect-loop.js --connect ADDR:PORT[,ADDR:PORT...] --count N --in-flight K --client ADDR --first-port P
 * Keeps K connections open at a time until N were made; connection i goes to
 * the (i mod count)th address, sends a PROXY v1 header naming client
 * ADDR:P+i (each its own upstream 4-tuple) and reads until the far end
 * closes. Prints `PROGRESS <done>` every 25 and, at the end, one JSON line:
 * how many ended each way ('eof', 'ECONNREFUSED', 'ECONNRESET', ...,
 * 'timeout') and the text each connection received, in order.
 */
import { connect } from 'node:net';

import { countOption, option, parseHostPort } from '../../../../lab/services/args.js';

const argv = process.argv.slice(2);
const targets = (option(argv, 'connect') ?? '').split(',').map(parseHostPort);
const count = countOption(argv, 'count', 1);
const inFlight = countOption(argv, 'in-flight', 1);
const client = option(argv, 'client') ?? '198.51.100.7';
const firstPort = countOption(argv, 'first-port', 40000);
const timeoutMs = countOption(argv, 'timeout-ms', 10_000);

const ended: Record<string, number> = {};
const received: string[] = [];
let started = 0;
let done = 0;

function end(how: string): void {
  ended[how] = (ended[how] ?? 0) + 1;
  done++;
  if (done % 25 === 0) process.stdout.write(`PROGRESS ${done}\n`);
  if (done === count) {
    process.stdout.write(`${JSON.stringify({ ended, received })}\n`);
    process.exit(0);
  }
  next();
}

function next(): void {
  if (started === count) return;
  const index = started++;
  const target = targets[index % targets.length]!;
  const header = `PROXY TCP4 ${client} ${target.host} ${firstPort + index} ${target.port}\r\n`;
  received[index] = '';
  let finished = false;
  const finish = (how: string): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.destroy();
    end(how);
  };
  const socket = connect({ host: target.host, port: target.port }, () => socket.write(header));
  const timer = setTimeout(() => finish('timeout'), timeoutMs);
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => (received[index] += text));
  socket.on('end', () => finish('eof'));
  socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
}

for (let i = 0; i < inFlight; i++) next();
