/**
 * Where stats come from: the control plane hands the stats server and the
 * metrics endpoint a StatsSource, normally the running DataPlane plus what
 * it was configured with. Everything here is plain data, so tests can feed
 * recorded numbers through the same path.
 */
import { buildInfo, hostName } from '../base/package-info.js';
import type { DataPlane, DataPlaneConfig } from '../native/dataplane-types.js';
import type { DataPlaneCounters, FlowRecord } from '../base/flows.js';
import type { ConfigSummary, ListenerDescription, ProxyInfo } from './schema.js';

/** ProxyInfo minus what is derived at sampling time. */
export type ProxySummary = Omit<ProxyInfo, 'startedAt' | 'uptimeSeconds'> & { startedAtMs: number };

/**
 * One listener of the running config (a `[[listener]]` table, or `default` for a command line), as it is now:
 * a reload adds, removes and replaces them, so a source hands out the current list on every call.
 */
export interface ListenerStats extends ListenerDescription {
  /** Summed over its ports (src/base/counters-sum.ts). */
  counters(): DataPlaneCounters;
  flows(): FlowRecord[];
}

export interface StatsSource {
  summary: ProxySummary;
  /** Every listener together (the sum of `listeners()`' counters). */
  counters(): DataPlaneCounters;
  /** Every listener's flows; flow ids are unique within the process. */
  flows(): FlowRecord[];
  /** The listeners one by one; absent in sources from before config files (one listener, the summary's). */
  listeners?(): ListenerStats[];
  /** Errors the proxy's last-resort handler caught and survived (src/proxy/last-resort.ts); absent: none. */
  internalErrors?(): number;
  /** Liveness and readiness for /healthz and /readyz; absent: both follow whether counters() answers. */
  health?(): ProxyHealth;
}

/**
 * live: the data plane's threads answer (a restart would help if not). ready: every listener is bound and the
 * proxy is not draining (new connections are welcome). detail: one line saying which.
 */
export interface ProxyHealth {
  live: boolean;
  ready: boolean;
  detail: string;
}

export function summarizeConfig(config: DataPlaneConfig): ConfigSummary {
  return {
    listeners: config.listeners,
    mark: config.mark,
    allowedSubnets: [...config.allowedSubnets],
    dynamicDestination: config.dynamicDestination,
    listenTransparent: config.listenTransparent,
    headerTimeoutMs: config.headerTimeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
    maxConnections: config.maxConnections,
    closeAfterSeconds: config.closeAfterSeconds,
    maxSessions: config.maxSessions,
    ...(config.protocol === 'udp' ? { udpHeader: config.udpHeader ?? 'every' } : {}),
  };
}

/** The one call the control plane needs: a running data plane as a stats source. */
export function statsSourceFor(
  dataPlane: Pick<DataPlane, 'counters' | 'flows'>,
  config: DataPlaneConfig,
  startedAtMs: number = Date.now(),
  internalErrors: () => number = () => 0,
  health?: () => ProxyHealth,
): StatsSource {
  return {
    summary: {
      pid: process.pid,
      protocol: config.protocol,
      listen: config.listen,
      targets: { ipv4: config.target4, ipv6: config.target6 },
      startedAtMs,
      config: summarizeConfig(config),
      build: buildInfo(),
      host: hostName(),
    },
    counters: () => dataPlane.counters(),
    flows: () => dataPlane.flows(),
    internalErrors,
    ...(health ? { health } : {}),
  };
}
