/**
 * Everything the doctor reads from or does to the machine, in one narrow
 * interface: the real implementation (./real-system.ts) runs commands and
 * native probes; ./replay-system.ts answers from a recorded fixture.
 */
import type { ConnectProbeOptions, ConnectProbeResult, SocketOptionProbeResult } from '../../native/native-types.js';
import type { CaptureRequest, CaptureResult } from '../capture/capture-types.js';

export interface ExecResult {
  /** Exit status; 127 when the program is not installed. */
  code: number;
  stdout: string;
  stderr: string;
}

/** The allowed-subnets file as the proxy reads it at start (src/config/allowed-subnets.ts). */
export type SubnetFileRead = { ok: true; subnets: string[]; notes: string[] } | { ok: false; message: string };

export interface SocketOptionProbe {
  family: 4 | 6;
  option: 'transparent' | 'mark';
  mark: number;
}

export interface SystemAccess {
  exec(file: string, args: string[]): Promise<ExecResult>;
  /** The file's text, or null when it does not exist or cannot be read. */
  readFile(path: string): Promise<string | null>;
  /** Entry names, or [] when the directory does not exist. */
  listDir(path: string): Promise<string[]>;
  /** Reads an allowed-subnets file with the proxy's own reader: its list, or the message it refuses to start with. */
  loadSubnets(path: string): Promise<SubnetFileRead>;
  probeConnect(options: ConnectProbeOptions): Promise<ConnectProbeResult>;
  probeSocketOption(options: SocketOptionProbe): Promise<SocketOptionProbeResult>;
  /** Captures on the given interfaces while `during` runs. */
  capture(request: CaptureRequest, during: () => Promise<unknown>): Promise<CaptureResult>;
  now(): number;
}

/** The key a call is recorded under, shared by recorder and replayer. */
export const recordKey = {
  exec: (file: string, args: string[]) => `exec ${[file, ...args].join(' ')}`,
  readFile: (path: string) => `read ${path}`,
  listDir: (path: string) => `list ${path}`,
  loadSubnets: (path: string) => `loadSubnets ${path}`,
  probeConnect: (options: ConnectProbeOptions) => `probeConnect ${JSON.stringify(options)}`,
  probeSocketOption: (options: SocketOptionProbe) => `probeSocketOption ${JSON.stringify(options)}`,
  capture: (request: CaptureRequest) => `capture ${JSON.stringify(request)}`,
};

/** The key of the n-th asking of the same question: the first keeps the plain key. */
export function repeatedKey(key: string, call: number): string {
  return call === 1 ? key : `${key} #${call}`;
}
