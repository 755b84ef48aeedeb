/**
 * Runs the pool driver (./pool-driver.ts) inside a lab host and talks to it
 * over its Unix control socket from the mocha process.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import type { DataPlaneConfig } from '../../../../src/native/dataplane-types.js';
import type { DataPlaneCounters, DataPlaneEvent } from '../../../../src/base/flows.js';
import type { PoolCommand } from './pool-driver.js';
import type { Host, HostProcess } from '../../../../lab/index.js';

const POOL_DRIVER = fileURLToPath(new URL('./pool-driver.js', import.meta.url));

export class PoolDriver {
  private constructor(
    readonly process: HostProcess,
    private readonly control: Socket,
    private readonly replies: AsyncIterator<string>,
  ) {}

  static async start(host: Host, threads: number): Promise<PoolDriver> {
    const controlPath = join(tmpdir(), `mmp-pool-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
    const child = host.node(POOL_DRIVER, ['--control', controlPath, '--threads', String(threads)]);
    await child.waitForOutput(/^\{"type":"started".*$/m);
    const control = connect(controlPath);
    await new Promise<void>((resolve, reject) => control.once('connect', resolve).once('error', reject));
    return new PoolDriver(child, control, createInterface({ input: control })[Symbol.asyncIterator]());
  }

  private async command<T>(request: PoolCommand): Promise<T> {
    this.control.write(`${JSON.stringify(request)}\n`);
    const next = await this.replies.next();
    if (next.done) throw new Error(`pool driver closed its control socket\n${this.process.stderr}`);
    const reply = JSON.parse(next.value) as { value?: T; error?: { message: string } };
    if (reply.error) throw new Error(`${request.command}: ${reply.error.message}`);
    return reply.value as T;
  }

  /** Makes and starts a plane on the pool; `adopt` names the plane whose listeners it takes over. */
  add(name: string, config: DataPlaneConfig, adopt?: string): Promise<void> {
    return this.command({ command: 'add', argument: { name, config, ...(adopt === undefined ? {} : { adopt }) } });
  }

  counters(name: string): Promise<DataPlaneCounters> {
    return this.command({ command: 'counters', argument: name });
  }

  stopAccepting(name: string): Promise<void> {
    return this.command({ command: 'stopAccepting', argument: name });
  }

  close(name: string): Promise<void> {
    return this.command({ command: 'close', argument: name });
  }

  /** Every event a plane delivered so far, in order. */
  events(name: string): DataPlaneEvent[] {
    return this.process.stdout
      .split('\n')
      .filter((line) => line.startsWith('{"type":"events"'))
      .map((line) => JSON.parse(line) as { plane: string; events: DataPlaneEvent[] })
      .filter((batch) => batch.plane === name)
      .flatMap((batch) => batch.events);
  }

  /** Closes the pool and every plane on it; the driver's descriptor counts before the planes and after. */
  async closePool(): Promise<{ fdsBefore: number; fdsAfter: number }> {
    const fds = await this.command<{ fdsBefore: number; fdsAfter: number }>({ command: 'closePool' });
    this.control.destroy();
    await this.process.stop();
    return fds;
  }
}
