import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { CommandLog, formatArgv } from './command-log.js';
import { DEFAULT_WAIT_MS } from './run.js';
import { describeBound, scaled } from './time-scale.js';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
}

type Stream = 'stdout' | 'stderr' | 'both';

// After 'exit', the pipes may still hold the last output; wait this long for 'close'.
const DRAIN_AFTER_EXIT_MS = 500;
const OUTPUT_TAIL_CHARS = 2_000;

/** A process started inside a namespace: output collected, readiness awaited by content, stopped by PID. */
export class HostProcess {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  private out = '';
  private err = '';
  private exitStatus: ExitStatus | undefined;
  private drained = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly argv: readonly string[],
    private readonly log: CommandLog,
    options: SpawnOptions = {},
  ) {
    const [file, ...args] = argv;
    const child: ChildProcess = spawn(file ?? '', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    child.on('error', (error) => log.note(`  spawn error: ${error.message}`));
    if (child.pid === undefined) throw new Error(`could not start ${formatArgv(argv)} (is iproute2 installed?)`);
    this.pid = child.pid;
    log.note(`$ ${formatArgv(argv)} &  (pid ${this.pid})`);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.append('stdout', chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.append('stderr', chunk));
    this.exited = this.watchExit(child);
  }

  get stdout(): string {
    return this.out;
  }
  get stderr(): string {
    return this.err;
  }
  get running(): boolean {
    return this.exitStatus === undefined;
  }
  get exitedWith(): ExitStatus | undefined {
    return this.exitStatus;
  }

  /** Sends a signal by PID; does nothing once the process has exited (its PID may be reused). */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.running) return;
    this.log.note(`kill -${signal} ${this.pid}`);
    try {
      process.kill(this.pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  /** SIGTERM, then SIGKILL if still alive after graceMs. Resolves once the process is gone. */
  async stop(graceMs = 2_000): Promise<ExitStatus> {
    this.kill('SIGTERM');
    const status = await Promise.race([this.exited, delay(scaled(graceMs), undefined)]);
    if (status) return status;
    this.kill('SIGKILL');
    return this.exited;
  }

  /** Resolves with the first match of pattern in the collected output; rejects on timeout or exit. */
  waitForOutput(pattern: RegExp, waitMs = DEFAULT_WAIT_MS, stream: Stream = 'both'): Promise<RegExpMatchArray> {
    const timeoutMs = scaled(waitMs);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = this.text(stream).match(pattern);
        if (match) return settle(() => resolve(match));
        if (this.drained)
          settle(() => reject(this.waitError(`exited (${describe(this.exitStatus)}) before printing ${pattern}`)));
      };
      const timer = setTimeout(
        () => settle(() => reject(this.waitError(`no ${pattern} within ${describeBound(waitMs)}`))),
        timeoutMs,
      );
      const settle = (finish: () => void): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        finish();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** The command, its exit and the tail of its output: what the lab log keeps of each process. */
  outputSummary(): string {
    return `${formatArgv(this.argv)} (pid ${this.pid}, ${describe(this.exitStatus)})\n${this.outputTails()}`;
  }

  private outputTails(): string {
    const tail = (text: string): string => text.slice(-OUTPUT_TAIL_CHARS).trimEnd() || '(empty)';
    return `--- stdout ---\n${tail(this.out)}\n--- stderr ---\n${tail(this.err)}`;
  }

  private text(stream: Stream): string {
    if (stream === 'stdout') return this.out;
    if (stream === 'stderr') return this.err;
    return `${this.out}\n${this.err}`;
  }

  private waitError(why: string): Error {
    return new Error(`${formatArgv(this.argv)} (pid ${this.pid}): ${why}\n${this.outputTails()}`);
  }

  private append(stream: 'stdout' | 'stderr', chunk: string): void {
    if (stream === 'stdout') this.out += chunk;
    else this.err += chunk;
    for (const listener of [...this.listeners]) listener();
  }

  private async watchExit(child: ChildProcess): Promise<ExitStatus> {
    const closed = new Promise((resolve) => child.once('close', resolve));
    const status = await new Promise<ExitStatus>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    // Reaped now: from here on the PID may belong to someone else, so kill() must not use it.
    this.exitStatus = status;
    this.log.note(`pid ${this.pid} exited (${describe(status)})`);
    await Promise.race([closed, delay(DRAIN_AFTER_EXIT_MS)]);
    this.drained = true;
    for (const listener of [...this.listeners]) listener();
    return status;
  }
}

function describe(status: ExitStatus | undefined): string {
  if (!status) return 'running';
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}
