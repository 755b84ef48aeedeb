/**
 * The proxy's signals: SIGTERM/SIGINT ask it to stop (a second one cuts the
 * drain short), SIGHUP asks it to reload. Handlers are removed by dispose(),
 * after which the process's default behaviour returns.
 */

import type { SignalSource } from './early-signals.js';

export type { SignalSource } from './early-signals.js';

export class ProxySignals {
  /** Resolves with the first stop signal. */
  readonly stopRequested: Promise<NodeJS.Signals>;
  private stops = 0;
  private readonly removeHandlers: () => void;

  constructor(source: SignalSource, onReload: () => void) {
    let resolveStop: (signal: NodeJS.Signals) => void = () => undefined;
    this.stopRequested = new Promise((resolve) => (resolveStop = resolve));
    const onStop = (signal: NodeJS.Signals): void => {
      this.stops++;
      if (this.stops === 1) resolveStop(signal);
    };
    source.on('SIGTERM', onStop);
    source.on('SIGINT', onStop);
    source.on('SIGHUP', onReload);
    this.removeHandlers = () => {
      source.off('SIGTERM', onStop);
      source.off('SIGINT', onStop);
      source.off('SIGHUP', onReload);
    };
  }

  /** True once a second stop signal arrived: stop waiting for open connections. */
  get forced(): boolean {
    return this.stops > 1;
  }

  dispose(): void {
    this.removeHandlers();
  }
}
