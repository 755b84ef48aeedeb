/**
 * The proxy's last resort: an exception nothing caught, or a promise
 * rejected with nobody waiting, would otherwise end the process and every
 * flow it relays. Each is logged (error, kind internal_error, with its
 * stack), counted (counters.internalErrors, mmproxy_internal_errors_total)
 * and survived: the event loop goes on serving.
 *
 * Except in a truly fatal state: errors arriving faster than FATAL_BURST in
 * FATAL_WINDOW_MS mean something fails on every turn (a timer, a listener),
 * and serving on would only hide it. Then `fatal` resolves, and the proxy
 * stops at once with its own exit code, for the service manager to restart.
 */
import type { Logger } from './log/logger.js';

/** Where uncaught errors are reported: `process` in the CLI. */
export interface UncaughtErrorSource {
  on(event: 'uncaughtException', listener: (error: Error) => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  off(event: 'uncaughtException', listener: (error: Error) => void): unknown;
  off(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
}

/** More errors than this within FATAL_WINDOW_MS: the process is failing, not having a bad moment. */
export const FATAL_BURST = 50;
export const FATAL_WINDOW_MS = 10_000;

function describe(error: unknown): { message: string; stack: string } {
  if (error instanceof Error) return { message: error.message, stack: error.stack ?? error.message };
  const text = String(error);
  return { message: text, stack: text };
}

export class LastResort {
  /** Resolves with the error that made the state fatal; never rejects. */
  readonly fatal: Promise<unknown>;
  private count = 0;
  private isFatal = false;
  private readonly recent: number[] = [];
  private readonly remove: () => void;

  constructor(
    source: UncaughtErrorSource,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    let resolveFatal: (error: unknown) => void = () => undefined;
    this.fatal = new Promise((resolve) => (resolveFatal = resolve));
    const onException = (error: unknown): void => this.handle('an uncaught exception', error, resolveFatal);
    const onRejection = (error: unknown): void => this.handle('an unhandled promise rejection', error, resolveFatal);
    source.on('uncaughtException', onException);
    source.on('unhandledRejection', onRejection);
    this.remove = () => {
      source.off('uncaughtException', onException);
      source.off('unhandledRejection', onRejection);
    };
  }

  /** Errors caught here since the proxy started. */
  get errors(): number {
    return this.count;
  }

  dispose(): void {
    this.remove();
  }

  private handle(what: string, error: unknown, fatal: (error: unknown) => void): void {
    this.count++;
    const at = this.now();
    this.recent.push(at);
    while (this.recent.length > 0 && this.recent[0]! <= at - FATAL_WINDOW_MS) this.recent.shift();
    const { message, stack } = describe(error);
    if (!this.isFatal && this.recent.length > FATAL_BURST) {
      this.isFatal = true;
      this.logger.log(
        'error',
        'fatal',
        `${this.recent.length} internal errors within ${FATAL_WINDOW_MS / 1000}s, the last: ${message}; ` +
          'stopping, for the service manager to restart mmproxy. This is a bug in mmproxy: please report it with these lines',
        { stack },
      );
      fatal(error);
      return;
    }
    this.logger.log(
      'error',
      'internal_error',
      `${what}: ${message}; the proxy keeps serving. This is a bug in mmproxy: please report it with this line`,
      { stack, total: this.count },
    );
  }
}
