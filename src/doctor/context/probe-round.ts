/**
 * The run's probes, once for every check that needs them: for each target (each
 * probed port of a range, ./probed-ports.ts) a
 * plain connect and a spoofed one (from a documentation-range client, with
 * IP_TRANSPARENT and the proxy's mark, exactly as the proxy connects), all at
 * once. With -p udp each probe is one datagram and the wait for its reply
 * (native/src/probe/datagram_probe.h): an app that ignores the datagram
 * answers neither probe, which makes the round inconclusive, not failed. The firewall's rules and the kernel's drop counters are read just
 * before; when a spoofed probe fails they are read again just after, with the
 * probe's conntrack entry, so the report can say which rule's counter moved.
 */
import { formatEndpoint, type Endpoint } from '../../base/net/endpoint.js';
import type { ConnectProbeResult } from '../../native/native-types.js';
import { readFirewall } from '../firewall/read-firewall.js';
import { readKernelCounters, type KernelCounters } from '../firewall/kernel-counters.js';
import type { Ruleset } from '../firewall/model.js';
import type { ProxySetup } from '../options/proxy-setup.js';
import { PROBE_CLIENT } from '../routing/probe-addresses.js';
import { probedEndpoints } from './probed-ports.js';
import type { Observation } from '../observation.js';
import type { SystemAccess } from './system-access.js';

export interface TargetProbes {
  target: Endpoint;
  /** The spoofed client's address. */
  client: string;
  plain: ConnectProbeResult;
  spoofed: ConnectProbeResult;
}

export interface ProbeRound {
  targets: TargetProbes[];
  firewall: { before: Ruleset; after: Ruleset | null };
  kernel: { before: KernelCounters; after: KernelCounters | null };
  /** The conntrack table after a failed probe; null when every probe passed or it cannot be read. */
  conntrack: string | null;
}

/** The conntrack table: the proc file when the kernel has it, else the conntrack tool. */
async function readConntrack(system: SystemAccess): Promise<string | null> {
  const proc = await system.readFile('/proc/net/nf_conntrack');
  if (proc !== null) return proc;
  const listed = await system.exec('conntrack', ['-L']);
  return listed.code === 0 ? listed.stdout : null;
}

export async function runProbeRound(
  setup: ProxySetup,
  system: SystemAccess,
  timeoutMs: number,
  firewall: Promise<Ruleset>,
): Promise<ProbeRound> {
  const [before, kernelBefore] = await Promise.all([firewall, readKernelCounters(system)]);
  const targets = [setup.target4, setup.target6].flatMap((span) => (span ? probedEndpoints(span) : []));
  const probes = await Promise.all(
    targets.map(async (target): Promise<TargetProbes> => {
      const endpoint = { address: target.address, port: target.port };
      const client = PROBE_CLIENT[target.family];
      // TCP probes keep the options they were recorded with before UDP had probes.
      const protocol = setup.protocol === 'udp' ? { protocol: 'udp' as const } : {};
      const [plain, spoofed] = await Promise.all([
        system.probeConnect({ ...protocol, source: null, target: endpoint, transparent: false, mark: 0, timeoutMs }),
        system.probeConnect({
          ...protocol,
          source: { address: client, port: 0 },
          target: endpoint,
          transparent: true,
          mark: setup.mark,
          timeoutMs,
        }),
      ]);
      return { target, client, plain, spoofed };
    }),
  );
  if (probes.every((probe) => probe.spoofed.outcome === 'connected')) {
    return {
      targets: probes,
      firewall: { before, after: null },
      kernel: { before: kernelBefore, after: null },
      conntrack: null,
    };
  }
  const [after, kernelAfter, conntrack] = await Promise.all([
    readFirewall(system),
    readKernelCounters(system),
    readConntrack(system),
  ]);
  return {
    targets: probes,
    firewall: { before, after },
    kernel: { before: kernelBefore, after: kernelAfter },
    conntrack,
  };
}

/** The spoofed probes' outcomes, as the report's ground truth. */
export function observations(round: ProbeRound, protocol: 'tcp' | 'udp'): Observation[] {
  return round.targets.map((probe) => ({
    protocol,
    target: formatEndpoint(probe.target),
    outcome:
      probe.spoofed.outcome === 'connected'
        ? 'passed'
        : probe.plain.outcome === 'connected'
          ? 'failed'
          : 'inconclusive',
  }));
}

/** What of the setup a probe round depends on: rounds with equal inputs are one round. */
export function probeInputs(setup: ProxySetup) {
  return { protocol: setup.protocol, target4: setup.target4, target6: setup.target6, mark: setup.mark };
}
