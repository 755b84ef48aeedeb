/**
 * The one-namespace network the UDP suites share: host `app` with loopback policy routing (so a socket bound to
 * a documentation address can talk to a service on 127.0.0.1 / ::1 and hear back) and the kit's UDP peer service
 * on port 7100 of each loopback address, which answers `PEER <address> <port>\n<payload>`.
 */
import { assertNoLeaks, type Host, Lab, startPeerService } from '../../../../lab/index.js';
import { requireNetns, useSuiteNetwork, type SuiteNetwork } from '../../support/index.js';

export class LoopbackApp implements SuiteNetwork {
  readonly lab: Lab;
  private host: Host | undefined;
  /** What a test started, stopped after it (data plane drivers). */
  private readonly started: { close(): Promise<unknown> }[] = [];

  constructor(prefix: string) {
    this.lab = Lab.create(prefix);
  }

  get app(): Host {
    if (!this.host) throw new Error('the network is not built');
    return this.host;
  }

  async build(): Promise<void> {
    this.host = await this.lab.host('app');
    await this.host.addLoopbackRouting();
    await startPeerService(this.host, '127.0.0.1:7100', { udp: true });
    await startPeerService(this.host, '[::1]:7100', { udp: true });
  }

  /** `closeable` is closed after the test that started it, unless the test closed it already. */
  own<T extends { close(): Promise<unknown> }>(closeable: T): T {
    this.started.push(closeable);
    return closeable;
  }

  async stopStarted(): Promise<void> {
    for (const closeable of this.started.splice(0)) await closeable.close().catch(() => undefined);
  }

  async destroy(): Promise<void> {
    await this.lab.destroy();
    await assertNoLeaks(this.lab);
  }
}

/** The hooks: a LoopbackApp named `prefix`, built before the suite and destroyed after it. */
export function useLoopbackApp(prefix: string): () => LoopbackApp {
  return useSuiteNetwork(() => new LoopbackApp(prefix), requireNetns);
}
