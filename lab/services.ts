import { fileURLToPath } from 'node:url';
import type { Host } from './host.js';
import type { ClientResult } from './services/client-result.js';

export type { ClientResult } from './services/client-result.js';
export { payload, sha256 } from './services/payload.js';

/** Absolute paths of the compiled service scripts, for Host.node(). */
export const services = {
  peerService: fileURLToPath(new URL('./services/peer-service.js', import.meta.url)),
  client: fileURLToPath(new URL('./services/client.js', import.meta.url)),
};

export interface ExchangeOptions {
  /** `ADDR:PORT`; IPv6 as `[ADDR]:PORT`. */
  connect: string;
  sendBytes?: number;
  expectPeer?: boolean;
  /** Without expectPeer: wait this long after connecting before sending. */
  sendAfterMs?: number;
  udp?: boolean;
  bind?: string;
  timeoutMs?: number;
}

/** Starts a peer-service on host and waits until it is bound. */
export async function startPeerService(host: Host, listen: string, { udp = false } = {}) {
  const server = host.node(services.peerService, ['--listen', listen, ...(udp ? ['--udp'] : [])]);
  await server.waitForOutput(/^LISTENING /m);
  return server;
}

/** Runs services/client.js inside host and returns its parsed result (ok or not; the caller asserts). */
export async function exchange(host: Host, options: ExchangeOptions): Promise<ClientResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const args = [
    '--connect',
    options.connect,
    '--send-bytes',
    String(options.sendBytes ?? 0),
    '--timeout-ms',
    String(timeoutMs),
  ];
  if (options.expectPeer) args.push('--expect-peer');
  if (options.sendAfterMs !== undefined) args.push('--send-after-ms', String(options.sendAfterMs));
  if (options.udp) args.push('--udp');
  if (options.bind) args.push('--bind', options.bind);
  // The client bounds itself; this outer bound only catches a client that fails to start or hangs on exit.
  const { stdout, stderr, code } = await host.exec([process.execPath, services.client, ...args], {
    timeoutMs: timeoutMs + 5_000,
  });
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ClientResult;
  } catch {
    throw new Error(`client in ${host.name} printed no result (exit ${code}): ${stdout}${stderr}`);
  }
}
