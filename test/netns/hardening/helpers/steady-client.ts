/**
 * The legitimate flow that runs while the hostile ones hit the same port, inside a namespace:
 *   node steady-client.js --connect ADDR:PORT --header-hex HEX --release-file PATH [--timeout-ms MS]
 * Sends the PROXY header, waits for the service's banner and prints `READY`; then sends payload() in small
 * slices at a steady pace (each slice far below the proxy's 32 KiB splice threshold, so the flow stays on the
 * read/write path and borrows no pipe) until the release file exists; then half-closes, reads to the end and
 * prints one JSON line, SteadyResult: ok when the echo is exactly the bytes sent, in order.
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';

import { countOption, option, parseHostPort } from '../../../../lab/services/args.js';
import { payload } from '../../../../lab/services/payload.js';

export interface SteadyResult {
  ok: boolean;
  error?: string;
  banner: string;
  sentBytes: number;
  receivedBytes: number;
  /** Slices sent while the hostile traffic ran. */
  slices: number;
}

const SLICE_BYTES = 512;
const SLICE_INTERVAL_MS = 25;
/** A bound on the run, far beyond what the suite needs. */
const MAX_BYTES = 64 * 1024 * 1024;

const argv = process.argv.slice(2);
const target = parseHostPort(option(argv, 'connect') ?? '');
const header = Buffer.from(option(argv, 'header-hex') ?? '', 'hex');
const releaseFile = option(argv, 'release-file') ?? '';
const timeoutMs = countOption(argv, 'timeout-ms', 120_000);
const BANNER = /^PEER \S+ \d+\n/;

/** The pattern of payload() repeats every 64 KiB: slices are cut from one period. */
const PERIOD = 64 * 1024;
const source = payload(PERIOD);
let sent = 0;
let slices = 0;
let head = Buffer.alloc(0);
let banner = '';
let echoed = 0;
/** Offset of the first echoed byte that is not the one sent there, if any. */
let firstWrong = -1;
let finished = false;

/** Compares echoed bytes with what was sent at the same offset, as they arrive (no copy of the stream kept). */
function check(chunk: Buffer): void {
  for (let i = 0; i < chunk.length && firstWrong < 0; i++) {
    if (echoed + i >= sent || chunk[i] !== source[(echoed + i) % PERIOD]) firstWrong = echoed + i;
  }
  echoed += chunk.length;
}

function finish(error?: string): void {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  let problem = error;
  if (problem === undefined && firstWrong >= 0) problem = `echo differs from what was sent at byte ${firstWrong}`;
  if (problem === undefined && echoed !== sent) problem = `${echoed} of ${sent} bytes echoed`;
  const result: SteadyResult = {
    ok: problem === undefined,
    ...(problem === undefined ? {} : { error: problem }),
    banner: banner.trim(),
    sentBytes: sent,
    receivedBytes: echoed,
    slices,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.ok ? 0 : 1);
}

const timer = setTimeout(() => finish(`not finished within ${timeoutMs}ms`), timeoutMs);
const socket = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });

function sendSlice(): void {
  if (finished) return;
  if (existsSync(releaseFile) || sent + SLICE_BYTES > MAX_BYTES) {
    socket.end();
    return;
  }
  const offset = sent % PERIOD;
  socket.write(source.subarray(offset, offset + SLICE_BYTES));
  sent += SLICE_BYTES;
  slices++;
  setTimeout(sendSlice, SLICE_INTERVAL_MS);
}

socket.on('connect', () => socket.write(header));
socket.on('data', (chunk: Buffer) => {
  if (banner !== '') return check(chunk);
  head = Buffer.concat([head, chunk]);
  const match = BANNER.exec(head.toString('latin1'));
  if (match === null) return;
  banner = match[0];
  process.stdout.write('READY\n');
  check(head.subarray(banner.length));
  sendSlice();
});
socket.on('end', () => finish());
socket.on('error', (error) => finish(`the legitimate flow failed: ${error.message}`));
