/**
 * Types of everything the native addon exports, one interface per part,
 * composed into NativeAddon. TypeScript validates arguments before they cross;
 * C++ checks them again and rejects what TypeScript should have caught with a
 * TypeError or RangeError (code ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE,
 * ERR_OUT_OF_RANGE); a failure of the system is a NativeError.
 */
import type { ProxyHeaderErrorInfo, ProxyParseResult } from '../proxy-protocol/types.js';
import type { DataPlaneLimitField, IntegerRange } from '../base/dataplane-limits.js';
import type { DataPlaneConstructor, WorkerPoolConstructor } from './dataplane-types.js';
import type { NativeError } from './errors.js';

export interface ErrorsNative {
  setErrorClass(cls: typeof NativeError): void;
}

/** The PROXY protocol parser (native/src/proxy_header/binding.cc). */
export interface ProxyHeaderNative {
  parseProxyHeader(data: Uint8Array): ProxyParseResult;
  proxyHeaderErrorCodes(): ProxyHeaderErrorInfo[];
  /** The parser's CRC32C, for cross-checks against src/proxy-protocol/crc32c.ts. */
  proxyHeaderCrc32c(data: Uint8Array): number;
}

/**
 * The data plane's enumerations as it spells them, each in its order
 * (native/src/dataplane/binding/contract.cc). Plain strings here: the
 * literal-union types of src/base/flows.ts are tested equal to these lists.
 */
export interface DataPlaneEnums {
  readonly protocols: readonly string[];
  readonly relayModes: readonly string[];
  readonly fastPathModes: readonly string[];
  readonly collisionPolicies: readonly string[];
  readonly udpHeaderModes: readonly string[];
  readonly failureReasons: readonly string[];
  readonly flowStates: readonly string[];
  readonly eventLevels: readonly string[];
  /** The kinds of events that are not failures (a failure's kind is its reason). */
  readonly eventKinds: readonly string[];
}

/** fastPathStatus(): whether the in-kernel fast path runs here, why not, and the process's tallies. */
export interface FastPathStatus {
  available: boolean;
  /** Why it cannot run (empty when available). */
  reason: string;
  /** Flows promoted into the kernel since start. */
  promoted: number;
  /** Legs of promoted flows the backpressure watchdog took back to the relay. */
  watchdogDemotions: number;
  /** Of those, legs the kernel took over again once the relay had caught up. */
  resumed: number;
}

/** The TCP and UDP data plane (native/src/dataplane/). */
export interface DataPlaneNative {
  DataPlane: DataPlaneConstructor;
  /** Threads shared by the data planes of a config file's listeners; absent in addons built before it. */
  WorkerPool?: WorkerPoolConstructor;
  /** The ranges `new DataPlane()` enforces, frozen (native/src/dataplane/binding/config_limits.h). */
  dataPlaneConfigLimits: Readonly<Record<DataPlaneLimitField, IntegerRange>>;
  dataPlaneEnums: DataPlaneEnums;
  /** What `new DataPlane()` takes for an optional field left out (contract.cc); absent in older addons. */
  dataPlaneDefaults?: Readonly<{ fastPathAfterReads: number }>;
  /** Whether this process can run the in-kernel fast path (loaded on first call), and why not. */
  fastPathStatus?(): FastPathStatus;
}

/** One endpoint of a probe: a numeric address and a port (0: any). */
export interface ProbeEndpoint {
  address: string;
  port: number;
}

export interface ConnectProbeOptions {
  /**
   * tcp (the default): a connect. udp: a connected datagram socket sends one
   * datagram (native/src/probe/datagram_probe.h) and waits for one back from
   * the target's address and port: `connected` then means "answered".
   */
  protocol?: 'tcp' | 'udp';
  /** Bind here first; with `transparent` it may be an address this host does not own. */
  source: ProbeEndpoint | null;
  target: ProbeEndpoint;
  /** IP_TRANSPARENT / IPV6_TRANSPARENT, as the proxy sets on its upstream sockets. */
  transparent: boolean;
  /** SO_MARK; 0 leaves it unset. */
  mark: number;
  timeoutMs: number;
}

export interface ConnectProbeResult {
  outcome: 'connected' | 'refused' | 'timeout' | 'error';
  /** 0 unless refused or error. */
  errno: number;
  /** The errno's name (ECONNREFUSED, EPERM, ...), or null. */
  code: string | null;
  /** The call that failed (bind, setsockopt(IP_TRANSPARENT), ...), or null. */
  syscall: string | null;
  /** The port the probe connected from (the kernel picks it), or null when it never got one. */
  localPort: number | null;
  elapsedMs: number;
}

export interface SocketOptionProbeResult {
  ok: boolean;
  errno: number;
  code: string | null;
}

/** native/src/probe/: the doctor's active probes. */
export interface ProbeNative {
  probeConnect(options: ConnectProbeOptions): Promise<ConnectProbeResult>;
  probeSocketOption(options: { family: 4 | 6; option: 'transparent' | 'mark'; mark: number }): SocketOptionProbeResult;
}

/** native/src/systemd/: notifications to the service manager (sd_notify(3)'s protocol). */
export interface ServiceManagerNative {
  /** One datagram to $NOTIFY_SOCKET (a path, or @name for an abstract socket); throws NativeError on failure. */
  notifyServiceManager(socketName: string, message: string): void;
  /** The longest socket name that fits sockaddr_un. */
  readonly maxNotifySocketName: number;
}

export type NativeAddon = ErrorsNative & ProxyHeaderNative & DataPlaneNative & ProbeNative & ServiceManagerNative;
