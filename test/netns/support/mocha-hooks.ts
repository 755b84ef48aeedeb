import type { Lab } from '../../../lab/lab.js';

/**
 * For an afterEach hook: when the test just failed, print the lab's command log (every command, its exit,
 * and so far the processes' output) so the failure can be read without re-running.
 *   afterEach(function () { printLabLogOnFailure(this, lab); });
 */
export function printLabLogOnFailure(context: Mocha.Context, lab: Lab | undefined): void {
  if (!lab || context.currentTest?.state !== 'failed') return;
  console.log(`\n----- lab log ${lab.prefix} (saved at teardown under ${lab.log.directory}) -----\n${lab.log.text()}`);
}

/** A test network that owns a Lab and the processes its tests start (ProxyTopology, FloodLab, FaultsNet…). */
export interface SuiteNetwork {
  readonly lab: Lab;
  build(): Promise<void>;
  /** Stops what one test started. */
  stopStarted(): Promise<void>;
  /** Tears everything down, even when half-built, and checks nothing leaked. */
  destroy(): Promise<void>;
}

/**
 * The hooks every suite on one network needs: `require` (which fails the suite, saying why, when root or a
 * program is missing; skips it with MMPROXY_ALLOW_SKIP=1) and `build` before it, stopping each test's processes (with the lab log when it failed)
 * after each, destroying the network after it. Returns the network for the tests, which only run once it is built.
 */
export function useSuiteNetwork<Network extends SuiteNetwork>(
  make: () => Network,
  require: (context: Mocha.Context) => void,
): () => Network {
  let net: Network | undefined;
  before(async function () {
    require(this);
    net = make();
    await net.build();
  });
  afterEach(async function () {
    if (!net) return;
    printLabLogOnFailure(this, net.lab);
    await net.stopStarted();
  });
  after(async function () {
    await net?.destroy();
  });
  return () => net!;
}
