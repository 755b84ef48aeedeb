/**
 * The kernel's socket tables, /proc/net/{udp,udp6,tcp,tcp6}: which local
 * addresses and ports are bound, in which state, by which user. Read by the
 * proxy (a UDP target bound to a wildcard) and the doctor alike.
 */
import type { Endpoint } from './endpoint.js';
import { formatIp } from './ip.js';

/** TCP_LISTEN in the `st` column; an unconnected UDP socket shows TCP_CLOSE (7). */
export const SOCKET_STATE = { listen: 0x0a, close: 0x07 } as const;

export interface SocketEntry {
  local: Endpoint;
  /** The `st` column (include/net/tcp_states.h). */
  state: number;
  /** The socket's owner: the uid its route lookups are made with (uidrange rules). */
  uid: number;
}

/** Kernel hex is the in-memory byte order of 32-bit words (little-endian here). */
function hexAddress(hex: string, family: 4 | 6): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => (word.match(/../g) ?? []).reverse().map((byte) => parseInt(byte, 16)));
  return formatIp({ family, bytes: Uint8Array.from(bytes) });
}

/** Every socket of one table; `family` says which (udp/tcp: 4, udp6/tcp6: 6). */
export function parseProcNetEntries(text: string, family: 4 | 6): SocketEntry[] {
  return text
    .split('\n')
    .slice(1)
    .flatMap((line) => {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
      const columns = line.trim().split(/\s+/);
      const [address, port] = columns[1]?.split(':') ?? [];
      if (!address || !port) return [];
      return [
        {
          local: { family, address: hexAddress(address, family), port: parseInt(port, 16) },
          state: parseInt(columns[3] ?? '', 16),
          uid: Number(columns[7]),
        },
      ];
    });
}

/** The local endpoint of every socket in one table. */
export function parseProcNetSockets(text: string, family: 4 | 6): Endpoint[] {
  return parseProcNetEntries(text, family).map((entry) => entry.local);
}
