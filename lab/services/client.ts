/**
 * A test client, run inside a namespace:
 *   node client.js --connect ADDR:PORT [--send-bytes N] [--expect-peer] [--send-after-ms MS] [--udp] [--bind ADDR]
 *                  [--timeout-ms MS]
 * TCP: connects, (with --expect-peer) reads the `PEER <address> <port>` banner first, or (with --send-after-ms)
 * waits MS after connecting, sends N bytes of payload(N), half-closes, and reads until the server ends. UDP: one datagram out, one back.
 * Prints one line of JSON (ClientResult) and exits 0 when the exchange completed, 1 otherwise.
 */
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import { countOption, option, parseHostPort } from './args.js';
import type { ClientResult } from './client-result.js';
import { payload, sha256 } from './payload.js';

const argv = process.argv.slice(2);
const target = parseHostPort(option(argv, 'connect') ?? '');
const sent = payload(countOption(argv, 'send-bytes', 0));
const expectPeer = argv.includes('--expect-peer');
const localAddress = option(argv, 'bind');
const timeoutMs = countOption(argv, 'timeout-ms', 10_000);
const sendAfterMs = countOption(argv, 'send-after-ms', 0);
const BANNER = /^PEER (\S+) (\d+)\n/;

let received = Buffer.alloc(0);
let local: { address?: string; port?: number } = {};
const timer = setTimeout(() => finish(`no complete exchange within ${timeoutMs}ms`), timeoutMs);

if (argv.includes('--udp')) exchangeUdp();
else exchangeTcp();

function exchangeTcp(): void {
  const socket = connect({ host: target.host, port: target.port, localAddress, allowHalfOpen: true });
  let sending = false;
  const send = (): void => {
    sending = true;
    socket.end(sent);
  };
  socket.on('connect', () => {
    local = { address: socket.localAddress, port: socket.localPort };
    // A late sender's bytes arrive after the proxy has read the PROXY header, so they are still unread
    // when a failed proxy closes: the close becomes a reset, as with a real client in the field.
    if (!expectPeer) setTimeout(send, sendAfterMs);
  });
  socket.on('data', (chunk) => {
    received = Buffer.concat([received, chunk]);
    if (!sending && BANNER.test(received.toString('latin1'))) send();
  });
  socket.on('end', () => finish());
  socket.on('error', (error) => finish(error.message));
}

function exchangeUdp(): void {
  const socket = createSocket({ type: isIPv6(target.host) ? 'udp6' : 'udp4' });
  socket.on('message', (reply) => {
    received = reply;
    finish();
  });
  socket.on('error', (error) => finish(error.message));
  socket.bind({ address: localAddress, port: 0 }, () => {
    local = { address: socket.address().address, port: socket.address().port };
    socket.send(sent, target.port, target.host);
  });
}

function finish(error?: string): void {
  clearTimeout(timer);
  const banner = expectPeer ? BANNER.exec(received.toString('latin1')) : null;
  const data = banner ? received.subarray(banner[0].length) : received;
  const problem = error ?? (expectPeer && !banner ? 'no PEER banner received' : undefined);
  const result: ClientResult = {
    ok: problem === undefined,
    ...(problem === undefined ? {} : { error: problem }),
    localAddress: local.address,
    localPort: local.port,
    ...(banner ? { peer: { address: banner[1] ?? '', port: Number(banner[2]) } } : {}),
    sentBytes: sent.length,
    sentSha256: sha256(sent),
    receivedBytes: data.length,
    receivedSha256: sha256(data),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.ok ? 0 : 1);
}
