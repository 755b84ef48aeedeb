/**
 * What a spoofed probe is and what it did: the ground truth that static
 * findings are held against. Apart from ./types.ts, so the context that runs
 * the probes does not import the checks' vocabulary (which imports the context).
 */

/** One spoofed probe, as the proxy would connect: to a target, over TCP or UDP. */
export interface ProbeKey {
  protocol: 'tcp' | 'udp';
  /** The target as formatEndpoint writes it. */
  target: string;
}

/** What a spoofed probe really did. */
export interface Observation extends ProbeKey {
  outcome: 'passed' | 'failed' | 'inconclusive';
}
