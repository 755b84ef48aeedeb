/** The demo's two waits on a person: `mmproxy top` on the live lab, and Ctrl-C after --keep. */
import { spawn } from 'node:child_process';

import { exchange } from '../../test/netns/kit/index.js';
import { MMPROXY_BIN } from '../../test/netns/proxy/mmproxy-process.js';
import type { ProxyTopology } from '../../test/netns/proxy/topology.js';

// Background traffic while top is open: bounded, so a forgotten window cannot run forever.
const MAX_BACKGROUND_EXCHANGES = 2_000;
const BACKGROUND_BYTES = 4 * 1024 * 1024;

/** Runs `mmproxy top` in the app namespace on this terminal, with clients connecting meanwhile, until it exits. */
export async function runTopInteractive(topology: ProxyTopology, statsSocket: string, via: string[]): Promise<void> {
  let topRunning = true;
  const traffic = (async () => {
    for (let i = 0; topRunning && i < MAX_BACKGROUND_EXCHANGES; i += 1) {
      await exchange(topology.client, { connect: via[i % via.length] ?? '', sendBytes: BACKGROUND_BYTES, expectPeer: true });
    }
  })();
  const top = spawn('ip', ['netns', 'exec', topology.app.ns, process.execPath, MMPROXY_BIN, 'top', '--socket', statsSocket], {
    stdio: 'inherit',
  });
  await new Promise<void>((resolve) => top.once('exit', () => resolve()));
  topRunning = false;
  await traffic;
}

/**
 * Holds the process (and so the lab) until Ctrl-C or SIGTERM. The test kit's
 * signal handler then removes every namespace and process of the lab and exits.
 */
export function holdUntilInterrupted(): Promise<never> {
  const HEARTBEAT_MS = 60_000;
  return new Promise(() => {
    setInterval(() => undefined, HEARTBEAT_MS);
  });
}
