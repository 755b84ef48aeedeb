/** Mocha hooks for a suite that runs on one ProxyTopology (kept apart from topology.ts, which the demo also uses). */
import { HAPROXY } from '../../../../lab/index.js';
import { requireNetns, requireProgram, useSuiteNetwork } from '../../support/index.js';
import { ProxyTopology } from '../../../../lab/mmproxy/topology.js';

/**
 * Builds the topology before the suite (skipping it, with the reason, without root or HAProxy), stops what each
 * test started after it, and destroys everything after the suite.
 */
export function useProxyTopology(label: string): () => ProxyTopology {
  return useSuiteNetwork(
    () => new ProxyTopology(label),
    (context) => {
      requireNetns(context);
      requireProgram(context, HAPROXY, 'haproxy');
    },
  );
}
