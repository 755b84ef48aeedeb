import { setTimeout as delay } from 'node:timers/promises';
import { CommandLog } from './command-log.js';
import { HostProcess, type SpawnOptions } from './host-process.js';
import { DEFAULT_WAIT_MS, execLogged, runLogged, type ExecOptions, type ExecResult } from './run.js';
import { describeBound, scaled } from './time-scale.js';

/** What a host needs from its lab: the shared log, and a place to register processes for teardown. */
export interface HostContext {
  log: CommandLog;
  track(process: HostProcess): void;
}

export interface WaitForPortOptions {
  proto?: 'tcp' | 'udp';
  timeoutMs?: number;
}

// The table of the brief's loopback routing (go-mmproxy's documentation uses 123 too).
export const DEFAULT_LOOPBACK_TABLE = 123;
const PORT_POLL_INTERVAL_MS = 50;

/** One network namespace. Everything it runs goes through `ip netns exec` / `ip -n` and is logged. */
export class Host {
  private loopbackTable: number | undefined;
  private linkCount = 0;

  constructor(
    readonly name: string,
    readonly ns: string,
    private readonly context: HostContext,
  ) {}

  /** The lab's command log, for notes of your own (a config written, a step reached). */
  get log(): CommandLog {
    return this.context.log;
  }

  /** Runs argv inside the namespace; resolves with its exit code, rejects only on timeout or spawn failure. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return execLogged(this.context.log, ['ip', 'netns', 'exec', this.ns, ...argv], options);
  }

  /** Like exec, but a non-zero exit rejects with the command's stderr. */
  run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return runLogged(this.context.log, ['ip', 'netns', 'exec', this.ns, ...argv], options);
  }

  /** A shell script inside the namespace, for when a pipeline is the point. */
  sh(script: string, options?: ExecOptions): Promise<ExecResult> {
    return this.exec(['sh', '-c', script], options);
  }

  /** `ip -n <ns> ...args`, failing loudly: the kit's own configuration steps. */
  ip(args: readonly string[]): Promise<ExecResult> {
    return runLogged(this.context.log, ['ip', '-n', this.ns, ...args]);
  }

  /** Starts a long-running process inside the namespace; the lab stops it on teardown. */
  spawn(argv: readonly string[], options?: SpawnOptions): HostProcess {
    const child = new HostProcess(['ip', 'netns', 'exec', this.ns, ...argv], this.context.log, options);
    this.context.track(child);
    return child;
  }

  /** Starts a Node script (e.g. one of the kit's services) with this Node binary. */
  node(scriptPath: string, args: readonly string[] = [], options?: SpawnOptions): HostProcess {
    return this.spawn([process.execPath, scriptPath, ...args], options);
  }

  /** Polls `ss -N <ns>` until something listens on port (TCP) or is bound to it (UDP). */
  async waitForPort(
    port: number,
    { proto = 'tcp', timeoutMs: waitMs = DEFAULT_WAIT_MS }: WaitForPortOptions = {},
  ): Promise<void> {
    const flags = proto === 'tcp' ? '-tlnH' : '-ulnH';
    const timeoutMs = scaled(waitMs);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { stdout } = await runLogged(this.context.log, ['ss', '-N', this.ns, flags, 'sport', '=', `:${port}`]);
      if (stdout.trim() !== '') return;
      if (Date.now() >= deadline) {
        throw new Error(
          `${this.name} (${this.ns}): nothing bound to ${proto} port ${port} after ${describeBound(waitMs)}`,
        );
      }
      await delay(PORT_POLL_INTERVAL_MS);
    }
  }

  async sysctl(key: string, value: string | number): Promise<void> {
    await this.run(['sysctl', '-q', '-w', `${key}=${value}`]);
  }

  /** The brief's four policy-routing commands, inside this namespace only. */
  async addLoopbackRouting({ table = DEFAULT_LOOPBACK_TABLE }: { table?: number } = {}): Promise<void> {
    if (this.loopbackTable !== undefined)
      throw new Error(`${this.name}: loopback routing already added (table ${this.loopbackTable})`);
    for (const args of loopbackRoutingCommands('add', table)) await this.ip(args);
    this.loopbackTable = table;
  }

  async removeLoopbackRouting(): Promise<void> {
    if (this.loopbackTable === undefined) throw new Error(`${this.name}: no loopback routing to remove`);
    for (const args of loopbackRoutingCommands('del', this.loopbackTable)) await this.ip(args);
    this.loopbackTable = undefined;
  }

  /** The next free interface name in this namespace: eth0, eth1, ... */
  nextInterfaceName(): string {
    return `eth${this.linkCount++}`;
  }
}

function loopbackRoutingCommands(verb: 'add' | 'del', table: number): string[][] {
  const t = String(table);
  return [
    ['rule', verb, 'from', '127.0.0.1/8', 'iif', 'lo', 'table', t],
    ['route', verb, 'local', '0.0.0.0/0', 'dev', 'lo', 'table', t],
    ['-6', 'rule', verb, 'from', '::1/128', 'iif', 'lo', 'table', t],
    ['-6', 'route', verb, 'local', '::/0', 'dev', 'lo', 'table', t],
  ];
}
