import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Host } from './host.js';
import { DEFAULT_WAIT_MS } from './run.js';
import type { HostProcess } from './host-process.js';

export const HAPROXY = '/usr/sbin/haproxy';

export interface StartHaproxyOptions {
  /** A full configuration; see tcpProxyConfig() for the usual one. */
  config: string;
  /** TCP ports to wait for (via ss) before resolving: usually the frontend's. */
  waitForPorts?: number[];
  timeoutMs?: number;
}

/** A real HAProxy running in the foreground inside a host; its log lines arrive on its stdout. */
export class Haproxy {
  constructor(
    readonly process: HostProcess,
    readonly configPath: string,
  ) {}

  /** Log lines so far (`option tcplog` format: `... fe be/s0 1/0/7102 0 SD ...`). */
  logLines(): string[] {
    return this.process.stdout.split('\n').filter(Boolean);
  }

  async waitForLog(pattern: RegExp, timeoutMs = DEFAULT_WAIT_MS): Promise<RegExpMatchArray> {
    return this.process.waitForOutput(pattern, timeoutMs, 'stdout');
  }

  stop(): Promise<unknown> {
    return this.process.stop();
  }
}

/**
 * Checks the configuration with `haproxy -c` (throwing haproxy's own explanation when invalid), then starts
 * `haproxy -db` — foreground, no master-worker — so the PID the lab tracks is HAProxy itself.
 */
export async function startHaproxy(
  host: Host,
  { config, waitForPorts = [], timeoutMs = DEFAULT_WAIT_MS }: StartHaproxyOptions,
): Promise<Haproxy> {
  const dir = mkdtempSync(join(tmpdir(), `mmproxy-haproxy-${host.name}-`));
  const configPath = join(dir, 'haproxy.cfg');
  writeFileSync(configPath, config);
  host.log.note(`haproxy config ${configPath}:\n${config}`);
  const check = await host.exec([HAPROXY, '-c', '-f', configPath], { timeoutMs });
  if (check.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `haproxy rejected its configuration (exit ${check.code}):\n${check.stdout}${check.stderr}\n--- config ---\n${config}`,
    );
  }
  const child = host.spawn([HAPROXY, '-db', '-f', configPath]);
  void child.exited.then(() => rmSync(dir, { recursive: true, force: true }));
  for (const port of waitForPorts) await host.waitForPort(port, { proto: 'tcp', timeoutMs });
  return new Haproxy(child, configPath);
}
