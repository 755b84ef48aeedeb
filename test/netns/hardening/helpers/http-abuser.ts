/**
 * Abusive HTTP clients against mmproxy's metrics endpoint, inside a namespace:
 *   node http-abuser.js --connect ADDR:PORT --clients N --hold-ms MS
 *       N clients at once for MS, each one of four kinds in turn; a client the server closes comes back after
 *       RECONNECT_MS, so the pressure holds. Prints `STARTED` once every client has tried to connect, then one
 *       JSON line, AbuseResult, at the end.
 *   node http-abuser.js --scrape ADDR:PORT
 *       One GET /metrics; prints one JSON line, ScrapeResult.
 */
import { connect, type Socket } from 'node:net';

import { countOption, option, parseHostPort } from '../../../../lab/services/args.js';

export const ABUSE_KINDS = ['half-sent-headers', 'slow', 'garbage', 'get-double-slash'] as const;
export type AbuseKind = (typeof ABUSE_KINDS)[number];

export interface AbuseResult {
  clients: number;
  /** Connections made over the run, by kind. */
  connections: Record<AbuseKind, number>;
  /** Connections the server closed (timeouts, the connection cap, bad requests), by kind. */
  closedByServer: Record<AbuseKind, number>;
  /** The status line of each answer, counted: "404", "400", … */
  statuses: Record<string, number>;
  connectErrors: number;
}

export interface ScrapeResult {
  status: number;
  bytes: number;
  /** mmproxy_internal_errors_total, or null when missing. */
  internalErrors: number | null;
  error?: string;
}

/** A client the server closed waits this long before it comes back. */
const RECONNECT_MS = 200;
/** The slow client's pace: one byte of a request at a time. */
const SLOW_BYTE_MS = 500;
/** The garbage client sends this much junk this often. */
const GARBAGE_BYTES = 512;
const GARBAGE_MS = 1000;
/** `GET //` again on the same connection this often, while the server keeps it. */
const DOUBLE_SLASH_MS = 500;

const REQUEST = 'GET /metrics HTTP/1.1\r\nhost: mmproxy\r\n';
const DOUBLE_SLASH = 'GET // HTTP/1.1\r\nhost: mmproxy\r\n\r\n';

const zero = (): Record<AbuseKind, number> =>
  Object.fromEntries(ABUSE_KINDS.map((kind) => [kind, 0])) as Record<AbuseKind, number>;

const result: AbuseResult = { clients: 0, connections: zero(), closedByServer: zero(), statuses: {}, connectErrors: 0 };
let stopping = false;
const live = new Set<Socket>();

/** Feeds `socket` its kind of abuse on a timer; returns the timer to clear when the socket goes. */
function abuse(socket: Socket, kind: AbuseKind): NodeJS.Timeout | undefined {
  switch (kind) {
    case 'half-sent-headers':
      // The request line and a header, never the blank line that ends the head.
      socket.write(REQUEST);
      return undefined;
    case 'slow': {
      let at = 0;
      return setInterval(() => socket.write(REQUEST[at++ % REQUEST.length]!), SLOW_BYTE_MS);
    }
    case 'garbage': {
      const junk = (): Buffer =>
        Buffer.from(Array.from({ length: GARBAGE_BYTES }, () => Math.floor(Math.random() * 256)));
      socket.write(junk());
      return setInterval(() => socket.write(junk()), GARBAGE_MS);
    }
    case 'get-double-slash':
      socket.write(DOUBLE_SLASH);
      return setInterval(() => socket.write(DOUBLE_SLASH), DOUBLE_SLASH_MS);
  }
}

function countStatuses(text: string): void {
  for (const match of text.matchAll(/HTTP\/1\.1 (\d{3})/g)) {
    const status = match[1]!;
    result.statuses[status] = (result.statuses[status] ?? 0) + 1;
  }
}

function client(target: { host: string; port: number }, kind: AbuseKind, onFirstAttempt: () => void): void {
  let first = true;
  const start = (): void => {
    if (stopping) return;
    const socket = connect(target.port, target.host);
    live.add(socket);
    let timer: NodeJS.Timeout | undefined;
    let connected = false;
    socket.setEncoding('latin1');
    socket.on('connect', () => {
      connected = true;
      result.connections[kind]++;
      timer = abuse(socket, kind);
    });
    socket.on('data', (chunk: string) => countStatuses(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ETIMEDOUT') result.connectErrors++;
    });
    socket.on('close', () => {
      clearInterval(timer);
      live.delete(socket);
      if (stopping) return;
      if (connected) result.closedByServer[kind]++;
      setTimeout(start, RECONNECT_MS);
    });
    if (first) {
      first = false;
      onFirstAttempt();
    }
  };
  start();
}

async function runAbuse(argv: string[]): Promise<void> {
  const target = parseHostPort(option(argv, 'connect') ?? '');
  const clients = countOption(argv, 'clients', 1000);
  const holdMs = countOption(argv, 'hold-ms', 10_000);
  result.clients = clients;
  let attempted = 0;
  for (let i = 0; i < clients; i++) {
    client(target, ABUSE_KINDS[i % ABUSE_KINDS.length]!, () => {
      if (++attempted === clients) process.stdout.write('STARTED\n');
    });
  }
  await new Promise((resolve) => setTimeout(resolve, holdMs));
  stopping = true;
  for (const socket of live) socket.destroy();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function scrape(argv: string[]): Promise<void> {
  const { host, port } = parseHostPort(option(argv, 'scrape') ?? '');
  let answer: ScrapeResult;
  try {
    const response = await fetch(`http://${host}:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
    const body = await response.text();
    const internal = /^mmproxy_internal_errors_total (\d+)$/m.exec(body);
    answer = { status: response.status, bytes: body.length, internalErrors: internal ? Number(internal[1]) : null };
  } catch (error) {
    answer = { status: 0, bytes: 0, internalErrors: null, error: String(error) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}

const argv = process.argv.slice(2);
await (option(argv, 'scrape') === undefined ? runAbuse(argv) : scrape(argv));
