/**
 * The proxy's signals from the first moment its code runs. bin/mmproxy.js
 * calls catchSignalsEarly() before it loads anything else (this module
 * imports nothing), so a SIGHUP or SIGTERM sent while the proxy loads, reads
 * its files or starts the data plane is held here instead of taking the
 * default action (for both: the process dies on the spot). Once the proxy
 * listens to a signal (./signals.ts), what was held for it is delivered:
 * an early SIGHUP reloads, an early SIGTERM stops cleanly (exit 0).
 *
 * What no JavaScript can cover is node's own start-up, before the first line
 * of bin/mmproxy.js runs (tens to hundreds of milliseconds): a supervisor
 * should signal only once the proxy is up (systemd does, with Type=notify).
 */

/** Where signals come from: `process`, or the buffer below standing in for it. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** The signals the proxy handles (./signals.ts); any other keeps its default action. */
export const PROXY_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

type Listener = (signal: NodeJS.Signals) => void;

/** Receives PROXY_SIGNALS from `target` and passes them on to its own listeners, holding them while there are none. */
export class SignalBuffer implements SignalSource {
  private readonly listeners = new Map<NodeJS.Signals, Set<Listener>>();
  private readonly held: NodeJS.Signals[] = [];
  private readonly receive = (signal: NodeJS.Signals): void => {
    const listeners = this.listeners.get(signal);
    if (listeners?.size) for (const listener of [...listeners]) listener(signal);
    else this.held.push(signal);
  };

  constructor(private readonly target: SignalSource) {
    for (const signal of PROXY_SIGNALS) target.on(signal, this.receive);
  }

  /** Adds a listener and, on the next microtask, delivers to it every signal of its kind held so far. */
  on(signal: NodeJS.Signals, listener: Listener): this {
    let listeners = this.listeners.get(signal);
    if (!listeners) this.listeners.set(signal, (listeners = new Set()));
    listeners.add(listener);
    const due = this.held.filter((held) => held === signal).length;
    if (due > 0) {
      this.held.splice(0, this.held.length, ...this.held.filter((held) => held !== signal));
      queueMicrotask(() => {
        for (let i = 0; i < due; i++) this.receive(signal);
      });
    }
    return this;
  }

  off(signal: NodeJS.Signals, listener: Listener): this {
    this.listeners.get(signal)?.delete(listener);
    return this;
  }

  /** Signals received while nobody listened for them, oldest first. */
  get pending(): readonly NodeJS.Signals[] {
    return this.held;
  }

  /** Gives the signals back to the process's default behaviour. */
  dispose(): void {
    for (const signal of PROXY_SIGNALS) this.target.off(signal, this.receive);
  }
}

let early: SignalBuffer | undefined;

/**
 * True when the command line runs the proxy (the default command: no
 * subcommand word first). Other commands keep node's default signal handling.
 */
export function runsProxy(args: readonly string[]): boolean {
  return args[0] === undefined || args[0].startsWith('-');
}

/** Called first thing by bin/mmproxy.js, for the proxy command only. */
export function catchSignalsEarly(): void {
  early ??= new SignalBuffer(process);
}

/** The proxy's signal source: the early buffer when there is one, else `process` itself. */
export function proxySignalSource(): SignalSource {
  return early ?? process;
}

/** Once the proxy is done: signals take their default action again. */
export function releaseEarlySignals(): void {
  early?.dispose();
  early = undefined;
}
