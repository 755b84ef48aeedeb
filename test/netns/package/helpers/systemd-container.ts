/**
 * systemd as PID 1 of a throw-away container inside a test's network namespace (./systemd-container.sh says
 * how it is isolated), and the commands the test runs in it through nsenter. destroy() ends every process of
 * the container at once through its cgroup, waits until they are gone and removes the cgroup.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { scaled } from '../../../../lab/index.js';

const SCRIPT = fileURLToPath(
  new URL('../../../../../test/netns/package/helpers/systemd-container.sh', import.meta.url),
);
const CGROUP2_SUPER_MAGIC = 0x63677270;
const POLL_MS = 100;
const COMMAND_TIMEOUT_MS = 120_000;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where this machine mounts the cgroup v2 hierarchy (unified or hybrid layout), or null. */
export function cgroup2Root(): string | null {
  for (const path of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    try {
      if (statfsSync(path).type === CGROUP2_SUPER_MAGIC) return path;
    } catch {
      // not mounted here
    }
  }
  return null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class SystemdContainer {
  private constructor(
    readonly pid1: number,
    private readonly cgroup: string,
    private readonly work: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Boots the container in netns, its files under work (which must exist), and waits until systemd is up. */
  static async boot(netns: string, work: string, log: (line: string) => void): Promise<SystemdContainer> {
    const root = cgroup2Root();
    if (!root) throw new Error('no cgroup v2 hierarchy is mounted');
    const cgroup = join(root, `mmproxy-sd-${process.pid}-${Math.random().toString(16).slice(2, 6)}`);
    const child = spawn('bash', [SCRIPT, netns, work, cgroup], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.unref();
    const pidFile = join(work, 'pid1');
    const bootMs = scaled(60_000);
    const deadline = Date.now() + bootMs;
    const pid1 = (): number => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || 0 : 0);
    // The shell writes the file, then the PID: wait for a whole number.
    while (pid1() === 0) {
      if (child.exitCode !== null || Date.now() > deadline) {
        if (existsSync(cgroup)) await SystemdContainer.kill(cgroup);
        throw new Error(`the container did not start (exit ${child.exitCode}):\n${output}`);
      }
      await sleep(POLL_MS);
    }
    const container = new SystemdContainer(pid1(), cgroup, work, log);
    for (;;) {
      const { stdout, stderr } = await container.exec(['systemctl', 'is-system-running']);
      if (/^(running|degraded)$/m.test(stdout)) return container;
      if (Date.now() > deadline) {
        const units = await container.exec(['systemctl', 'list-jobs', '--no-pager']);
        await container.destroy();
        throw new Error(
          `systemd did not finish booting in ${bootMs}ms (${stdout.trim()} ${stderr.trim()}); jobs:\n` +
            `${units.stdout}${units.stderr}\n${output}`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  /** Runs argv in every namespace of the container, with its root; never rejects for a non-zero exit. */
  exec(argv: readonly string[], input?: Buffer | string): Promise<RunResult> {
    const nsenter = ['-t', String(this.pid1), '-m', '-u', '-i', '-n', '-p', '-C', '-r', '-w', ...argv];
    this.log(`$ [container] ${argv.join(' ')}`);
    return new Promise((resolve, reject) => {
      const child = execFile(
        'nsenter',
        nsenter,
        { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          if (error && error.killed) reject(new Error(`timed out: ${argv.join(' ')}`));
          this.log(`  -> exit ${code}${stderr ? `: ${stderr.trim().slice(0, 500)}` : ''}`);
          resolve({ code, stdout, stderr });
        },
      );
      child.stdin?.end(input);
    });
  }

  /** Like exec, failing on a non-zero exit. */
  async run(argv: readonly string[], input?: Buffer | string): Promise<RunResult> {
    const result = await this.exec(argv, input);
    if (result.code !== 0) throw new Error(`${argv.join(' ')}: exit ${result.code}\n${result.stdout}${result.stderr}`);
    return result;
  }

  /** `systemctl show` properties of a unit. */
  async show(unit: string, properties: string[]): Promise<Record<string, string>> {
    const { stdout } = await this.run(['systemctl', 'show', ...properties.flatMap((p) => ['-p', p]), unit]);
    return Object.fromEntries(
      stdout
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
  }

  /** Writes a file inside the container (through a shell there, never through a host path). */
  async writeFile(path: string, text: string): Promise<void> {
    await this.run(['sh', '-c', 'cat > "$1"', 'sh', path], text);
  }

  async destroy(): Promise<void> {
    await SystemdContainer.kill(this.cgroup);
    await rm(join(this.work, 'root'), { recursive: true, force: true }).catch(() => undefined);
  }

  /** cgroup.kill ends every process below; then the cgroups are removed, deepest first. */
  private static async kill(cgroup: string): Promise<void> {
    if (!existsSync(cgroup)) return;
    await writeFile(join(cgroup, 'cgroup.kill'), '1');
    const deadline = Date.now() + scaled(30_000);
    while ((await SystemdContainer.processes(cgroup)) > 0) {
      if (Date.now() > deadline) throw new Error(`processes left in ${cgroup} after cgroup.kill`);
      await sleep(POLL_MS);
    }
    await SystemdContainer.removeTree(cgroup);
  }

  private static async processes(cgroup: string): Promise<number> {
    const own = (await readFile(join(cgroup, 'cgroup.procs'), 'utf8')).split('\n').filter(Boolean).length;
    let below = 0;
    for (const entry of await readdir(cgroup, { withFileTypes: true }))
      if (entry.isDirectory()) below += await SystemdContainer.processes(join(cgroup, entry.name));
    return own + below;
  }

  private static async removeTree(cgroup: string): Promise<void> {
    for (const entry of await readdir(cgroup, { withFileTypes: true }))
      if (entry.isDirectory()) await SystemdContainer.removeTree(join(cgroup, entry.name));
    await rmdir(cgroup);
  }
}
