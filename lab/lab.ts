import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { CommandLog } from './command-log.js';
import { Host } from './host.js';
import { HostProcess } from './host-process.js';
import { execLoggedSync, runLogged } from './run.js';
import { registerForTeardown, unregisterFromTeardown } from './teardown.js';

/** Addresses for one end of a link, in CIDR form: `{v4: '192.0.2.1/24', v6: '2001:db8::1/64'}`. */
export interface EndAddresses {
  v4?: string;
  v6?: string;
}

/** One end of a veth pair as created: the interface name inside its host and its bare addresses. */
export interface LinkEnd {
  host: Host;
  ifname: string;
  v4?: string;
  v6?: string;
}

export interface Link {
  a: LinkEnd;
  b: LinkEnd;
}

export interface Route {
  /** 'default' or a CIDR; IPv6 when `via` is an IPv6 address. */
  to: string;
  via: string;
}

const PROCESS_GRACE_MS = 2_000;
const NAMESPACE_GONE_TIMEOUT_MS = 5_000;
const NAMESPACE_POLL_MS = 50;
const LINK_UP_TIMEOUT_MS = 5_000;
const LINK_POLL_MS = 20;
const HOST_NAME = /^[a-z][a-z0-9]{0,11}$/;

/**
 * A set of namespaces, links and processes with one unique name prefix, torn down as a whole.
 * Names: `mmp-<label>-<pid>-<rand>-<host>`, so parallel runs on one machine never collide.
 */
export class Lab {
  readonly log: CommandLog;
  private readonly hosts: Host[] = [];
  private readonly children: HostProcess[] = [];
  private destroying: Promise<void> | undefined;

  private constructor(readonly prefix: string) {
    this.log = new CommandLog(prefix);
    registerForTeardown(this);
  }

  static create(label: string): Lab {
    const short =
      label
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '')
        .slice(0, 8) || 'lab';
    return new Lab(`mmp-${short}-${process.pid}-${randomBytes(2).toString('hex')}`);
  }

  /** Runs body with a fresh lab and destroys it afterwards, whether body resolved or threw. */
  static async using<T>(label: string, body: (lab: Lab) => Promise<T>): Promise<T> {
    const lab = Lab.create(label);
    try {
      return await body(lab);
    } finally {
      await lab.destroy();
    }
  }

  get namespaces(): string[] {
    return this.hosts.map((host) => host.ns);
  }
  get processes(): readonly HostProcess[] {
    return this.children;
  }
  get destroyed(): boolean {
    return this.destroying !== undefined;
  }

  /** Creates a namespace with `lo` up. Name: lowercase letters and digits, at most 12. */
  async host(name: string): Promise<Host> {
    if (this.destroyed) throw new Error(`lab ${this.prefix} is destroyed; create a new one`);
    if (!HOST_NAME.test(name)) throw new Error(`host name ${JSON.stringify(name)}: use 1-12 lowercase letters/digits`);
    const ns = `${this.prefix}-${name}`;
    if (this.namespaces.includes(ns)) throw new Error(`host ${name} already exists in lab ${this.prefix}`);
    await runLogged(this.log, ['ip', 'netns', 'add', ns]);
    const host = new Host(name, ns, { log: this.log, track: (child) => this.children.push(child) });
    this.hosts.push(host); // registered before anything else can fail, so teardown deletes it
    await host.ip(['link', 'set', 'lo', 'up']);
    // No duplicate address detection on links made later: tentative link-local addresses delay the first
    // neighbour discovery by a second (a lost first SYN), and nothing in a lab can own a duplicate.
    await host.sysctl('net.ipv6.conf.default.accept_dad', 0);
    return host;
  }

  /**
   * A veth pair between a and b, created directly inside both namespaces (so the root namespace never sees it),
   * addressed and up. IPv6 addresses use `nodad` so they are usable at once.
   */
  async link(a: Host, b: Host, addresses: { a?: EndAddresses; b?: EndAddresses } = {}): Promise<Link> {
    const aName = a.nextInterfaceName();
    const bName = b.nextInterfaceName();
    await runLogged(this.log, [
      'ip',
      'link',
      'add',
      aName,
      'netns',
      a.ns,
      'type',
      'veth',
      'peer',
      'name',
      bName,
      'netns',
      b.ns,
    ]);
    const link = {
      a: await configureEnd(a, aName, addresses.a ?? {}),
      b: await configureEnd(b, bName, addresses.b ?? {}),
    };
    await Promise.all([waitUntilOperational(a, aName), waitUntilOperational(b, bName)]);
    return link;
  }

  /** A static or default route inside host's namespace. */
  async route(host: Host, { to, via }: Route): Promise<void> {
    await host.ip([...(via.includes(':') ? ['-6'] : []), 'route', 'add', to, 'via', via]);
  }

  /**
   * Stops every process (SIGTERM, SIGKILL after a grace period), kills whatever else lives in the namespaces,
   * deletes them and waits until `ip netns list` no longer shows them. Idempotent.
   */
  destroy(): Promise<void> {
    this.destroying ??= this.teardown();
    return this.destroying;
  }

  /** For the process 'exit' / signal handlers only: same steps, synchronous, no grace period. */
  destroySync(reason: string): void {
    this.destroying ??= Promise.resolve();
    this.log.note(`emergency teardown (${reason})`);
    for (const child of this.children) child.kill('SIGKILL');
    for (const ns of this.namespaces) {
      this.killNamespacePidsSync(ns);
      execLoggedSync(this.log, ['ip', 'netns', 'delete', ns]);
    }
    this.log.save();
  }

  private async teardown(): Promise<void> {
    this.log.note('teardown');
    try {
      await Promise.all(this.children.map((child) => child.stop(PROCESS_GRACE_MS)));
      for (const child of this.children) this.log.note(child.outputSummary());
      // Each namespace is attempted even when an earlier one failed; the first failure is reported after.
      const failures: unknown[] = [];
      for (const ns of this.namespaces) {
        await this.killNamespacePids(ns)
          .then(() => runLogged(this.log, ['ip', 'netns', 'delete', ns]))
          .catch((error) => failures.push(error));
      }
      if (failures.length > 0) throw failures[0];
      await this.waitUntilNamespacesGone();
      // Only a complete teardown leaves the exit handler nothing to retry.
      unregisterFromTeardown(this);
    } finally {
      this.log.save();
    }
  }

  // Processes our children forked inside our namespaces: ours to kill, even though we hold no handle.
  private async killNamespacePids(ns: string): Promise<void> {
    const { stdout } = await runLogged(this.log, ['ip', 'netns', 'pids', ns]);
    killPids(stdout, this.log);
  }

  private killNamespacePidsSync(ns: string): void {
    killPids(execLoggedSync(this.log, ['ip', 'netns', 'pids', ns]), this.log);
  }

  private async waitUntilNamespacesGone(): Promise<void> {
    const deadline = Date.now() + NAMESPACE_GONE_TIMEOUT_MS;
    for (;;) {
      const remaining = await this.remainingNamespaces();
      if (remaining.length === 0) return;
      if (Date.now() >= deadline) throw new Error(`namespaces still listed after teardown: ${remaining.join(', ')}`);
      await delay(NAMESPACE_POLL_MS);
    }
  }

  /** This lab's namespaces that `ip netns list` still shows. */
  async remainingNamespaces(): Promise<string[]> {
    const { stdout } = await runLogged(this.log, ['ip', 'netns', 'list']);
    return stdout
      .split('\n')
      .map((line) => line.split(' ')[0] ?? '')
      .filter((name) => name.startsWith(`${this.prefix}-`));
  }
}

