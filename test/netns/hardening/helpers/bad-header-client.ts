/**
 * A flood of malformed PROXY headers, run inside a namespace:
 *   node bad-header-client.js --connect ADDR:PORT --headers-hex HEX,HEX,... --count N [--parallel P] [--timeout-ms MS]
 * Opens N connections, P at a time; connection i sends header i mod (number of headers) and waits for the proxy
 * to close it. Prints one line of JSON: how many were closed by the proxy and how many were still open at the
 * timeout. Exits 0 when the proxy closed every one.
 */
import { connect } from 'node:net';

import { countOption, option, parseHostPort } from '../../../../lab/services/args.js';

const argv = process.argv.slice(2);
const target = parseHostPort(option(argv, 'connect') ?? '');
const headers = (option(argv, 'headers-hex') ?? '').split(',').map((hex) => Buffer.from(hex, 'hex'));
const count = countOption(argv, 'count', 1);
const parallel = Math.max(1, countOption(argv, 'parallel', 100));
const timer = setTimeout(() => finish(), countOption(argv, 'timeout-ms', 60_000));

let started = 0;
let closed = 0;
let open = 0;

function next(): void {
  if (started >= count) {
    if (open === 0) finish();
    return;
  }
  const header = headers[started % headers.length] ?? Buffer.alloc(0);
  started++;
  open++;
  const socket = connect({ host: target.host, port: target.port });
  socket.on('connect', () => socket.write(header));
  // A reset ('error') or a FIN ('end'): either way the proxy ended it; 'close' follows both.
  socket.on('error', () => {});
  socket.on('data', () => {});
  socket.on('close', () => {
    open--;
    closed++;
    next();
  });
}

function finish(): void {
  clearTimeout(timer);
  process.stdout.write(`${JSON.stringify({ count, closed, stillOpen: open, notStarted: count - started })}\n`);
  process.exit(closed === count ? 0 : 1);
}

for (let i = 0; i < Math.min(parallel, count); i++) next();
