/** The data plane's configuration, built from checked options (see src/native/dataplane-types.ts). */
import type { DataPlaneConfig } from '../native/dataplane-types.js';
import type { Cidr } from '../base/net/cidr.js';
import { formatDestinationRule } from '../base/net/destination-rule.js';
import { formatEndpoint as format } from '../base/net/endpoint.js';
import { isLoopback, requireIp } from '../base/net/ip.js';
import { anyPeerWarning } from '../config/allowed-subnets.js';
import { firstEndpoint } from '../base/net/port-span.js';
import type { ProxyOptions } from '../config/proxy-options.js';
import { plural } from './log/plural.js';

export function toDataPlaneConfig(options: ProxyOptions, allowedSubnets: Cidr[]): DataPlaneConfig {
  return {
    protocol: options.protocol,
    listen: firstEndpoint(options.listen),
    target4: options.target4 && firstEndpoint(options.target4),
    target6: options.target6 && firstEndpoint(options.target6),
    mark: options.mark,
    allowedSubnets,
    listeners: options.listeners,
    headerTimeoutMs: options.headerTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    keepAliveSeconds: options.keepAliveSeconds,
    maxConnections: options.maxConnections,
    dynamicDestination: options.dynamicDestination,
    ...(options.dynamicDestinationAllow && { dynamicDestinationAllow: options.dynamicDestinationAllow }),
    allowLocalClients: options.allowLocalClients,
    listenTransparent: options.listenTransparent,
    reusePort: options.reusePort,
    closeAfterSeconds: options.closeAfterSeconds,
    maxSessions: options.maxSessions,
    collision: options.collision,
    relayMode: options.relayMode,
    fastPath: options.fastPath,
    fastPathAfterReads: options.fastPathAfterReads,
    udpHeader: options.udpHeader,
    // A debug event is built and handed to JavaScript for every connection: only worth it when -v 2 shows it.
    debugEvents: options.verbosity >= 2,
  };
}

/**
 * How a config file's listener is written: its listen and targets as port ranges, where the data plane's config
 * holds the first port of each.
 */
export interface WrittenSpans {
  listen: string;
  target4: string | null;
  target6: string | null;
}

/**
 * The startup line: where it listens and where each family goes. A command line's names its worker threads
 * (-listeners); a config file's listener (`written`) shares the process's, counted once on the summary line.
 */
export function describeConfig(config: DataPlaneConfig, subnetsFile: string | null, written?: WrittenSpans): string {
  const allowed = config.dynamicDestinationAllow?.length
    ? config.dynamicDestinationAllow.map(formatDestinationRule).join(', ')
    : 'this host';
  const target4 = written ? written.target4 : config.target4 && format(config.target4);
  const target6 = written ? written.target6 : config.target6 && format(config.target6);
  const destinations = config.dynamicDestination
    ? `to each PROXY header's destination in ${allowed}`
    : `IPv4 clients to ${target4 ?? 'nowhere'}, IPv6 clients to ${target6 ?? 'nowhere'}`;
  // UDP only: where it expects the client's address; `every` is go-mmproxy's way, said all the same.
  const headers = config.protocol === 'udp' ? `, --udp-header ${config.udpHeader ?? 'every'}` : '';
  const threads = written ? '' : `, ${plural(config.listeners, 'listener')}`;
  const peers = subnetsFile
    ? `${plural(config.allowedSubnets.length, 'allowed subnet')} from ${subnetsFile}`
    : 'any peer';
  return (
    `listening on ${written?.listen ?? format(config.listen)} (${config.protocol}${threads}${headers}), ` +
    `forwarding ${destinations}; accepting ${peers}`
  );
}

/**
 * The start-up warning when any peer may send headers (no -allowed-subnets,
 * listening beyond loopback), in the doctor's words; null otherwise.
 */
export function anyPeerExposure(config: DataPlaneConfig, subnetsFile: string | null): string | null {
  if (subnetsFile !== null || config.allowedSubnets.length > 0) return null;
  if (isLoopback(requireIp(config.listen.address))) return null;
  return anyPeerWarning(format(config.listen));
}
