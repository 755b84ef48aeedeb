/** Mocha hooks for a suite on one FloodLab (./floods-lab.ts). */
import { printLabLogOnFailure, requireNetns, requireProgram } from '../kit/index.js';
import { FloodLab } from './floods-lab.js';

const GCC = '/usr/bin/gcc';

/** Builds the lab before the suite (skipping it, saying why, without root or gcc) and tears it down after. */
export function useFloodLab(label: string): () => FloodLab {
  let net: FloodLab | undefined;
  before(async function () {
    requireNetns(this);
    requireProgram(this, GCC, 'gcc');
    net = new FloodLab(label);
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
