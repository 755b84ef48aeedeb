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

/** Why there is no capture, and, when it is missing from this install, the exact commands that get it. */
export interface CaptureUnavailable {
  ok: false;
  reason: string;
  remedy?: { commands: string[]; text: string };
}

export type CaptureResult = { ok: true; packets: CapturedPacket[] } | CaptureUnavailable;
