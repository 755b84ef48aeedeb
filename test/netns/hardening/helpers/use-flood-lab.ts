/** Mocha hooks for a suite on one FloodLab (./floods-lab.ts). */
import { requireNetns, requireProgram, useSuiteNetwork } from '../../support/index.js';
import { FloodLab } from './floods-lab.js';

const GCC = '/usr/bin/gcc';

/** Builds the lab before the suite (skipping it, saying why, without root or gcc) and tears it down after. */
export function useFloodLab(label: string): () => FloodLab {
  return useSuiteNetwork(
    () => new FloodLab(label),
    (context) => {
      requireNetns(context);
      requireProgram(context, GCC, 'gcc');
    },
  );
}
