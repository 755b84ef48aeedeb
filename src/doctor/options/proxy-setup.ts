/**
 * The proxy's configuration as the doctor sees it: the proxy's own options
 * (parsed from the same flags by the proxy's own parser, src/config/), or
 * those a running proxy reports (./from-running.ts), plus what the doctor
 * needs to size its checks.
 */
import type { UdpHeaderMode } from '../../base/flows.js';
import type { Endpoint } from '../../base/net/endpoint.js';
import type { PortSpan } from '../../base/net/port-span.js';
import type { ListenerOptions, NamedListener } from '../../config/proxy-config.js';

export interface ProxySetup {
  listen: Endpoint;
  /** One port or a range: the probes try its ports (../context/probed-ports.ts), a loopback rule covers them all. */
  target4: PortSpan | null;
  target6: PortSpan | null;
  protocol: 'tcp' | 'udp';
  /** SO_MARK on upstream sockets; 0 when unset. */
  mark: number;
  allowedSubnetsFile: string | null;
  /** The subnets a running proxy has loaded (--from-running, which cannot see the file), or a config lists; else null. */
  allowedSubnets: string[] | null;
  /** Upstream connect give-up time of our proxy (--connect-timeout), in ms. */
  connectTimeoutMs: number;
  /** Expected concurrent connections, to size the file-descriptor check (of the whole process). */
  expectedConnections: number;
  /** -dynamic-destination: the real targets come from the headers; only -4/-6 can be checked. */
  dynamicDestination: boolean;
  /** UDP: --udp-header (where the load balancer puts the client's address); absent reads as `every`. */
  udpHeader?: UdpHeaderMode;
  /** Where `allowedSubnets` came from, when not a running proxy: a config file's `allowed-subnets = [...]`. */
  allowedSubnetsFrom?: string;
}

/** One listener of a config, as the doctor sees it. */
export interface ListenerSetup {
  listener: string;
  setup: ProxySetup;
}

const DEFAULT_EXPECTED_CONNECTIONS = 1000;

/** The proxy's connection limit sizes the fd check; 0 (no limit) falls back to a typical load. */
export function expectedConnectionsFor(maxConnections: number): number {
  return maxConnections > 0 ? maxConnections : DEFAULT_EXPECTED_CONNECTIONS;
}

/** The setup `mmproxy` would run with these options; `expectedConnections` overrides the fd-check size. */
export function setupFromOptions(options: ListenerOptions, expectedConnections?: number): ProxySetup {
  return {
    listen: { family: options.listen.family, address: options.listen.address, port: options.listen.port },
    target4: options.target4,
    target6: options.target6,
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

/** A config file's listener; `expectedConnections` is the whole process's (every listener shares its fd limit). */
export function setupFromListener(listener: NamedListener, expectedConnections: number): ProxySetup {
  const setup = setupFromOptions(listener, expectedConnections);
  if (!listener.allowedSubnets) return setup;
  return { ...setup, allowedSubnets: [...listener.allowedSubnets], allowedSubnetsFrom: "the config's allowed-subnets" };
}
