/**
 * The stats snapshot, version 1: what `mmproxy top`, scripts and the
 * stats socket agree on. Plain JSON (numbers, strings, arrays, objects): a
 * reader that sees another `version` must refuse rather than guess.
 * Documented for users in docs/stats.md (the snapshot and its fields).
 */
import type {
  ConnectDurations,
  DataPlaneCounters,
  FailureReason,
  FlowState,
  UdpHeaderCounters,
  UdpHeaderMode,
} from '../base/flows.js';
import type { Endpoint } from '../base/net/endpoint.js';
import type { Cidr } from '../base/net/cidr.js';
import type { BuildInfo } from '../base/package-info.js';

export const SNAPSHOT_VERSION = 1;

/** The parts of the proxy's configuration worth showing next to its numbers. */
export interface ConfigSummary {
  listeners: number;
  mark: number;
  allowedSubnets: Cidr[];
  dynamicDestination: boolean;
  listenTransparent: boolean;
  headerTimeoutMs: number;
  connectTimeoutMs: number;
  /** 0 means no limit. */
  maxConnections: number;
  /** UDP only. */
  closeAfterSeconds: number;
  /** UDP only; 0 means no limit. */
  maxSessions: number;
  /** UDP only: --udp-header. Added within version 1: proxies from before it leave it out (they read `every`). */
  udpHeader?: UdpHeaderMode;
}

export interface ProxyInfo {
  pid: number;
  protocol: 'tcp' | 'udp';
  listen: Endpoint;
  targets: { ipv4: Endpoint | null; ipv6: Endpoint | null };
  /** ISO 8601. */
  startedAt: string;
  uptimeSeconds: number;
  config: ConfigSummary;
  /** Which mmproxy serves this snapshot. Added within version 1: proxies from before it leave it out. */
  build?: BuildInfo;
  /** The host's name, for snapshots collected from many hosts. Added within version 1, like `build`. */
  host?: string;
}

/** Bytes per second in each direction. */
export interface Throughput {
  toTarget: number;
  toClient: number;
}

/**
 * `connectDurations` and `collisionFallbacks` were added within version 1
 * (fields readers may ignore): proxies from before them leave them out, so
 * they are optional here.
 */
export interface CountersSnapshot extends Omit<
  DataPlaneCounters,
  'connectDurations' | 'collisionFallbacks' | 'udpHeaders'
> {
  connectDurations?: ConnectDurations;
  collisionFallbacks?: number;
  /** UDP: the headers in front of the datagrams. Added within version 1, like the two above. */
  udpHeaders?: UdpHeaderCounters;
  /** Errors the proxy's last-resort handler caught and survived. Added within version 1, like the three above. */
  internalErrors?: number;
  /**
   * Every reason is present, zero included. `local_client` and `destination_not_allowed` were added within
   * version 1: a proxy from before them leaves them out, which means zero.
   */
  failures: Record<FailureReason, number>;
  /** Throughput over the last sampling window. */
  rate: Throughput;
}

/** What happened over the last `windowSeconds`, sampled once a second by the server. */
export interface RecentActivity {
  windowSeconds: number;
  /** Oldest first, one entry per second sampled; feeds the sparklines. */
  throughput: Throughput[];
  /** Only reasons that occurred in the window. */
  failures: Partial<Record<FailureReason, number>>;
  accepted: number;
  established: number;
  /**
   * Connect timeouts since the last upstream connect that succeeded (looking back
   * at most the window, a second at a time): a run of them means replies are not
   * routed back to mmproxy.
   */
  connectTimeoutRun: number;
}

export interface FlowSnapshot {
  id: number;
  worker: number;
  protocol: 'tcp' | 'udp';
  state: FlowState;
  loadBalancer: Endpoint;
  client: Endpoint | null;
  target: Endpoint | null;
  /** ISO 8601. */
  startedAt: string;
  ageSeconds: number;
  bytesToTarget: number;
  bytesToClient: number;
  /** Current rate: bytes per second since this flow was last sampled (over its whole life when first seen). */
  rate: Throughput;
  /** The name of the listener it came in on. Added within version 1: proxies from before it leave it out. */
  listener?: string;
}

/** What a listener is: where it listens and forwards, and how it is set up (a snapshot's, and a source's). */
export interface ListenerDescription {
  /** Letters, digits, `.`, `_` and `-`, at most 63 (as a config file allows); unique within the process: the
   * `listener` label of /metrics and of log lines. */
  name: string;
  protocol: 'tcp' | 'udp';
  /** The first (or only) port it listens on. */
  listen: Endpoint;
  /** The last port of a port range; `listen.port` for one port. */
  lastPort: number;
  /** Targets of the first port (a target range follows the listen port). */
  targets: { ipv4: Endpoint | null; ipv6: Endpoint | null };
  config: ConfigSummary;
  /** draining: removed or replaced by a reload, finishing its open flows; gone once they end. */
  state: 'serving' | 'draining';
}

/**
 * One listener of the process (a config file's `[[listener]]`, or `default` for a command line). Its counters
 * are its own; the snapshot's `counters` are every listener's together. `internalErrors` is the process's only.
 */
export interface ListenerSnapshot extends ListenerDescription {
  counters: Omit<CountersSnapshot, 'internalErrors'>;
}

export interface StatsSnapshot {
  version: typeof SNAPSHOT_VERSION;
  proxy: ProxyInfo;
  /** The whole process: every listener's counters summed. */
  counters: CountersSnapshot;
  /**
   * The listeners one by one, in the config's order. Added within version 1: proxies from before it leave it
   * out, which means one listener, the one `proxy` describes.
   */
  listeners?: ListenerSnapshot[];
  recent: RecentActivity;
  /** Sorted by id. */
  flows: FlowSnapshot[];
  /** Flows left out to keep the snapshot bounded (the slowest ones); usually 0. */
  flowsOmitted: number;
  /** ISO 8601. */
  sampledAt: string;
}
