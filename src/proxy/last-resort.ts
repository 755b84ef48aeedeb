/**
 * The proxy's last resort: an exception nothing caught, or a promise
 * rejected with nobody waiting, would otherwise end the process and every
 * flow it relays. Each is counted (counters.internalErrors,
 * mmproxy_internal_errors_total), logged (error, kind internal_error, with
 * its stack; at most LOG_BURST lines per LOG_WINDOW_MS, the rest counted on
 * the next line) and survived: the event loop goes on serving.
 *
 * Except in a truly fatal state: the data plane no longer answers (its
 * `healthy` check fails), so there is nothing left to serve. Then `fatal`
 * resolves, and the proxy stops at once with its own exit code, for the
 * service manager to restart it. A burst of errors alone is not fatal: were a
 * peer able to trigger one, stopping would hand it every relayed flow.
 */
import type { Logger } from './log/logger.js';

/** Where uncaught errors are reported: `process` in the CLI. */
export interface UncaughtErrorSource {
  on(event: 'uncaughtException', listener: (error: Error) => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  off(event: 'uncaughtException', listener: (error: Error) => void): unknown;
  off(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
}

/** Lines logged per window; the errors beyond are counted, and the count goes on the next line. */
export const LOG_BURST = 10;
export const LOG_WINDOW_MS = 10_000;

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
  private suppressed = 0;
  private readonly logged: number[] = [];
  private readonly remove: () => void;

  constructor(
    source: UncaughtErrorSource,
    private readonly logger: Logger,
    /** False once the data plane no longer answers: the fatal state. */
    private readonly healthy: () => boolean,
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
    const { message, stack } = describe(error);
    if (!this.isFatal && !this.healthy()) {
      this.isFatal = true;
      this.logger.log(
        'error',
        'fatal',
        `${what}: ${message}, and the data plane no longer answers; closing every flow and stopping, for the ` +
          'service manager to restart mmproxy. This is a bug in mmproxy: please report it with this line',
        { stack },
      );
      fatal(error);
      return;
    }
    const at = this.now();
    while (this.logged.length > 0 && this.logged[0]! <= at - LOG_WINDOW_MS) this.logged.shift();
    if (this.logged.length >= LOG_BURST) {
      this.suppressed++;
      return;
    }
    this.logged.push(at);
    this.logger.log(
      'error',
      'internal_error',
      `${what}: ${message}; the proxy keeps serving. This is a bug in mmproxy: please report it with this line`,
      { stack, total: this.count, ...(this.suppressed > 0 ? { suppressed: this.suppressed } : {}) },
    );
    this.suppressed = 0;
  }
}
