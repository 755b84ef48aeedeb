/**
 * What the proxy runs: settings of the process, and one or more listeners,
 * each with its own protocol, addresses and limits. A command line is a
 * config with one listener (./proxy-options.ts); a config file may hold any
 * number (./config-file.ts). Both are read by the same per-setting code
 * (./settings.ts).
 */
import type { CollisionPolicy, FastPathMode, RelayMode, UdpHeaderMode } from '../base/flows.js';
import type { Cidr } from '../base/net/cidr.js';
import type { DestinationRule } from '../base/net/destination-rule.js';
import type { PortSpan } from '../base/net/port-span.js';
import type { LogFormat, Verbosity } from './setting-values.js';

/** Settings that only a whole process can have. */
export interface ProcessOptions {
  /** Worker threads (`-listeners`, `workers` in the file). */
  listeners: number;
  verbosity: Verbosity;
  drainTimeoutMs: number;
  logFormat: LogFormat;
  statsSocket: string | null;
  metricsListen: string | null;
}

/** One service: where it listens, where it forwards, and its limits. */
export interface ListenerOptions {
  protocol: 'tcp' | 'udp';
  /** One port or a range (`port` is the first). */
  listen: PortSpan;
  /** Null for `-4 none`: IPv4 clients are refused (and the doctor checks no IPv4 target). */
  target4: PortSpan | null;
  /** Null for `-6 none`. */
  target6: PortSpan | null;
  mark: number;
  allowedSubnetsFile: string | null;
  closeAfterSeconds: number;
  dynamicDestination: boolean;
  /** Where -dynamic-destination may relay; null: this host's own addresses only. */
  dynamicDestinationAllow: DestinationRule[] | null;
  /** Relay clients a header names as this host (loopback, its addresses); refused by default. */
  allowLocalClients: boolean;
  listenTransparent: boolean;
  reusePort: boolean;
  headerTimeoutMs: number;
  connectTimeoutMs: number;
  keepAliveSeconds: number;
  maxConnections: number;
  maxSessions: number;
  collision: CollisionPolicy;
  /** TCP: how established flows move bytes (auto, splice, copy). */
  relayMode: RelayMode;
  /** TCP: whether established flows may move into the kernel (off, auto). */
  fastPath: FastPathMode;
  /** TCP, --fast-path auto: relayed reads before a flow may move into the kernel. */
  fastPathAfterReads: number;
  /** UDP: where the load balancer puts the client's address (every, first, spp, auto). */
  udpHeader: UdpHeaderMode;
}

/** A listener of a config: its name and, from a file, subnets written inline. */
export interface NamedListener extends ListenerOptions {
  /** Labels its metrics, log lines and flows; a reload matches listeners by it. */
  name: string;
  /** Prefixes written in the config itself; null when none (then `allowedSubnetsFile`, or any peer). */
  allowedSubnets: Cidr[] | null;
}

export interface ProxyConfig {
  process: ProcessOptions;
  /** At least one; names are unique. */
  listeners: NamedListener[];
  /** The file it was read from; null for a command line. */
  file: string | null;
}

/** The name of the one listener of a command line. */
export const COMMAND_LINE_LISTENER = 'default';
