/**
 * The contract between the TypeScript control plane (src/proxy/) and the
 * native data plane (native/src/dataplane/). TypeScript validates and
 * normalises everything here before it crosses; C++ assumes clean input.
 */

/** A numeric IP address and port: `address` is canonical (inet_ntop form). */
export interface Endpoint {
  family: 4 | 6;
  address: string;
  port: number;
}

/** A CIDR prefix already validated by TypeScript ("192.0.2.0/24", "2001:db8::/32"). */
export type Cidr = string;

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
  /**
   * How established flows move bytes. 'auto' (default): read/write for small
   * messages, splice(2) once a read fills the 32 KiB buffer; 'splice': splice
   * only; 'copy': read/write only (the fallback, also used when splice fails
   * with EINVAL). Tests use it to compare the paths byte for byte.
   */
  relayMode?: RelayMode;
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

export type RelayMode = 'auto' | 'splice' | 'copy';

export const COLLISION_POLICIES = ['refuse', 'ephemeral-port'] as const;
export type CollisionPolicy = (typeof COLLISION_POLICIES)[number];

/** Reasons a connection ended before or during relaying; stable label values. */
export const FAILURE_REASONS = [
  'not_allowed',
  'header_timeout',
  'bad_header',
  'connect_timeout',
  'connect_refused',
  'address_in_use',
  'connect_error',
  'relay_error',
  'too_many_connections',
  'no_target',
  'peer_timeout',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export interface DataPlaneCounters {
  /** Connections accepted from load balancers. */
  accepted: number;
  /** Upstream connects that completed. */
  established: number;
  /** Connections (or UDP sessions) open now. */
  active: number;
  /** Flows that ended normally (both sides closed cleanly). */
  completed: number;
  /** LOCAL / UNKNOWN headers: connected from mmproxy's own address. */
  localHeaders: number;
  failures: Record<FailureReason, number>;
  /** Rejected headers by parser code (ERR_V1_TOO_LONG, ...). Zero entries may be omitted. */
  badHeaders: Record<string, number>;
  bytesToTarget: number;
  bytesToClient: number;
  /** accept() failures (EMFILE and such); accepting backs off and resumes. */
  acceptErrors: number;
  /** Log events dropped because JavaScript was not reading them fast enough. */
  eventsDropped: number;
  connectDurations: ConnectDurations;
  /** UDP: sessions closed early, longest-idle first, to make room under maxSessions. */
  sessionsEvicted: number;
  /** UDP: datagrams lost on the way (larger than 64 KiB, or a full socket buffer). */
  datagramsDropped: number;
  /** Flows whose client address:port was taken for their target, connected from an ephemeral port instead. */
  collisionFallbacks: number;
}

/**
 * How long upstream connects took that succeeded, from starting the connect
 * to seeing it complete (steady clock, microsecond resolution). Failed
 * connects are not in here: they are counted in `failures` by reason.
 */
export interface ConnectDurations {
  /** Inclusive upper bounds of the buckets, ascending, fixed by the data plane (0.1 ... 5000). */
  boundsMs: number[];
  /** Connects per bucket, not cumulative; one more than `boundsMs`, the last one beyond the last bound (+Inf). */
  counts: number[];
  /** The sum of `counts`: the same connects as `established`. */
  count: number;
  sumSeconds: number;
}

export type FlowState = 'header' | 'connecting' | 'established' | 'half_closed' | 'closing';

export interface FlowRecord {
  id: number;
  worker: number;
  protocol: 'tcp' | 'udp';
  state: FlowState;
  /** The load balancer's side of the accepted connection. */
  loadBalancer: Endpoint;
  /** The real client from the header; null until the header is parsed or for LOCAL. */
  client: Endpoint | null;
  /** Where the upstream connection goes; null until chosen. */
  target: Endpoint | null;
  /** Wall-clock start, milliseconds since the epoch. */
  startedAtMs: number;
  bytesToTarget: number;
  bytesToClient: number;
}

export type DataPlaneEventLevel = 'error' | 'warn' | 'info' | 'debug';

/** Something worth a log line; delivered in batches, never per byte. */
export interface DataPlaneEvent {
  level: DataPlaneEventLevel;
  /** Stable machine-readable kind: a FailureReason, 'accept_backoff', 'flow_closed', ... */
  kind: string;
  message: string;
  flowId?: number;
  loadBalancer?: Endpoint;
  client?: Endpoint;
  target?: Endpoint;
  /** For bad_header: the parser code. For system errors: the errno name. */
  code?: string;
  bytesToTarget?: number;
  bytesToClient?: number;
  durationMs?: number;
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
  /** Stops the workers, closes every socket and joins the threads. Idempotent. */
  close(): void;
}

export interface DataPlaneConstructor {
  new (config: DataPlaneConfig, onEvents: (events: DataPlaneEvent[]) => void): DataPlane;
}
