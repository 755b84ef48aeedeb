/**
 * A banner-then-echo server, run inside a namespace with `node peer-service.js --listen ADDR:PORT [--udp]`.
 *
 * TCP: on each connection it first writes `PEER <address> <port>\n` (the address it sees the client connect
 * from: what mmproxy must preserve), then echoes every byte back. When the client half-closes, it finishes
 * echoing and then ends its side too.
 * UDP: each datagram is answered with one datagram, `PEER <address> <port>\n` followed by the payload.
 *
 * Prints `LISTENING tcp|udp <address> <port>` once bound, and one line per connection for the test log.
 */
import { createSocket } from 'node:dgram';
import { createServer, isIPv6 } from 'node:net';
import { option, parseHostPort } from './args.js';

const argv = process.argv.slice(2);
const listen = option(argv, 'listen');
if (!listen) {
  process.stderr.write('usage: peer-service.js --listen ADDR:PORT [--udp]\n');
  process.exit(2);
}
const { host, port } = parseHostPort(listen);

if (argv.includes('--udp')) serveUdp();
else serveTcp();

function serveTcp(): void {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const peer = `${socket.remoteAddress} ${socket.remotePort}`;
    let echoed = 0;
    console.log(`CONNECTED ${peer}`);
    socket.write(`PEER ${peer}\n`);
    socket.on('data', (chunk) => {
      echoed += chunk.length;
      socket.write(chunk);
    });
    socket.on('end', () => socket.end()); // queued after the pending echo writes
    socket.on('error', (error) => console.log(`ERROR ${peer} ${error.message}`));
    socket.on('close', () => console.log(`CLOSED ${peer} echoed=${echoed}`));
  });
  server.listen({ host, port }, () => console.log(`LISTENING tcp ${host} ${port}`));
}

function serveUdp(): void {
  const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  socket.on('message', (payload, from) => {
    console.log(`DATAGRAM ${from.address} ${from.port} bytes=${payload.length}`);
    const reply = Buffer.concat([Buffer.from(`PEER ${from.address} ${from.port}\n`), payload]);
    socket.send(reply, from.port, from.address);
  });
  socket.bind(port, host, () => console.log(`LISTENING udp ${host} ${port}`));
}
