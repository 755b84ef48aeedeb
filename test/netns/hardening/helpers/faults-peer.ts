/** A fault-client or fault-service process of the fault suites, and the JSON lines it printed. */
import { eventually } from '../../dataplane/harness/driver.js';
import type { HostProcess } from '../../../../lab/index.js';

export type Line = Record<string, unknown> & { type?: string; atMs: number };

/** The JSON objects a process printed, one a line. */
export function jsonLines(text: string): Line[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line);
}

export interface ClientEnd extends Line {
  ended: string;
  localPort: number;
  written: number;
  received: number;
  roundTrips: number;
  sentSha256: string;
  receivedSha256: string;
}

export interface ServiceDone extends Line {
  peer: { address: string; port: number };
  received: number;
  receivedSha256: string;
  written: number;
  error?: string;
}

export interface Progress extends Line {
  written: number;
  received: number;
}

/** A fault-client or fault-service process and what it printed. */
export class Peer {
  constructor(readonly process: HostProcess) {}

  lines<T extends Line>(type: string): T[] {
    return jsonLines(this.process.stdout).filter((line) => line.type === type) as T[];
  }

  waitFor<T extends Line>(
    type: string,
    what: string,
    match: (line: T) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<T> {
    return eventually(what, () => this.lines<T>(type).find(match), timeoutMs);
  }

  /** fault-client: how the connection ended. */
  end(timeoutMs = 20_000): Promise<ClientEnd> {
    return this.waitFor<ClientEnd>('end', `${this.process.argv.join(' ')} to end`, () => true, timeoutMs);
  }

  /** fault-service: the connection from this client (the address and port the PROXY header named), once closed. */
  done(clientAddress: string, clientPort: number, timeoutMs = 20_000): Promise<ServiceDone> {
    return this.waitFor<ServiceDone>(
      'done',
      `the service to close the connection from ${clientAddress}:${clientPort}`,
      (line) => line.peer.address === clientAddress && line.peer.port === clientPort,
      timeoutMs,
    );
  }

  /**
   * Waits until the `field` of the progress lines stops growing (TCP stopped the writer): the value, once it held
   * still for `stillMs`.
   */
  async stalled(field: 'written' | 'received', stillMs = 500, timeoutMs = 20_000): Promise<number> {
    return eventually(
      `${field} to stop growing`,
      () => {
        const lines = this.lines<Progress>('progress');
        const last = lines[lines.length - 1];
        if (!last || last[field] === 0) return undefined;
        const since = lines.find((line) => line[field] === last[field]);
        return since && last.atMs - since.atMs >= stillMs ? last[field] : undefined;
      },
      timeoutMs,
    );
  }
}
