/**
 * setup-routing takes the proxy's own flags, checked by the proxy's own
 * parser, so `mmproxy setup-routing $ARGS` prepares exactly what `mmproxy
 * $ARGS` will need (and a unit can hand both the same $MMPROXY_ARGS).
 */
import { expectedConnectionsFor, type ProxySetup } from '../doctor/options/proxy-setup.js';
import type { RawProxyFlags } from '../proxy/flags.js';
import { parseProxyOptions } from '../proxy/options.js';

export type SetupRoutingFlags = RawProxyFlags;

export function setupFromFlags(flags: SetupRoutingFlags): ProxySetup {
  const options = parseProxyOptions(flags);
  return {
    listen: options.listen,
    target4: options.target4,
    target6: options.target6,
    protocol: options.protocol,
    mark: options.mark,
    allowedSubnetsFile: options.allowedSubnetsFile,
    allowedSubnets: null,
    connectTimeoutMs: options.connectTimeoutMs,
    expectedConnections: expectedConnectionsFor(options.maxConnections),
    dynamicDestination: options.dynamicDestination,
  };
}
