/**
 * One client of the stats socket: reads request lines, answers snapshots,
 * streams them for a subscription. Bounded both ways: requests are capped in
 * size and read only as fast as answers drain; a subscriber that stops
 * reading is skipped, then dropped, never buffered for without limit.
 */
import type { Socket } from 'node:net';

import { LineSplitter, MAX_REQUEST_CHARS, errorLine, parseRequest, type StatsErrorCode } from './protocol.js';

export interface ConnectionLimits {
  /** An idle client that has not subscribed is closed after this. */
  idleTimeoutMs: number;
  /** A subscriber whose previous snapshot is still unsent this long is dropped. */
  slowClientMs: number;
}

export class StatsConnection {
  private readonly lines = new LineSplitter(MAX_REQUEST_CHARS);
  private readonly queue: string[] = [];
  private blocked = false;
  private subscription: NodeJS.Timeout | undefined;
  private lastCaughtUpMs = Date.now();

  constructor(
    private readonly socket: Socket,
    private readonly snapshotLine: () => string,
    private readonly limits: ConnectionLimits,
  ) {
    socket.setEncoding('utf8');
    socket.setTimeout(limits.idleTimeoutMs);
    socket.on('timeout', () => this.fail('request_timeout', 'no request received in time; closing'));
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('drain', () => {
      this.blocked = false;
      socket.resume();
      this.pump();
    });
    // EPIPE / ECONNRESET: the client left; 'close' follows and cleans up.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => clearInterval(this.subscription));
  }

  private receive(chunk: string): void {
    const lines = this.lines.push(chunk);
    if (lines === null) {
      this.fail('request_too_large', `a request line is limited to ${MAX_REQUEST_CHARS} characters`);
      return;
    }
    this.queue.push(...lines);
    this.pump();
  }

  /** Answers queued requests until the socket asks us to wait. */
  private pump(): void {
    while (!this.blocked && this.queue.length > 0 && !this.socket.destroyed) {
      this.handle(this.queue.shift()!);
    }
  }

  private handle(line: string): void {
    const parsed = parseRequest(line);
    if (!parsed.ok) {
      this.send(`${JSON.stringify(parsed.reply)}\n`);
      return;
    }
    const { request } = parsed;
    if (request.cmd === 'snapshot') {
      this.send(this.safeSnapshotLine());
      return;
    }
    if (this.subscription) {
      this.send(
        errorLine('already_subscribed', 'this connection is already streaming; open another to change the interval'),
      );
      return;
    }
    // Streaming writes keep the socket busy; the idle timeout is for silent clients only.
    this.socket.setTimeout(0);
    this.send(this.safeSnapshotLine());
    this.subscription = setInterval(() => this.tick(), request.intervalMs);
  }

  private tick(): void {
    const now = Date.now();
    if (this.socket.writableLength === 0) {
      this.lastCaughtUpMs = now;
      this.send(this.safeSnapshotLine());
    } else if (now - this.lastCaughtUpMs > this.limits.slowClientMs) {
      this.socket.destroy();
    }
    // Otherwise skip this tick: the client still has the previous snapshot to read.
  }

  private send(line: string): void {
    if (!this.socket.write(line)) {
      this.blocked = true;
      this.socket.pause();
    }
  }

  private safeSnapshotLine(): string {
    try {
      return this.snapshotLine();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return errorLine('internal', `could not read the proxy's stats: ${message}`);
    }
  }

  private fail(code: StatsErrorCode, message: string): void {
    clearInterval(this.subscription);
    this.queue.length = 0;
    if (!this.socket.destroyed) this.socket.end(errorLine(code, message));
    // A client that does not read its error is not waited for.
    setTimeout(() => this.socket.destroy(), this.limits.slowClientMs).unref();
  }

  close(): void {
    clearInterval(this.subscription);
    this.socket.destroy();
  }
}
