/** The service and the load-balancer stand-in of the data plane tests, run inside a lab host. */
import type { Host, HostProcess } from '../../../../lab/index.js';
import { PROXY_CLIENT, STREAM_SERVICE } from './driver.js';

export interface ServiceDone {
  peer: { address: string; port: number };
  receivedBytes: number;
  receivedSha256: string;
  error?: string;
}

export class StreamService {
  private constructor(readonly process: HostProcess) {}

  /** `stallUntil`: read nothing from a connection until that file exists. */
  static async start(
    host: Host,
    listen: string,
    mode = 'echo',
    sendBytes = 0,
    stallUntil?: string,
  ): Promise<StreamService> {
    const stall = stallUntil ? ['--stall-until', stallUntil] : [];
    const child = host.node(STREAM_SERVICE, [
      '--listen',
      listen,
      '--mode',
      mode,
      '--send-bytes',
      String(sendBytes),
      ...stall,
    ]);
    await child.waitForOutput(/^LISTENING /m);
    return new StreamService(child);
  }

  /** Connections the service accepted so far: proof of an upstream connect, or its absence. */
  accepted(): number {
    return this.process.stdout.split('\n').filter((line) => line.startsWith('ACCEPTED ')).length;
  }

  done(): ServiceDone[] {
    return this.process.stdout
      .split('\n')
      .filter((line) => line.startsWith('DONE '))
      .map((line) => JSON.parse(line.slice('DONE '.length)) as ServiceDone);
  }
}

export interface ClientOptions {
  connect: string;
  header: Buffer;
  sendBytes?: number;
  mode?: 'send-then-read' | 'read-then-send' | 'silent' | 'hold' | 'reset';
  sameWrite?: boolean;
  trickleHeader?: boolean;
  timeoutMs?: number;
  /** Local address to connect from: another load balancer. */
  bind?: string;
  /** Mode 'hold': the FIN waits until this file exists, so the flow stays open until the test says. */
  releaseFile?: string;
}

export interface ClientResult {
  ended: string;
  localPort: number;
  peer: { address: string; port: number } | null;
  sentBytes: number;
  sentSha256: string;
  receivedBytes: number;
  receivedSha256: string;
}

function clientArgs(options: ClientOptions): string[] {
  const args = ['--connect', options.connect, '--header-hex', options.header.toString('hex')];
  args.push('--send-bytes', String(options.sendBytes ?? 0), '--mode', options.mode ?? 'send-then-read');
  args.push('--timeout-ms', String(options.timeoutMs ?? 20_000));
  if (options.sameWrite) args.push('--same-write');
  if (options.trickleHeader) args.push('--trickle-header');
  if (options.bind) args.push('--bind', options.bind);
  if (options.releaseFile) args.push('--release-file', options.releaseFile);
  return args;
}

/** Runs one client to completion and returns what it saw. */
export async function runClient(host: Host, options: ClientOptions): Promise<ClientResult> {
  const timeoutMs = (options.timeoutMs ?? 20_000) + 10_000;
  const { stdout, stderr, code } = await host.exec([process.execPath, PROXY_CLIENT, ...clientArgs(options)], {
    timeoutMs,
  });
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ClientResult;
  } catch {
    throw new Error(`proxy client printed no result (exit ${code}): ${stdout}${stderr}`);
  }
}

/** Starts a client that stays connected (mode 'hold'); read its result from the process output. */
export function startClient(host: Host, options: ClientOptions): HostProcess {
  return host.node(PROXY_CLIENT, clientArgs(options));
}
