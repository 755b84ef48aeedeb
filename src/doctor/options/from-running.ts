/**
 * `mmproxy doctor --from-running`: the setup to check comes from a running
 * proxy's stats socket instead of flags, so the doctor examines exactly what
 * is running. The snapshot's counters come along as evidence.
 */
import { requestSnapshot } from '../../stats/client.js';
import { StatsClientError } from '../../stats/client-errors.js';
import { findProxySocket } from '../../stats/discover.js';
import type { ProxyInfo, StatsSnapshot } from '../../stats/schema.js';

import { UsageError } from '../../base/errors.js';
import type { Endpoint } from '../../base/net/endpoint.js';
import type { PortSpan } from '../../base/net/port-span.js';
import { expectedConnectionsFor, type ListenerSetup, type ProxySetup } from './proxy-setup.js';

/** What the running proxy has seen, for the checks to cite next to their findings. */
export interface RunningProxy {
  pid: number;
  socket: string;
  /** Upstream connects that timed out since the proxy started. */
  connectTimeouts: number;
}

// The snapshot names one target port per family.
const singlePort = (target: Endpoint): PortSpan => ({ ...target, lastPort: target.port });

/** What a setup is built from: the proxy's description, or one listener's from the snapshot. */
type SetupSource = Pick<ProxyInfo, 'listen' | 'targets' | 'protocol' | 'config'>;

function setupOf(source: SetupSource, expectedConnections: number): ProxySetup {
  const { config } = source;
  return {
    listen: source.listen,
    target4: source.targets.ipv4 && singlePort(source.targets.ipv4),
    target6: source.targets.ipv6 && singlePort(source.targets.ipv6),
    protocol: source.protocol,
    mark: config.mark,
    // The proxy reports the subnets it loaded, not the file they came from.
    allowedSubnetsFile: null,
    allowedSubnets: config.allowedSubnets.length ? [...config.allowedSubnets] : null,
    connectTimeoutMs: config.connectTimeoutMs,
    expectedConnections,
    dynamicDestination: config.dynamicDestination,
    ...(config.udpHeader ? { udpHeader: config.udpHeader } : {}),
  };
}

/** The setup `mmproxy doctor` would get from the flags the running proxy was started with. */
export function proxySetupFromSnapshot(snapshot: StatsSnapshot, expectedConnections?: number): ProxySetup {
  const { proxy } = snapshot;
  return setupOf(proxy, expectedConnections ?? expectedConnectionsFor(proxy.config.maxConnections));
}

/**
 * A proxy running a config file of several listeners: each serving one's setup (a draining one is on its way
 * out), the fd check sized for them all; null for a proxy of one listener. The snapshot names each target's
 * first port only, so a target range is checked on that port.
 */
export function listenerSetupsFromSnapshot(
  snapshot: StatsSnapshot,
  expectedConnections?: number,
): ListenerSetup[] | null {
  const serving = (snapshot.listeners ?? []).filter((listener) => listener.state === 'serving');
  if (serving.length < 2) return null;
  const total =
    expectedConnections ??
    serving.reduce((sum, listener) => sum + expectedConnectionsFor(listener.config.maxConnections), 0);
  return serving.map((listener) => ({ listener: listener.name, setup: setupOf(listener, total) }));
}

/** Reads the running proxy's setup; every way of not getting it is one line saying what to do (exit 2). */
export async function readRunningProxy(
  socket: string | undefined,
  expectedConnections?: number,
): Promise<{ setup: ProxySetup; running: RunningProxy; listeners: ListenerSetup[] | null }> {
  try {
    const path = socket ?? (await findProxySocket());
    const snapshot = await requestSnapshot(path);
    return {
      setup: proxySetupFromSnapshot(snapshot, expectedConnections),
      listeners: listenerSetupsFromSnapshot(snapshot, expectedConnections),
      running: { pid: snapshot.proxy.pid, socket: path, connectTimeouts: snapshot.counters.failures.connect_timeout },
    };
  } catch (error) {
    if (error instanceof StatsClientError) throw new UsageError(`--from-running: ${error.message}`);
    throw error;
  }
}
