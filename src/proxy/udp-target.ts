/**
 * A start-up warning for UDP mode: a target bound to a wildcard address
 * (0.0.0.0 or ::) replies from whatever source address routing picks, not
 * from the target address, so the `from 127.0.0.1/8 iif lo` rule never sees
 * the replies and they leave by the default route. The doctor's
 * udp-wildcard check reads the same kernel table and explains more.
 */
import { readFile } from 'node:fs/promises';

import { parseProcNetSockets } from '../base/net/proc-net.js';
import type { Endpoint } from '../base/net/endpoint.js';
import { formatEndpoint } from '../base/net/endpoint.js';

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** One message per target that only a wildcard-bound socket serves. */
export function wildcardTargetWarnings(targets: Endpoint[], sockets: Endpoint[]): string[] {
  return targets.flatMap((target) => {
    const onPort = sockets.filter((socket) => socket.port === target.port);
    if (onPort.some((socket) => socket.address === target.address)) return [];
    const wildcard = onPort.find((socket) => WILDCARDS.has(socket.address));
    if (!wildcard) return [];
    const bound = wildcard.family === 6 ? `[::]:${target.port}` : `0.0.0.0:${target.port}`;
    return [
      `the UDP target ${formatEndpoint(target)} is served by a socket bound to ${bound}: its replies leave ` +
        `with a non-loopback source address and miss the loopback routing rules; bind the app to ` +
        `${formatEndpoint(target)} itself (\`mmproxy doctor -p udp\` shows the details)`,
    ];
  });
}

/** Reads /proc/net/udp and /proc/net/udp6 (a missing table counts as empty). */
export async function udpTargetWarnings(targets: Endpoint[]): Promise<string[]> {
  const table = (path: string) => readFile(path, 'utf8').catch(() => '');
  const sockets = [
    ...parseProcNetSockets(await table('/proc/net/udp'), 4),
    ...parseProcNetSockets(await table('/proc/net/udp6'), 6),
  ];
  return wildcardTargetWarnings(targets, sockets);
}
