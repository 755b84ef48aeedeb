/** The real `mmproxy` CLI (bin/mmproxy.js) started inside a namespace, as a user would run it. */
import { fileURLToPath } from 'node:url';

import { scaled, type Host, type HostProcess } from '../index.js';

/** bin/mmproxy.js of this checkout; this file runs from dist/lab/mmproxy/. */
export const MMPROXY_BIN = fileURLToPath(new URL('../../../bin/mmproxy.js', import.meta.url));

const START_TIMEOUT_MS = 10_000;

/**
 * Starts mmproxy with these flags and resolves once it logs where it listens. `maxOpenFiles` runs it under
 * `prlimit --nofile` (soft and hard limit), as after `ulimit -n` in a shell; prlimit execs it, so the PID is
 * mmproxy's own.
 */
export async function startMmproxy(
  host: Host,
  flags: string[],
  { maxOpenFiles }: { maxOpenFiles?: number } = {},
): Promise<HostProcess> {
  const limit = maxOpenFiles === undefined ? [] : ['prlimit', `--nofile=${maxOpenFiles}`];
  const child = host.spawn([...limit, process.execPath, MMPROXY_BIN, ...flags]);
  // The startup line, in text or JSON: "listening on 192.0.2.2:8401 (tcp, 2 listeners), ..."
  await child.waitForOutput(/listening on \S+ \(/, START_TIMEOUT_MS, 'stderr');
  return child;
}

/** SIGTERM, then the exit status (the lab's teardown kills it if it never exits). */
export async function stopMmproxy(child: HostProcess): Promise<{ code: number | null; signal: string | null }> {
  child.kill('SIGTERM');
  return child.exited;
}

const PORT_POLL_MS = 50;

/** Polls `ss` in the host until nothing listens on the TCP port any more. */
export async function waitUntilNotListening(host: Host, port: number, waitMs = 5_000): Promise<void> {
  const timeoutMs = scaled(waitMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout } = await host.run(['ss', '-tlnH', 'sport', '=', `:${port}`]);
    if (stdout.trim() === '') return;
    if (Date.now() >= deadline)
      throw new Error(`${host.name}: port ${port} still listening after ${timeoutMs}ms:\n${stdout}`);
    await new Promise((resolve) => setTimeout(resolve, PORT_POLL_MS));
  }
}
