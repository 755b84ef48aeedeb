/**
 * The contract between the TypeScript control plane (src/proxy/) and the
 * native data plane (native/src/dataplane/). TypeScript validates and
 * normalises everything here before it crosses; C++ assumes clean input.
 * The vocabulary both sides speak (flows, failure reasons, counters) is the
 * ground floor's: src/base/flows.ts.
 */
import type {
  CollisionPolicy,
  DataPlaneCounters,
  DataPlaneEvent,
  FastPathMode,
  FlowRecord,
  RelayMode,
  UdpHeaderMode,
} from '../base/flows.js';
import type { Cidr } from '../base/net/cidr.js';
import type { DestinationRule } from '../base/net/destination-rule.js';
import type { Endpoint } from '../base/net/endpoint.js';

export interface DataPlaneConfig {
  protocol: 'tcp' | 'udp';
  listen: Endpoint;
  /** Target for IPv4 clients; null when none (such clients are refused). */
  target4: Endpoint | null;
  /** Target for IPv6 clients; null when none. */
  target6: Endpoint | null;
  /** SO_MARK for upstream sockets; 0 leaves it unset. */
  mark: number;
  /** Empty means every peer is allowed. */
  allowedSubnets: Cidr[];
  /** Worker threads, each with its own epoll loop and SO_REUSEPORT listener. */
  listeners: number;
  headerTimeoutMs: number;
  connectTimeoutMs: number;
  /** 0 means no limit. Over the limit, new connections are closed at once and counted. */
  maxConnections: number;
  /** Use the header's destination address instead of target4/target6. */
  dynamicDestination: boolean;
  /**
   * With dynamicDestination: the destinations a header may name; absent or
   * empty, this host's own addresses only (loopback included). Others fail
   * as 'destination_not_allowed'.
   */
  dynamicDestinationAllow?: DestinationRule[];
  /**
   * Relay clients a header names as this host (127.0.0.0/8, ::1,
   * ::ffff:127.0.0.0/104, any address of an interface in this namespace).
   * Off or absent, they fail as 'local_client'.
   */
  allowLocalClients?: boolean;
  /** IP_TRANSPARENT on the listener (to accept for non-local addresses). */
  listenTransparent: boolean;
  /**
   * Join a port another process already listens on (SO_REUSEPORT). Off, a port
   * held by any other socket fails start() with EADDRINUSE, so a second
   * mmproxy cannot silently take half of the connections.
   */
  reusePort?: boolean;
  /** UDP only: seconds without traffic before a session closes. */
  closeAfterSeconds: number;
  /** UDP only: 0 means no limit. At the limit the longest-idle session makes room for a new one. */
  maxSessions: number;
  /**
   * When the client's address and port are already connected to the same
   * target by another flow (two load balancers sent the same client):
   * 'refuse' (default) fails the new flow as `address_in_use`;
   * 'ephemeral-port' connects it from the client's address with a port the
   * kernel picks, counted in `collisionFallbacks`.
   */
  collision?: CollisionPolicy;
  /** UDP only: where the load balancer puts the client's address; 'every' when absent. */
  udpHeader?: UdpHeaderMode;
  /**
   * How established flows move bytes. 'auto' (default): read/write for small
   * messages, splice(2) once a read fills the 32 KiB buffer; 'splice': splice
   * only; 'copy': read/write only (the fallback, also used when splice fails
   * with EINVAL). Tests use it to compare the paths byte for byte.
   */
  relayMode?: RelayMode;
  /**
   * TCP: 'auto' moves a flow whose halves are drained into the kernel's
   * sockhash (native/src/dataplane/tcp/fast_path.h), where BPF and the
   * capabilities allow (fastPathStatus() says); 'off' (default): never.
   */
  fastPath?: FastPathMode;
  /**
   * TCP, fastPath 'auto': a flow moves only once its relay has moved bytes
   * this many times (each wake-up, each direction, once) and its halves are
   * drained; 0: as soon as they are. FAST_PATH_AFTER_READS when absent.
   */
  fastPathAfterReads?: number;
  /**
   * TCP: dead-peer detection on both sockets of every flow. Keepalive probes
   * start after this many seconds of silence and go every third of it
   * (rounded up); 3 unanswered ones, or data unacknowledged for as long
   * (TCP_USER_TIMEOUT), end the flow as 'peer_timeout'. Whole seconds up to
   * 32767; 0 or absent: off.
   */
  keepAliveSeconds?: number;
  /**
   * Emit debug-level events ('flow_closed', 'closed_before_header'): one per
   * connection, so off by default; turn on for -v 2.
   */
  debugEvents?: boolean;
}

export interface DataPlane {
  /** Binds every listener and starts the worker threads; throws NativeError (EADDRINUSE, EACCES, ...). */
  start(): void;
  /** Closes the listeners; open flows go on. */
  stopAccepting(): void;
  /** Replaces the allowed subnets; applies to connections accepted from now on. */
  setAllowedSubnets(subnets: Cidr[]): void;
  counters(): DataPlaneCounters;
  flows(): FlowRecord[];
  /**
   * Closes every flow and socket of this plane. Its own threads (no pool) are joined; on a shared pool the plane
   * leaves the threads, which go on serving the other planes. Idempotent.
   */
  close(): void;
}

/**
 * Worker threads that many data planes share (one per listener of a config file): each thread runs one epoll
 * loop serving every plane attached to it, so a process with fifty listeners has as many threads as one with
 * one. Flow ids are unique across the planes of a pool.
 */
export interface WorkerPool {
  /** The number of threads; every plane on the pool listens on each of them (SO_REUSEPORT). */
  readonly size: number;
  /** Stops the threads once every plane on them is closed (closing any still open). Idempotent. */
  close(): void;
}

export interface WorkerPoolConstructor {
  new (threads: number): WorkerPool;
}

export interface DataPlaneOptions {
  /** Run on these threads instead of `config.listeners` threads of its own; `config.listeners` must equal its size. */
  pool?: WorkerPool;
  /**
   * start() takes over this running plane's listening sockets (same protocol and listen endpoint, same pool)
   * instead of binding: a listener changed by a reload keeps its port, and no connection waiting in the queue is
   * lost. The old plane then stops accepting, drains its flows and is closed.
   */
  adoptListenersFrom?: DataPlane;
}

export interface DataPlaneConstructor {
  new (config: DataPlaneConfig, onEvents: (events: DataPlaneEvent[]) => void, options?: DataPlaneOptions): DataPlane;
}
