/**
 * Reading a running proxy's stats socket: one snapshot, or a subscription
 * that survives the proxy going away and coming back (reconnect with
 * exponential backoff, the socket path resolved again on every attempt
 * since a restarted proxy has a new pid and so a new default path).
 */
import { createConnection } from 'node:net';

import { StatsClientError, fromSocketError } from './client-errors.js';
import { parseSnapshotLine } from './parse-snapshot.js';
import { LineSplitter, type StatsRequest } from './protocol.js';
import type { StatsSnapshot } from './schema.js';

/** A snapshot line is bounded by the server's flow limit; anything near this is not a snapshot. */
const MAX_SNAPSHOT_CHARS = 64 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 5000;

interface StreamHandlers {
  onSnapshot(snapshot: StatsSnapshot): void;
  /** Called once, when the stream ends for any reason other than close(). */
  onEnd(error: StatsClientError): void;
}

interface Stream {
  close(): void;
}

function openStream(path: string, request: StatsRequest, handlers: StreamHandlers): Stream {
  const socket = createConnection({ path });
  const lines = new LineSplitter(MAX_SNAPSHOT_CHARS);
  let ended = false;
  const end = (error: StatsClientError): void => {
    if (ended) return;
    ended = true;
    socket.destroy();
    handlers.onEnd(error);
  };
  socket.setEncoding('utf8');
  socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
  socket.on('data', (chunk: string) => {
    const complete = lines.push(chunk);
    if (complete === null) {
      end(new StatsClientError('protocol', `a stats line exceeded ${MAX_SNAPSHOT_CHARS} characters`));
      return;
    }
    for (const line of complete) {
      if (ended) return;
      try {
        handlers.onSnapshot(parseSnapshotLine(line));
      } catch (error) {
        end(error instanceof StatsClientError ? error : new StatsClientError('protocol', String(error)));
      }
    }
  });
  socket.on('error', (error: NodeJS.ErrnoException) => end(fromSocketError(path, error)));
  socket.on('close', () =>
    end(new StatsClientError('closed', `the proxy closed its stats socket ${path}; it stopped?`)),
  );
  return {
    close(): void {
      ended = true;
      socket.destroy();
    },
  };
}

export function requestSnapshot(path: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<StatsSnapshot> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.close();
      reject(new StatsClientError('timeout', `no answer from ${path} within ${timeoutMs} ms; is the proxy stuck?`));
    }, timeoutMs);
    const stream = openStream(
      path,
      { cmd: 'snapshot' },
      {
        onSnapshot(snapshot) {
          clearTimeout(timer);
          stream.close();
          resolve(snapshot);
        },
        onEnd(error) {
          clearTimeout(timer);
          reject(error);
        },
      },
    );
  });
}

export type SubscriptionStatus =
  | { state: 'connecting' }
  | { state: 'connected'; path: string }
  | { state: 'retrying'; error: StatsClientError; attempt: number; retryInMs: number };

export interface SubscribeOptions {
  /** Resolved on every attempt; throw a StatsClientError when there is nothing to connect to. */
  socketPath(): Promise<string>;
  intervalMs: number;
  onSnapshot(snapshot: StatsSnapshot): void;
  onStatus(status: SubscriptionStatus): void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface Subscription {
  close(): void;
}

export function subscribeStats(options: SubscribeOptions): Subscription {
  const initialBackoffMs = options.initialBackoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  // A server that stops sending (stopped process, full disk) is treated as gone.
  const stallMs = options.intervalMs * 3 + DEFAULT_TIMEOUT_MS;
  let closed = false;
  let attempt = 0;
  let stream: Stream | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let stallTimer: NodeJS.Timeout | undefined;

  const retry = (error: StatsClientError): void => {
    clearTimeout(stallTimer);
    if (closed) return;
    attempt += 1;
    const retryInMs = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (attempt - 1));
    options.onStatus({ state: 'retrying', error, attempt, retryInMs });
    retryTimer = setTimeout(() => void connect(), retryInMs);
  };

  const watchStall = (path: string): void => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => {
      stream?.close();
      retry(new StatsClientError('timeout', `no stats from ${path} for ${stallMs} ms; is the proxy stuck?`));
    }, stallMs);
  };

  async function connect(): Promise<void> {
    if (closed) return;
    options.onStatus({ state: 'connecting' });
    let path: string;
    try {
      path = await options.socketPath();
    } catch (error) {
      retry(error instanceof StatsClientError ? error : new StatsClientError('not_running', String(error)));
      return;
    }
    if (closed) return;
    let announced = false;
    watchStall(path);
    stream = openStream(
      path,
      { cmd: 'subscribe', intervalMs: options.intervalMs },
      {
        onSnapshot(snapshot) {
          attempt = 0;
          watchStall(path);
          if (!announced) {
            announced = true;
            options.onStatus({ state: 'connected', path });
          }
          options.onSnapshot(snapshot);
        },
        onEnd: retry,
      },
    );
  }

  void connect();
  return {
    close(): void {
      closed = true;
      clearTimeout(retryTimer);
      clearTimeout(stallTimer);
      stream?.close();
    },
  };
}
