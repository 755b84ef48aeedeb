/**
 * Runs the data plane driver (./dataplane-driver.ts) inside
 * a lab host and talks to it over its Unix control socket from the mocha
 * process, which stays in the root namespace.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import type { DataPlaneConfig } from '../../../../src/native/dataplane-types.js';
import type { DataPlaneCounters, DataPlaneEvent, FlowRecord } from '../../../../src/base/flows.js';
import type { DriverCommand } from './dataplane-driver.js';
import type { FastPathStatus } from '../../../../src/native/native-types.js';
import { scaled, type Host, type HostProcess } from '../../../../lab/index.js';

export { dataPlaneConfig } from '../../../support/dataplane-config.js';

export const DRIVER = fileURLToPath(new URL('./dataplane-driver.js', import.meta.url));
export const STREAM_SERVICE = fileURLToPath(new URL('../../../../lab/services/stream-service.js', import.meta.url));
export const PROXY_CLIENT = fileURLToPath(new URL('../../../../lab/services/proxy-client.js', import.meta.url));

const POLL_MS = 25;
const DEFAULT_WAIT_MS = 10_000;

/** Polls check() until it returns a value other than undefined; bounded. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  waitMs = DEFAULT_WAIT_MS,
): Promise<T> {
  const timeoutMs = scaled(waitMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(POLL_MS);
  }
}

export class DataPlaneDriver {
  private closing: Promise<{ fdsBefore: number; fdsAfter: number }> | undefined;

  private constructor(
    readonly process: HostProcess,
    private readonly control: Socket,
    private readonly replies: AsyncIterator<string>,
  ) {}

  /** `maxOpenFiles` runs the driver under `prlimit --nofile`, to provoke EMFILE. */
  static async start(
    host: Host,
    config: DataPlaneConfig,
    { maxOpenFiles }: { maxOpenFiles?: number } = {},
  ): Promise<DataPlaneDriver> {
    const controlPath = join(tmpdir(), `mmp-dp-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
    const limit = maxOpenFiles === undefined ? [] : ['prlimit', `--nofile=${maxOpenFiles}`];
    const child = host.spawn([...limit, process.execPath, DRIVER, '--control', controlPath, JSON.stringify(config)]);
    const started = await child.waitForOutput(/^\{"type":"(started|error)".*$/m);
    if (started[1] === 'error') throw new Error(`data plane did not start: ${started[0]}`);
    const control = connect(controlPath);
    await new Promise<void>((resolve, reject) => control.once('connect', resolve).once('error', reject));
    return new DataPlaneDriver(child, control, createInterface({ input: control })[Symbol.asyncIterator]());
  }

  /** Every event delivered so far, in order. */
  events(): DataPlaneEvent[] {
    return this.process.stdout
      .split('\n')
      .filter((line) => line.startsWith('{"type":"events"'))
      .flatMap((line) => (JSON.parse(line) as { events: DataPlaneEvent[] }).events);
  }

  waitForEvent(kind: string, timeoutMs = DEFAULT_WAIT_MS): Promise<DataPlaneEvent> {
    return eventually(`a '${kind}' event`, () => this.events().find((event) => event.kind === kind), timeoutMs);
  }

  async command<T>(command: DriverCommand['command'], argument?: unknown): Promise<T> {
    this.control.write(`${JSON.stringify({ command, argument })}\n`);
    const next = await this.replies.next();
    if (next.done) throw new Error(`driver closed its control socket\n${this.process.stderr}`);
    const reply = JSON.parse(next.value) as { value?: T; error?: { message: string } };
    if (reply.error) throw new Error(`${command}: ${reply.error.message}`);
    return reply.value as T;
  }

  counters(): Promise<DataPlaneCounters> {
    return this.command('counters');
  }

  flows(): Promise<FlowRecord[]> {
    return this.command('flows');
  }

  /** The driver process's fast path: available, and flows promoted and demoted by the watchdog so far. */
  fastPath(): Promise<FastPathStatus | null> {
    return this.command('fastPath');
  }

  /** Closes the data plane; resolves with the driver's descriptor counts around it. Idempotent. */
  close(): Promise<{ fdsBefore: number; fdsAfter: number }> {
    this.closing ??= (async () => {
      const fds = await this.command<{ fdsBefore: number; fdsAfter: number }>('close');
      this.control.destroy();
      await this.process.stop();
      return fds;
    })();
    return this.closing;
  }
}
