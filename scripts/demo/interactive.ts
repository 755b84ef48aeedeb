/** The demo's two waits on a person: `mmproxy top` on the live lab, and Ctrl-C after --keep. */
import { spawn } from 'node:child_process';

import type { Host } from '../../lab/index.js';
import { MMPROXY_BIN } from '../../lab/mmproxy/mmproxy-process.js';

/** Runs `mmproxy top` in the app host on this terminal until the person quits it. */
export async function runTopInteractive(app: Host, statsSocket: string): Promise<void> {
  const top = spawn('ip', ['netns', 'exec', app.ns, process.execPath, MMPROXY_BIN, 'top', '--socket', statsSocket], {
    stdio: 'inherit',
  });
  await new Promise<void>((resolve) => top.once('exit', () => resolve()));
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
