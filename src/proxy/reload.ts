/**
 * SIGHUP: read the allowed-subnets file again and hand the new list to the
 * data plane, for connections accepted from then on. A bad file changes
 * nothing: the error is logged and the previous list stays in force.
 * Reloads run one after another, never interleaved.
 */
import type { DataPlane } from '../native/dataplane-types.js';
import type { Logger } from './log/logger.js';
import type { SubnetList } from '../config/allowed-subnets.js';
import { plural } from './log/plural.js';

export class SubnetReloader {
  private inForce: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly plane: DataPlane,
    private readonly path: string | null,
    private readonly load: (path: string) => Promise<SubnetList>,
    private readonly logger: Logger,
    initialCount: number,
  ) {
    this.inForce = initialCount;
  }

  /** Queues one reload. */
  request(): void {
    this.queue = this.queue.then(() => this.reload());
  }

  /** Resolves when every requested reload is done. */
  settled(): Promise<void> {
    return this.queue;
  }

  private async reload(): Promise<void> {
    if (!this.path) {
      this.logger.log('info', 'reload', 'SIGHUP: there is no -allowed-subnets file to reload');
      return;
    }
    try {
      const next = await this.load(this.path);
      this.plane.setAllowedSubnets(next.subnets);
      this.inForce = next.subnets.length;
      for (const note of next.notes) this.logger.log('warn', 'allowed_subnets', note);
      this.logger.log('info', 'reload', `SIGHUP: now allowing ${plural(this.inForce, 'subnet')} from ${this.path}`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.log(
        'error',
        'reload_failed',
        `SIGHUP: ${reason}; still allowing the previous ${plural(this.inForce, 'subnet')}`,
      );
    }
  }
}
