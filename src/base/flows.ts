/**
 * The data plane's vocabulary, shared by every wing: what a flow is, how it
 * can end, what is counted. The addon reports in these terms
 * (native/src/dataplane/); the stats schema, the log, top and the doctor read
 * them; none of them needs the binding to do so. The addon exports each of
 * these lists (`dataPlaneEnums`); test/unit/native/contract.test.ts holds
 * them equal.
 */
import type { Endpoint } from './net/endpoint.js';

/** How established TCP flows move bytes (DataPlaneConfig.relayMode). */
export const RELAY_MODES = ['auto', 'splice', 'copy'] as const;
export type RelayMode = (typeof RELAY_MODES)[number];

/**
 * TCP: whether established flows may move into the kernel (a BPF sockhash
 * redirecting each socket's bytes to its peer; DataPlaneConfig.fastPath).
 * `off` (the default): the relay only; `auto`: where BPF and the capabilities
 * allow, experimental (docs/proxy.md, "The in-kernel fast path").
 */
export const FAST_PATH_MODES = ['off', 'auto'] as const;
export type FastPathMode = (typeof FAST_PATH_MODES)[number];

/**
 * TCP, `--fast-path auto`: how many times a flow's relay must have moved bytes
 * (each wake-up, each direction, counts once) before the flow may enter the
 * kernel (DataPlaneConfig.fastPathAfterReads). A move and its way back cost
 * more than a short request and reply spend on the relay: with every flow
 * moved, the benchmark's new connections/s fell to 0.62x of the relay's
 * (docs/proxy.md). The addon's default for an absent field is the same
 * (contract.test.ts).
 */
export const FAST_PATH_AFTER_READS = 64;

export const COLLISION_POLICIES = ['refuse', 'ephemeral-port'] as const;
export type CollisionPolicy = (typeof COLLISION_POLICIES)[number];

/**
 * UDP: where the load balancer puts the client's address. `every`: a PROXY
 * v2 header on every datagram; `first`: on the first datagram of a flow,
 * bare datagrams after it; `spp`: Cloudflare's Simple Proxy Protocol header
 * on every datagram (replies get one too); `auto`: PROXY v2 or SPP on every
 * datagram, told apart by their magic (docs/proxy.md, "Header modes").
 */
export const UDP_HEADER_MODES = ['every', 'first', 'spp', 'auto'] as const;
export type UdpHeaderMode = (typeof UDP_HEADER_MODES)[number];

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
  /** The header named this host (loopback or one of its addresses) as the client; see --allow-local-clients. */
  'local_client',
  /** -dynamic-destination: the header's destination is not in --dynamic-destination-allow (or not this host). */
  'destination_not_allowed',
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
  /** UDP: the headers in front of the datagrams (zero for TCP). */
  udpHeaders: UdpHeaderCounters;
}

/** UDP: what the headers in front of the datagrams were, and what --udp-header refused for them. */
export interface UdpHeaderCounters {
  /** Datagrams relayed, by the header in front of them: `bare` ones went as their flow's client (`first`). */
  datagrams: { proxyV2: number; spp: number; bare: number };
  /** `first`: bare datagrams dropped for want of a session (also `badHeaders.ERR_HEADERLESS_NO_SESSION`). */
  headerlessDropped: number;
  /** Sessions opened by an SPP header. */
  sppSessions: number;
  /** `first`: flows refused because a header named another client mid-flow. */
  headerChanges: number;
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

/** What an event is about: a failure (its reason) or one of these. */
export type DataPlaneEventKind =
  | FailureReason
  | 'listening'
  | 'accept_error'
  | 'accept_backoff'
  | 'worker_error'
  | 'flow_closed'
  | 'closed_before_header'
  | 'collision_fallback'
  | 'datagram_dropped'
  | 'session_evicted';

/** Something worth a log line; delivered in batches, never per byte. */
export interface DataPlaneEvent {
  level: DataPlaneEventLevel;
  kind: DataPlaneEventKind;
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
