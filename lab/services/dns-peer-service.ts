/**
 * A DNS server that says who asked, run inside a namespace:
 *   node dns-peer-service.js --listen ADDR:PORT
 * Answers every query with one TXT record, `PEER <address> <port>`: the address the query came from, which is what
 * mmproxy must preserve. Prints `LISTENING udp <address> <port>` once bound and one line per query.
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';

import { option, parseHostPort } from './args.js';
import { txtAnswer } from './dns-wire.js';

const listen = option(process.argv.slice(2), 'listen');
if (!listen) {
  process.stderr.write('usage: dns-peer-service.js --listen ADDR:PORT\n');
  process.exit(2);
}
const { host, port } = parseHostPort(listen);
const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
socket.on('message', (query, peer) => {
  const answer = txtAnswer(query, `PEER ${peer.address} ${peer.port}`);
  console.log(`QUERY ${peer.address} ${peer.port} ${answer ? 'answered' : 'malformed'}`);
  if (answer) socket.send(answer, peer.port, peer.address);
});
socket.bind({ address: host, port }, () => console.log(`LISTENING udp ${host} ${port}`));
