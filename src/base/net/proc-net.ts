/**
 * The kernel's socket tables, /proc/net/{udp,udp6,tcp,tcp6}: which local
 * addresses and ports are bound. Read by the proxy (a UDP target bound to a
 * wildcard) and the doctor alike.
 */
import type { Endpoint } from './endpoint.js';
import { formatIp } from './ip.js';

/** Kernel hex is the in-memory byte order of 32-bit words (little-endian here). */
function hexAddress(hex: string, family: 4 | 6): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => (word.match(/../g) ?? []).reverse().map((byte) => parseInt(byte, 16)));
  return formatIp({ family, bytes: Uint8Array.from(bytes) });
}

/** The local endpoint of every socket in one table; `family` says which (udp/tcp: 4, udp6/tcp6: 6). */
export function parseProcNetSockets(text: string, family: 4 | 6): Endpoint[] {
  return text
    .split('\n')
    .slice(1)
    .flatMap((line) => {
      const local = line.trim().split(/\s+/)[1];
      const [address, port] = local?.split(':') ?? [];
      if (!address || !port) return [];
      return [{ family, address: hexAddress(address, family), port: parseInt(port, 16) }];
    });
}
