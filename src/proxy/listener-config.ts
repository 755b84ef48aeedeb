/**
 * A config file's listener as data planes: one per port of its listen range, each with its own target port
 * (a target range follows the listen port, a single target port takes them all; ../base/net/port-span.ts).
 */
import type { Cidr } from '../base/net/cidr.js';
import { spanEndpoints, targetFor } from '../base/net/port-span.js';
import type { NamedListener, ProcessOptions } from '../config/proxy-config.js';
import type { DataPlaneConfig } from '../native/dataplane-types.js';
import { toDataPlaneConfig } from './config.js';

/** One plane's config per port, lowest port first; `threads` is the pool's size (or each plane's own). */
export function portConfigs(
  listener: NamedListener,
  process: ProcessOptions,
  subnets: Cidr[],
  threads: number,
): DataPlaneConfig[] {
  const { name: _name, allowedSubnets: _inline, ...options } = listener;
  const base = toDataPlaneConfig({ ...process, ...options, listeners: threads }, subnets);
  return spanEndpoints(listener.listen).map((listen) => ({
    ...base,
    listen,
    target4: listener.target4 && targetFor(listener.listen, listener.target4, listen.port),
    target6: listener.target6 && targetFor(listener.listen, listener.target6, listen.port),
  }));
}

/** Where a listener's allowed subnets come from, for its startup line: a file, the config itself, or none. */
export function subnetsSource(listener: NamedListener, configFile: string | null): string | null {
  return listener.allowedSubnetsFile ?? (listener.allowedSubnets ? configFile : null);
}
