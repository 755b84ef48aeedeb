/**
 * `mmproxy doctor --from-running`: the setup to check comes from a running
 * proxy's stats socket instead of flags, so the doctor examines exactly what
 * is running. The snapshot's counters come along as evidence.
 */
import { requestSnapshot } from '../../stats/client.js';
import { StatsClientError } from '../../stats/client-errors.js';
import { findProxySocket } from '../../stats/discover.js';
import type { StatsSnapshot } from '../../stats/schema.js';
import { UsageError } from '../../base/errors.js';
import type { Endpoint } from '../../base/net/endpoint.js';
import type { PortSpan } from '../../base/net/port-span.js';
import { expectedConnectionsFor, type ProxySetup } from './proxy-setup.js';

/** What the running proxy has seen, for the checks to cite next to their findings. */
export interface RunningProxy {
  pid: number;
  socket: string;
  /** Upstream connects that timed out since the proxy started. */
  connectTimeouts: number;
}

// The snapshot names one target port per family.
const singlePort = (target: Endpoint): PortSpan => ({ ...target, lastPort: target.port });

/** The setup `mmproxy doctor` would get from the flags the running proxy was started with. */
export function proxySetupFromSnapshot(snapshot: StatsSnapshot, expectedConnections?: number): ProxySetup {
  const { proxy } = snapshot;
  const { config } = proxy;
  return {
    listen: proxy.listen,
    target4: proxy.targets.ipv4 && singlePort(proxy.targets.ipv4),
    target6: proxy.targets.ipv6 && singlePort(proxy.targets.ipv6),
    protocol: proxy.protocol,
    mark: config.mark,
    // The proxy reports the subnets it loaded, not the file they came from.
    allowedSubnetsFile: null,
    allowedSubnets: config.allowedSubnets.length ? [...config.allowedSubnets] : null,
    connectTimeoutMs: config.connectTimeoutMs,
    expectedConnections: expectedConnections ?? expectedConnectionsFor(config.maxConnections),
    dynamicDestination: config.dynamicDestination,
    ...(config.udpHeader ? { udpHeader: config.udpHeader } : {}),
  };
}

/** Reads the running proxy's setup; every way of not getting it is one line saying what to do (exit 2). */
export async function readRunningProxy(
  socket: string | undefined,
  expectedConnections?: number,
): Promise<{ setup: ProxySetup; running: RunningProxy }> {
  try {
    const path = socket ?? (await findProxySocket());
    const snapshot = await requestSnapshot(path);
    return {
      setup: proxySetupFromSnapshot(snapshot, expectedConnections),
      running: { pid: snapshot.proxy.pid, socket: path, connectTimeouts: snapshot.counters.failures.connect_timeout },
    };
  } catch (error) {
    if (error instanceof StatsClientError) throw new UsageError(`--from-running: ${error.message}`);
    throw error;
  }
}
