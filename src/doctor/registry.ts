/**
 * Every check, in the order the report lists them: causes before the
 * symptoms they produce (privilege and routing before reachability, which
 * comes before the HAProxy log that shows the same fault from outside).
 */
import { fileLimit } from './checks/file-limit.js';
import { firewall } from './checks/firewall.js';
import { haproxyLog } from './checks/haproxy-log.js';
import { loopbackRoutingV4 } from './checks/loopback-routing-v4.js';
import { loopbackRoutingV6 } from './checks/loopback-routing-v6.js';
import { markRouting } from './checks/mark-routing.js';
import { packetCapture } from './checks/packet-capture.js';
import { persistence } from './checks/persistence.js';
import { privilege } from './checks/privilege.js';
import { security } from './checks/security.js';
import { sysctls } from './checks/sysctls.js';
import { target } from './checks/target.js';
import { udpWildcard } from './checks/udp-wildcard.js';
import { UsageError } from '../base/errors.js';
import type { Check } from './types.js';

export const registry: readonly Check[] = [
  privilege,
  loopbackRoutingV4,
  loopbackRoutingV6,
  markRouting,
  udpWildcard,
  firewall,
  target,
  packetCapture,
  sysctls,
  fileLimit,
  persistence,
  security,
  haproxyLog,
];

/** Checks named by id or group, in registry order; all of them when no name is given. */
export function selectChecks(names: string[]): Check[] {
  if (names.length === 0) return [...registry];
  const known = new Set(registry.flatMap((check) => [check.id, ...check.groups]));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length) {
    throw new UsageError(`unknown check ${unknown.join(', ')}; see 'mmproxy doctor --list-checks'`);
  }
  return registry.filter((check) => names.includes(check.id) || check.groups.some((group) => names.includes(group)));
}
