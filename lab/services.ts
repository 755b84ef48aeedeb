import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Host } from './host.js';
import type { HostProcess } from './host-process.js';
import type { ClientResult } from './services/client-result.js';
import type { StreamFlow, StreamFlowsResult } from './services/stream-flows.js';

export type { ClientResult } from './services/client-result.js';
export type { StreamFlow, StreamFlowsResult } from './services/stream-flows.js';
export { payload, sha256 } from './services/payload.js';

/** Absolute paths of the compiled service scripts, for Host.node(). */
export const services = {
  peerService: fileURLToPath(new URL('./services/peer-service.js', import.meta.url)),
  client: fileURLToPath(new URL('./services/client.js', import.meta.url)),
  streamFlows: fileURLToPath(new URL('./services/stream-flows.js', import.meta.url)),
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

export interface StreamFlowsOptions {
  /** Addresses (`ADDR:PORT`, IPv6 as `[ADDR]:PORT`); flow i goes to the (i mod length)-th. */
  connect: string[];
  flows: number;
  /** The flows stream until this file exists, then finish; without one, each finishes once it sent maxBytes. */
  releaseFile?: string;
  /** Each flow notes what it had sent when this file first exists. */
  markFile?: string;
  chunkBytes?: number;
  everyMs?: number;
  maxBytes?: number;
  timeoutMs?: number;
  /** Flow i connects from this port + i (any free port when absent). */
  firstLocalPort?: number;
}

export interface StreamFlows {
  process: HostProcess;
  /** Each flow once its banner arrived: where it went, its local port, and the peer the service saw. */
  ready: Pick<StreamFlow, 'connect' | 'localPort' | 'peer'>[];
  /** Creates the release file and resolves with the result once every echo has ended. */
  release(): Promise<StreamFlowsResult>;
}

const STREAMS_READY_MS = 15_000;

function streamFlowsArgs(options: StreamFlowsOptions): string[] {
  const args = ['--connect', options.connect.join(','), '--flows', String(options.flows)];
  args.push('--timeout-ms', String(options.timeoutMs ?? 60_000));
  if (options.releaseFile) args.push('--release-file', options.releaseFile);
  if (options.markFile) args.push('--mark-file', options.markFile);
  if (options.chunkBytes !== undefined) args.push('--chunk-bytes', String(options.chunkBytes));
  if (options.everyMs !== undefined) args.push('--every-ms', String(options.everyMs));
  if (options.maxBytes !== undefined) args.push('--max-bytes', String(options.maxBytes));
  if (options.firstLocalPort !== undefined) args.push('--first-local-port', String(options.firstLocalPort));
  return args;
}

/** Starts services/stream-flows.js in host and resolves once every flow is through to its service. */
export async function startStreamFlows(
  host: Host,
  options: StreamFlowsOptions & { releaseFile: string },
): Promise<StreamFlows> {
  const child = host.node(services.streamFlows, streamFlowsArgs(options));
  const ready = await child.waitForOutput(/^READY (.*)$/m, STREAMS_READY_MS, 'stdout');
  return {
    process: child,
    ready: JSON.parse(ready[1] ?? '[]') as StreamFlows['ready'],
    async release() {
      await writeFile(options.releaseFile, '');
      await child.exited;
      const line = child.stdout.trim().split('\n').pop() ?? '';
      return JSON.parse(line) as StreamFlowsResult;
    },
  };
}

/** Runs stream-flows.js without a release file: each flow sends maxBytes, reads its echo and ends. */
export async function exchangeFlows(
  host: Host,
  options: Omit<StreamFlowsOptions, 'releaseFile'>,
): Promise<StreamFlowsResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const { stdout, stderr, code } = await host.exec(
    [process.execPath, services.streamFlows, ...streamFlowsArgs(options)],
    {
      timeoutMs: timeoutMs + 5_000,
    },
  );
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as StreamFlowsResult;
  } catch {
    throw new Error(`stream-flows in ${host.name} printed no result (exit ${code}): ${stdout}${stderr}`);
  }
}
