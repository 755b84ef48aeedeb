/**
 * One DNS TXT query, as a resolver's client sends it, run inside a namespace:
 *   node dns-query.js --server ADDR:PORT [--name NAME] [--timeout-ms MS]
 * Asks up to three times (UDP: a query or its answer may be lost), then prints one JSON line: {"text": the first
 * TXT string of the answer} or {"error": why}.
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';

import { countOption, option, parseHostPort } from './args.js';
import { readTxtAnswer, txtQuery } from './dns-wire.js';

const argv = process.argv.slice(2);
const server = parseHostPort(option(argv, 'server') ?? '');
const name = option(argv, 'name') ?? 'peer.example';
const timeoutMs = countOption(argv, 'timeout-ms', 2_000);
const ATTEMPTS = 3;

const socket = createSocket({ type: isIPv6(server.host) ? 'udp6' : 'udp4' });
const id = Math.floor(Math.random() * 0x10000);
let attempts = 0;
let timer: NodeJS.Timeout | undefined;

function finish(result: { text: string } | { error: string }): void {
  clearTimeout(timer);
  console.log(JSON.stringify(result));
  socket.close();
}

function ask(): void {
  if (attempts === ATTEMPTS) return finish({ error: `no answer after ${ATTEMPTS} tries of ${timeoutMs} ms` });
  attempts += 1;
  socket.send(txtQuery(id, name), server.port, server.host);
  timer = setTimeout(ask, timeoutMs);
}

socket.on('message', (message) => {
  const answer = readTxtAnswer(message);
  if (answer?.id === id) finish({ text: answer.text });
});
socket.bind(0, ask);
