/**
 * Many flows streaming at once from one process, for a reload under load or one exchange on each of many ports:
 *   node stream-flows.js --connect ADDR:PORT,ADDR:PORT,... --flows N [--release-file PATH] [--mark-file PATH]
 *                        [--chunk-bytes B] [--every-ms MS] [--max-bytes M] [--timeout-ms MS] [--first-local-port P]
 * Opens N connections, the i-th to the (i mod count)-th address, and reads each one's `PEER <address> <port>`
 * banner; once every banner is in it prints `READY <json: [{connect, localPort, peer}]>`. Then every MS it sends a
 * chunk of payload(B) on each flow whose echo keeps up, at most M bytes a flow, until the release file exists
 * (without one: until the flow has sent M bytes); then half-closes the flow and reads its echo to the end. Prints
 * one JSON line (StreamFlowsResult): per flow, the bytes and sha256 sent and echoed, and how much it had sent when
 * the mark file first existed (so a test can tell that every flow kept moving after that moment). A flow the
 * other side ends first is a failure. Every wait is bounded by --timeout-ms. With --first-local-port, flow i
 * connects from port P + i: behind mmproxy every flow that reaches one service from one client address needs a
 * port of its own, and the kernel's ephemeral choice may repeat one whose last flow is still in TIME_WAIT there.
 */
import { createHash, type Hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

import { countOption, option, parseHostPort } from './args.js';
import { payload } from './payload.js';

export interface StreamFlow {
  connect: string;
  localPort?: number;
  peer?: { address: string; port: number };
  sentBytes: number;
  /** sentBytes when the mark file was first seen; absent when it never was. */
  sentAtMark?: number;
  echoedBytes: number;
  sentSha256: string;
  echoedSha256: string;
  error?: string;
}

export interface StreamFlowsResult {
  ok: boolean;
  error?: string;
  /** Flows whose echo is every byte sent, in order. */
  intact: number;
  flows: StreamFlow[];
}

const argv = process.argv.slice(2);
const targets = (option(argv, 'connect') ?? '').split(',').filter(Boolean);
const count = countOption(argv, 'flows', 1);
const releaseFile = option(argv, 'release-file');
const markFile = option(argv, 'mark-file');
const chunk = payload(countOption(argv, 'chunk-bytes', 4096));
const everyMs = countOption(argv, 'every-ms', 50);
const maxBytes = countOption(argv, 'max-bytes', 4 * 1024 * 1024);
const timeoutMs = countOption(argv, 'timeout-ms', 60_000);
const firstLocalPort = countOption(argv, 'first-local-port', 0);
const BANNER = /^PEER (\S+) (\d+)\n/;
// Longer than any banner; a flow whose first bytes hold no banner by then never will.
const BANNER_MAX_BYTES = 128;

interface Flow {
  record: StreamFlow;
  socket: Socket;
  head: Buffer;
  sent: Hash;
  echoed: Hash;
  /** This side has half-closed: the release came, or the flow sent all it may. */
  finishing: boolean;
  ended: boolean;
}

if (targets.length === 0) {
  process.stderr.write('usage: stream-flows.js --connect ADDR:PORT[,...] --flows N [--release-file PATH]\n');
  process.exit(2);
}

const flows: Flow[] = [];
let ticker: NodeJS.Timeout | undefined;
let finished = false;
const timer = setTimeout(() => finish(`not finished within ${timeoutMs}ms`), timeoutMs);

for (let i = 0; i < count; i++) {
  const target = targets[i % targets.length] ?? '';
  const { host, port } = parseHostPort(target);
  const flow: Flow = {
    record: { connect: target, sentBytes: 0, echoedBytes: 0, sentSha256: '', echoedSha256: '' },
    socket: connect({ host, port, allowHalfOpen: true, ...(firstLocalPort ? { localPort: firstLocalPort + i } : {}) }),
    head: Buffer.alloc(0),
    sent: createHash('sha256'),
    echoed: createHash('sha256'),
    finishing: false,
    ended: false,
  };
  flows.push(flow);
  flow.socket.on('connect', () => (flow.record.localPort = flow.socket.localPort));
  flow.socket.on('data', (data: Buffer) => onData(flow, data));
  flow.socket.on('end', () => {
    if (!flow.finishing) return finish(`${target} (flow ${i}): ended by the other side`);
    flow.ended = true;
    if (flows.every((f) => f.ended || f.record.error !== undefined)) finish();
  });
  flow.socket.on('error', (error) => {
    flow.record.error = error.message;
    finish(`${target} (flow ${i}): ${error.message}`);
  });
}

function onData(flow: Flow, data: Buffer): void {
  if (flow.record.peer !== undefined) {
    flow.echoed.update(data);
    flow.record.echoedBytes += data.length;
    return;
  }
  flow.head = Buffer.concat([flow.head, data]);
  const banner = BANNER.exec(flow.head.toString('latin1'));
  if (!banner) {
    if (flow.head.length > BANNER_MAX_BYTES) finish(`${flow.record.connect}: no PEER banner`);
    return;
  }
  flow.record.peer = { address: banner[1] ?? '', port: Number(banner[2]) };
  onData(flow, flow.head.subarray(banner[0].length));
  if (flows.every((f) => f.record.peer !== undefined)) start();
}

function start(): void {
  const ready = flows.map(({ record }) => ({
    connect: record.connect,
    localPort: record.localPort,
    peer: record.peer,
  }));
  process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
  ticker = setInterval(tick, everyMs);
}

function tick(): void {
  if (markFile !== undefined && existsSync(markFile))
    for (const { record } of flows) record.sentAtMark ??= record.sentBytes;
  const released = releaseFile !== undefined && existsSync(releaseFile);
  for (const flow of flows) {
    if (flow.finishing) continue;
    const full = flow.record.sentBytes + chunk.length > maxBytes;
    if (released || (full && releaseFile === undefined)) {
      flow.finishing = true;
      flow.socket.end();
      continue;
    }
    // Only while the echo keeps up, so nothing piles up in this process.
    if (full || flow.socket.writableLength > 0) continue;
    flow.socket.write(chunk);
    flow.sent.update(chunk);
    flow.record.sentBytes += chunk.length;
  }
  if (flows.every((flow) => flow.finishing)) clearInterval(ticker);
}

function finish(error?: string): void {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  clearInterval(ticker);
  for (const flow of flows) {
    flow.record.sentSha256 = flow.sent.digest('hex');
    flow.record.echoedSha256 = flow.echoed.digest('hex');
    flow.socket.destroy();
  }
  const intact = flows.filter(
    ({ record }) =>
      record.peer !== undefined && record.error === undefined && record.echoedSha256 === record.sentSha256,
  ).length;
  const problem = error ?? (intact < count ? `${count - intact} of ${count} echoes incomplete` : undefined);
  const result: StreamFlowsResult = {
    ok: problem === undefined,
    ...(problem === undefined ? {} : { error: problem }),
    intact,
    flows: flows.map((flow) => flow.record),
  };
  // The problem alone too, since a test log keeps only the tail of a long result line.
  if (problem !== undefined) process.stderr.write(`stream-flows: ${problem}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.ok ? 0 : 1);
}
