/** Runs held-client.js in a host: a flow that stays open until the test releases it. */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import type { Host, HostProcess } from '../../../../lab/index.js';

const SCRIPT = fileURLToPath(new URL('./held-client.js', import.meta.url));

export interface HeldClientResult {
  ok: boolean;
  error?: string;
  connections: number;
  /** Connections whose echo matched what was sent. */
  intact: number;
  sentSha256: string;
  receivedSha256: string[];
}

export interface HeldClient {
  process: HostProcess;
  localPorts: number[];
  /** Lets the client send its bytes and finish; resolves with its result. */
  release(): Promise<HeldClientResult>;
}

/** Starts the client and resolves once every connection is through to the service (banner read). */
export async function startHeldClient(
  host: Host,
  connect: string,
  releaseFile: string,
  sendBytes: number,
  connections = 1,
): Promise<HeldClient> {
  const child = host.node(SCRIPT, [
    '--connect',
    connect,
    '--release-file',
    releaseFile,
    '--send-bytes',
    String(sendBytes),
    '--connections',
    String(connections),
  ]);
  const ready = await child.waitForOutput(/^READY ([\d ]+)$/m, 10_000, 'stdout');
  return {
    process: child,
    localPorts: (ready[1] ?? '').split(' ').map(Number),
    async release() {
      await writeFile(releaseFile, '');
      await child.exited;
      const line = child.stdout.trim().split('\n').pop() ?? '';
      return JSON.parse(line) as HeldClientResult;
    },
  };
}