async function configureEnd(host: Host, ifname: string, addresses: EndAddresses): Promise<LinkEnd> {
  const end: LinkEnd = { host, ifname };
  if (addresses.v4) {
    await host.ip(['address', 'add', addresses.v4, 'dev', ifname]);
    end.v4 = bareAddress(addresses.v4);
  }
  if (addresses.v6) {
    await host.ip(['-6', 'address', 'add', addresses.v6, 'dev', ifname, 'nodad']);
    end.v6 = bareAddress(addresses.v6);
  }
  await host.ip(['link', 'set', ifname, 'up']);
  return end;
}

/**
 * The kernel reports carrier (and IPv6 joins the solicited-node groups) a few hundred ms after `link set up`;
 * a packet sent before that is dropped, and a first SYN lost costs a 1 s retransmission.
 */
async function waitUntilOperational(host: Host, ifname: string): Promise<void> {
  const deadline = Date.now() + LINK_UP_TIMEOUT_MS;
  for (;;) {
    const { stdout } = await host.ip(['-j', 'link', 'show', 'dev', ifname]);
    const [state] = JSON.parse(stdout) as { operstate?: string }[];
    if (state?.operstate === 'UP') return;
    if (Date.now() >= deadline)
      throw new Error(
        `${host.name}: ${ifname} not operational after ${LINK_UP_TIMEOUT_MS}ms (operstate ${state?.operstate})`,
      );
    await delay(LINK_POLL_MS);
  }
}

function bareAddress(cidr: string): string {
  return cidr.split('/')[0] ?? cidr;
}

function killPids(pidList: string, log: CommandLog): void {
  for (const pid of pidList.split(/\s+/).filter(Boolean).map(Number)) {
    log.note(`kill -SIGKILL ${pid} (left in namespace)`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}
