/**
 * Many load balancer connections at once, for the tests that flood the proxy,
 * run inside a namespace:
 *   node burst-client.js --connect ADDR:PORT --header-hex HEX --count N [--bind ADDR] [--timeout-ms MS]
 * Opens N connections together, sends the same PROXY header (hex) on each and
 * reads until each one ends. Prints one JSON line: how many ended each way
 * ('eof', 'ECONNRESET', ..., 'timeout').
 */
import { connect } from 'node:net';

import { countOption, option, parseHostPort } from './args.js';

const argv = process.argv.slice(2);
const target = parseHostPort(option(argv, 'connect') ?? '');
const header = Buffer.from(option(argv, 'header-hex') ?? '', 'hex');
const count = countOption(argv, 'count', 1);
const timeoutMs = countOption(argv, 'timeout-ms', 10_000);
const localAddress = option(argv, 'bind');

const ended: Record<string, number> = {};
let left = count;

function end(how: string): void {
  ended[how] = (ended[how] ?? 0) + 1;
  if (--left === 0) {
    process.stdout.write(`${JSON.stringify(ended)}\n`);
    process.exit(0);
  }
}

for (let i = 0; i < count; i++) {
  let done = false;
  const finish = (how: string): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    socket.destroy();
    end(how);
  };
  const socket = connect({ host: target.host, port: target.port, localAddress }, () => socket.write(header));
  const timer = setTimeout(() => finish('timeout'), timeoutMs);
  socket.on('data', () => {});
  socket.on('end', () => finish('eof'));
  socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
}
