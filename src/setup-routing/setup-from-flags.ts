/**
 * setup-routing takes the proxy's own flags, checked by the proxy's own
 * parser, so `mmproxy setup-routing $ARGS` prepares exactly what `mmproxy
 * $ARGS` will need (and a unit can hand both the same $MMPROXY_ARGS).
 */
import type { RawProxyFlags } from '../config/proxy-flags.js';
import { parseProxyOptions } from '../config/proxy-options.js';
import { setupFromOptions, type ProxySetup } from '../doctor/options/proxy-setup.js';

export type SetupRoutingFlags = RawProxyFlags;

export function setupFromFlags(flags: SetupRoutingFlags): ProxySetup {
  return setupFromOptions(parseProxyOptions(flags));
}
