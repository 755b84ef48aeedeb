/** Mocha hooks for a suite that runs on one ProxyTopology (kept apart from topology.ts, which the demo also uses). */
import { HAPROXY, printLabLogOnFailure, requireNetns, requireProgram } from '../kit/index.js';
import { ProxyTopology } from './topology.js';

/**
 * Builds the topology before the suite (skipping it, with the reason, without root or HAProxy), stops what each
 * test started after it, and destroys everything after the suite. Returns the topology for the tests, which only
 * run once it is built.
 */
export function useProxyTopology(label: string): () => ProxyTopology {
  let net: ProxyTopology | undefined;
  before(async function () {
    requireNetns(this);
    requireProgram(this, HAPROXY, 'haproxy');
    net = new ProxyTopology(label);
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
