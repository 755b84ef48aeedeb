/**
 * Long-lived, busy client flows for `mmproxy top` to show: the top tests'
 * streaming client, one flow per address family, sending until released.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { HostProcess } from '../../lab/index.js';
import type { ProxyTopology } from '../../lab/mmproxy/topology.js';

const STREAMING_CLIENT = fileURLToPath(new URL('../../lab/services/streaming-client.js', import.meta.url));
// 8 KiB every 100 ms: visible rates in top, little load, and a small echo buffer in the client.
const CHUNK_BYTES = 8 * 1024;
const EVERY_MS = 100;
const READY_TIMEOUT_MS = 10_000;

export interface LiveFlows {
  /** Lets every flow half-close, drain its echo and exit. */
  release(): Promise<void>;
}

export async function startLiveFlows(
  topology: ProxyTopology,
  via: string[],
  workDir: string,
  lifetimeMs: number,
): Promise<LiveFlows> {
  const releaseFile = join(workDir, 'release-live-flows');
  const clients: HostProcess[] = via.map((connect) =>
    topology.client.node(STREAMING_CLIENT, [
      '--connect',
      connect,
      '--chunk-bytes',
      String(CHUNK_BYTES),
      '--every-ms',
      String(EVERY_MS),
      '--release-file',
      releaseFile,
      '--timeout-ms',
      String(lifetimeMs),
    ]),
  );
  await Promise.all(clients.map((client) => client.waitForOutput(/^READY /m, READY_TIMEOUT_MS, 'stdout')));
  return {
    async release() {
      writeFileSync(releaseFile, '');
      await Promise.all(clients.map((client) => client.exited));
    },
  };
}
