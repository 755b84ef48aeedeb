/**
 * The running listeners of a config file, by name: each holds one data plane per port it serves, the planes
 * a reload took it off (draining their flows) and the final counters of its closed planes, so that its
 * counters never go back. Starts, replaces, drains and closes them; the stats and the closing line read
 * them here.
 */
import { sumCounters } from '../base/counters-sum.js';
import type { DataPlaneCounters, DataPlaneEvent, FlowRecord } from '../base/flows.js';
import type { Cidr } from '../base/net/cidr.js';
import { formatEndpoint } from '../base/net/endpoint.js';
import { firstEndpoint } from '../base/net/port-span.js';
import type { NamedListener, ProcessOptions } from '../config/proxy-config.js';
import type { DataPlane, DataPlaneConfig, WorkerPool } from '../native/dataplane-types.js';
import { summarizeConfig, type ListenerStats } from '../stats/source.js';
import type { Drainable } from './drain.js';
import { portConfigs } from './listener-config.js';
import type { ListenerChange } from './reload-plan.js';
import type { DataPlaneFactory } from './run.js';
import { startFailureMessage } from './start-errors.js';

/** How often planes a reload took off look at their open flows. */
const DRAIN_POLL_MS = 100;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A listener's port that would not start; the listener's other ports were closed again. */
export class ListenerStartError extends Error {
  constructor(
    readonly listener: string,
    readonly config: DataPlaneConfig,
    cause: unknown,
  ) {
    super(
      `listener "${listener}" on ${config.protocol} ${formatEndpoint(config.listen)}: ${startFailureMessage(cause)}`,
      { cause },
    );
    this.name = 'ListenerStartError';
  }
}

export interface ListenerSetDeps {
  create: DataPlaneFactory;
  /** Threads every plane shares; null with an addon from before WorkerPool (each plane has its own). */
  pool: WorkerPool | null;
  /** Where a plane of listener `name` sends its events. */
  onEvents(name: string): (events: DataPlaneEvent[]) => void;
  /** A listener whose last plane closed: its lifetime counters, and flows a drain timeout cut. */
  onGone(name: string, counters: DataPlaneCounters, cut: number): void;
}

interface RunningListener {
  options: NamedListener;
  subnets: Cidr[];
  /** One per port, lowest first; empty while the listener only drains. */
  planes: DataPlane[];
  /** The planes' configs (the last ones run, once the listener only drains). */
  configs: DataPlaneConfig[];
  /** Planes a reload took off, finishing their open flows. */
  draining: DataPlane[];
  /** Counters of its closed planes, as they closed. */
  closed: DataPlaneCounters[];
  /** Flows a reload's drain timeout cut. */
  cut: number;
}

function openPlanes(listener: RunningListener): DataPlane[] {
  return [...listener.planes, ...listener.draining];
}

function countersOf(listener: RunningListener): DataPlaneCounters {
  return sumCounters([...openPlanes(listener).map((plane) => plane.counters()), ...listener.closed]);
}

export class ListenerSet {
  private readonly byName = new Map<string, RunningListener>();
  /** Lifetime counters of listeners a reload removed and whose last flow ended. */
  private readonly gone: DataPlaneCounters[] = [];
  /** Flows their drain timeout cut, of listeners gone. */
  private goneCut = 0;
  private closing = false;

  constructor(private readonly deps: ListenerSetDeps) {}

  /** Threads per plane: the pool's, or `process.listeners` of each plane's own. */
  threads(process: ProcessOptions): number {
    return this.deps.pool?.size ?? process.listeners;
  }

  /** The listeners that serve now (a listener that only drains is not among them), in start order. */
  serving(): NamedListener[] {
    return [...this.byName.values()].filter((running) => running.planes.length > 0).map((running) => running.options);
  }

  /** The plane config of a listener's first port. */
  firstConfig(name: string): DataPlaneConfig | undefined {
    return this.byName.get(name)?.configs[0];
  }

  subnetsOf(name: string): Cidr[] | undefined {
    return this.byName.get(name)?.subnets;
  }

  /** Starts every port of a new listener, or none: throws ListenerStartError with the ports it bound closed. */
  start(options: NamedListener, subnets: Cidr[], process: ProcessOptions): void {
    const configs = portConfigs(options, process, subnets, this.threads(process));
    const planes = this.startPlanes(options.name, configs, new Map());
    // A name a reload removed may still be draining: the listener is the same one serving again.
    const running = this.byName.get(options.name);
    if (running) Object.assign(running, { options, subnets, planes, configs });
    else this.byName.set(options.name, { options, subnets, planes, configs, draining: [], closed: [], cut: 0 });
  }

  /**
   * Runs a listener with its changed settings. With a pool, a new plane takes over the listening socket of a
   * port both settings have, so no connection waiting there is lost. Without one (today's addon), the old
   * planes stop accepting first, so that the new ones can bind the same ports: a connection arriving in
   * between is refused. Either way the old TCP planes then drain; old UDP planes are closed at once (their
   * sessions end; the client's next datagram opens one on the new plane). When a new port will not start,
   * ListenerStartError is thrown and the listener only drains.
   */
  replace(change: ListenerChange, subnets: Cidr[], process: ProcessOptions, drainTimeoutMs: number): void {
    const running = this.byName.get(change.before.name);
    if (!running) throw new Error(`listener "${change.before.name}" is not running`);
    const old = running.planes;
    const oldProtocol = running.options.protocol;
    const adopted = new Set(change.adopt.map(formatEndpoint));
    const adoptFrom = new Map<string, DataPlane>();
    if (this.deps.pool) {
      running.configs.forEach((config, index) => {
        const key = formatEndpoint(config.listen);
        if (adopted.has(key)) adoptFrom.set(key, old[index]!);
      });
    } else {
      for (const plane of old) plane.stopAccepting();
    }
    const configs = portConfigs(change.after, process, subnets, this.threads(process));
    running.planes = [];
    try {
      running.planes = this.startPlanes(change.after.name, configs, adoptFrom);
      Object.assign(running, { options: change.after, subnets, configs });
    } finally {
      this.retire(running, old, oldProtocol === 'udp' ? 0 : drainTimeoutMs);
    }
  }

