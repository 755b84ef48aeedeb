/**
 * The proxy's configuration as the doctor sees it: the proxy's own options
 * (parsed from the same flags by the proxy's own parser, src/config/), or
 * those a running proxy reports (./from-running.ts), plus what the doctor
 * needs to size its checks.
 */
import type { UdpHeaderMode } from '../../base/flows.js';
import type { Endpoint } from '../../base/net/endpoint.js';
import { firstEndpoint } from '../../base/net/port-span.js';
import type { ProxyOptions } from '../../config/proxy-options.js';

export interface ProxySetup {
  listen: Endpoint;
  target4: Endpoint | null;
  target6: Endpoint | null;
  protocol: 'tcp' | 'udp';
  /** SO_MARK on upstream sockets; 0 when unset. */
  mark: number;
  allowedSubnetsFile: string | null;
  /** The subnets a running proxy has loaded (--from-running, which cannot see the file); null otherwise. */
  allowedSubnets: string[] | null;
  /** Upstream connect give-up time of our proxy (--connect-timeout), in ms. */
  connectTimeoutMs: number;
  /** Expected concurrent connections, to size the file-descriptor check. */
  expectedConnections: number;
  /** -dynamic-destination: the real targets come from the headers; only -4/-6 can be checked. */
  dynamicDestination: boolean;
  /** UDP: --udp-header (where the load balancer puts the client's address); absent reads as `every`. */
  udpHeader?: UdpHeaderMode;
}

const DEFAULT_EXPECTED_CONNECTIONS = 1000;

/** The proxy's connection limit sizes the fd check; 0 (no limit) falls back to a typical load. */
export function expectedConnectionsFor(maxConnections: number): number {
  return maxConnections > 0 ? maxConnections : DEFAULT_EXPECTED_CONNECTIONS;
}

/** The setup `mmproxy` would run with these options; `expectedConnections` overrides the fd-check size. */
export function setupFromOptions(options: ProxyOptions, expectedConnections?: number): ProxySetup {
  return {
    listen: firstEndpoint(options.listen),
    target4: options.target4 && firstEndpoint(options.target4),
    target6: options.target6 && firstEndpoint(options.target6),
    protocol: options.protocol,
    mark: options.mark,
    allowedSubnetsFile: options.allowedSubnetsFile,
    allowedSubnets: null,
    connectTimeoutMs: options.connectTimeoutMs,
    expectedConnections: expectedConnections ?? expectedConnectionsFor(options.maxConnections),
    dynamicDestination: options.dynamicDestination,
    // As a running UDP proxy reports it (../options/from-running.ts); TCP has none.
    ...(options.protocol === 'udp' ? { udpHeader: options.udpHeader } : {}),
  };
}
