/** What a packet capture is asked for and what it saw, decoded. */

export interface CaptureRequest {
  /** Interfaces to open, one capture each, so every packet carries its interface. */
  interfaces: string[];
  /** A BPF filter, e.g. "tcp and host 192.0.2.1". */
  filter: string;
}

export interface CapturedPacket {
  interface: string;
  /** Milliseconds since the capture started. */
  atMs: number;
  family: 4 | 6;
  source: string;
  sourcePort: number;
  destination: string;
  destinationPort: number;
  /** TCP flags by name: SYN, ACK, RST, FIN, PSH. */
  flags: string[];
}

export type CaptureResult = { ok: true; packets: CapturedPacket[] } | { ok: false; reason: string };