  /** A listener the file no longer has: it stops accepting and drains, then is gone (onGone). */
  remove(name: string, drainTimeoutMs: number): void {
    const running = this.byName.get(name);
    if (!running) return;
    const planes = running.planes;
    running.planes = [];
    this.retire(running, planes, drainTimeoutMs);
  }

  /** New allowed subnets for an unchanged listener (its file's content changed), for connections from now on. */
  setSubnets(name: string, subnets: Cidr[]): void {
    const running = this.byName.get(name);
    if (!running) return;
    for (const plane of running.planes) plane.setAllowedSubnets(subnets);
    running.subnets = subnets;
    running.configs = running.configs.map((config) => ({ ...config, allowedSubnets: subnets }));
  }

  /** Each listener as the stats see it: serving, or draining after a reload took it off. */
  listenerStats(): ListenerStats[] {
    return [...this.byName].map(([name, running]): ListenerStats => {
      const first = running.configs[0]!;
      return {
        name,
        protocol: running.options.protocol,
        listen: firstEndpoint(running.options.listen),
        lastPort: running.options.listen.lastPort,
        targets: { ipv4: first.target4, ipv6: first.target6 },
        config: summarizeConfig(first),
        state: running.planes.length > 0 ? 'serving' : 'draining',
        counters: () => countersOf(running),
        flows: () => openPlanes(running).flatMap((plane) => plane.flows()),
      };
    });
  }

  /** Every open plane together, serving or draining: what a shutdown drains. */
  open(): Drainable {
    const planes = (): DataPlane[] => [...this.byName.values()].flatMap(openPlanes);
    return {
      stopAccepting: () => planes().forEach((plane) => plane.stopAccepting()),
      counters: () => sumCounters(planes().map((plane) => plane.counters())),
      flows: (): FlowRecord[] => planes().flatMap((plane) => plane.flows()),
    };
  }

  /** Every plane the process ran, removed listeners' included: the closing line's figures. */
  lifetimeCounters(): DataPlaneCounters {
    return sumCounters([...this.gone, ...[...this.byName.values()].map(countersOf)]);
  }

  /** Flows that reloads' drain timeouts cut, over the process's life. */
  cutAtReload(): number {
    return [...this.byName.values()].reduce((sum, running) => sum + running.cut, this.goneCut);
  }

  /** True when every open plane answers (the watchdog's and /healthz's test). */
  answers(): boolean {
    try {
      this.open().counters();
      return true;
    } catch {
      return false;
    }
  }

  /** Closes every plane, open flows cut; reload drains still waiting stop. Idempotent. */
  closeAll(): void {
    this.closing = true;
    for (const running of this.byName.values()) {
      for (const plane of openPlanes(running)) this.closePlane(running, plane);
      running.planes = [];
    }
  }

  private startPlanes(name: string, configs: DataPlaneConfig[], adoptFrom: Map<string, DataPlane>): DataPlane[] {
    const started: DataPlane[] = [];
    const onEvents = this.deps.onEvents(name);
    for (const config of configs) {
      let plane: DataPlane | undefined;
      try {
        const adopt = adoptFrom.get(formatEndpoint(config.listen));
        const pool = this.deps.pool;
        const options = pool ? { pool, ...(adopt ? { adoptListenersFrom: adopt } : {}) } : undefined;
        plane = this.deps.create(config, onEvents, options);
        plane.start();
        started.push(plane);
      } catch (error) {
        plane?.close();
        for (const other of started) other.close();
        throw new ListenerStartError(name, config, error);
      }
    }
    return started;
  }

  /** Planes taken off a listener: they stop accepting, drain up to `timeoutMs` (0: closed now), then close. */
  private retire(running: RunningListener, planes: DataPlane[], timeoutMs: number): void {
    for (const plane of planes) plane.stopAccepting();
    running.draining.push(...planes);
    if (timeoutMs === 0) {
      for (const plane of planes) this.closePlane(running, plane);
      this.forgetIfGone(running);
      return;
    }
    void this.drainThenClose(running, planes, Date.now() + timeoutMs);
  }

  private async drainThenClose(running: RunningListener, planes: DataPlane[], deadline: number): Promise<void> {
    const active = (): number => planes.reduce((sum, plane) => sum + plane.counters().active, 0);
    while (!this.closing && active() > 0 && Date.now() < deadline) await sleep(DRAIN_POLL_MS);
    // A shutdown drains and closes every plane itself.
    if (this.closing) return;
    running.cut += active();
    for (const plane of planes) this.closePlane(running, plane);
    this.forgetIfGone(running);
  }

  /** Closes one plane and keeps its counters (no flow stays open on a closed plane). */
  private closePlane(running: RunningListener, plane: DataPlane): void {
    running.closed.push({ ...plane.counters(), active: 0 });
    plane.close();
    running.draining = running.draining.filter((other) => other !== plane);
  }

  private forgetIfGone(running: RunningListener): void {
    const name = running.options.name;
    if (openPlanes(running).length > 0 || this.byName.get(name) !== running) return;
    this.byName.delete(name);
    const counters = countersOf(running);
    this.gone.push(counters);
    this.goneCut += running.cut;
    this.deps.onGone(name, counters, running.cut);
  }
}
