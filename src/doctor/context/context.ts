/**
 * What every check receives: the proxy setup under examination, the run's
 * options and read access to the machine. Built once per run.
 */
import type { HaproxyLogTally } from '../haproxy/log-tally.js';
import type { Ruleset } from '../firewall/model.js';
import { readFirewall } from '../firewall/read-firewall.js';
import type { RunningProxy } from '../options/from-running.js';
import type { ProxySetup } from '../options/proxy-setup.js';
import { ipReader, type IpReader } from './ip-reader.js';
import { probeInputs, runProbeRound, type ProbeRound } from './probe-round.js';
import type { SystemAccess } from './system-access.js';

export interface RunOptions {
  /** Capture packets during the spoofed probe (--capture). */
  capture: boolean;
  /** The HAProxy log (--haproxy-log), read into its tally, or null. */
  haproxyLog: HaproxyLogTally | null;
  /** Give-up time of each connect probe. */
  probeTimeoutMs: number;
  /** The proxy the setup was read from (--from-running); its counters back up the findings. */
  runningProxy?: RunningProxy;
  /** The routing table new rules should use (`mmproxy setup-routing --table`); a free one when absent. */
  table?: string;
}

export interface DoctorContext {
  setup: ProxySetup;
  options: RunOptions;
  system: SystemAccess;
  ip: IpReader;
  /** A /proc/sys value by dotted name (`net.ipv4.conf.lo.rp_filter`); null when absent. */
  sysctl(name: string): Promise<string | null>;
  /** Every netfilter ruleset (nftables, iptables-nft, legacy iptables), read once per run. */
  firewall(): Promise<Ruleset>;
  /** The run's plain and spoofed probes of every target, run once, with the firewall read around them. */
  probeRound(): Promise<ProbeRound>;
}

/** Interface names may contain dots, so only the fixed parts are split. */
export function sysctlPath(name: string): string {
  const conf = /^net\.(ipv4|ipv6)\.conf\.(.+)\.([a-z_]+)$/.exec(name);
  if (conf) return `/proc/sys/net/${conf[1]}/conf/${conf[2]}/${conf[3]}`;
  return `/proc/sys/${name.replaceAll('.', '/')}`;
}

/** A promise made on first use and shared by every later caller. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/**
 * What the contexts of one run share, so that many setups (a config file's
 * listeners) read the routing and the firewall once and probe each target once.
 */
export interface SharedReads {
  ip: IpReader;
  firewall: () => Promise<Ruleset>;
  probeRound: (setup: ProxySetup, timeoutMs: number) => Promise<ProbeRound>;
}

export function sharedReads(system: SystemAccess): SharedReads {
  const firewall = once(() => readFirewall(system));
  const rounds = new Map<string, Promise<ProbeRound>>();
  return {
    ip: ipReader(system),
    firewall,
    probeRound(setup, timeoutMs) {
      const key = JSON.stringify(probeInputs(setup));
      let round = rounds.get(key);
      if (!round) rounds.set(key, (round = runProbeRound(setup, system, timeoutMs, firewall())));
      return round;
    },
  };
}

export function createContext(
  setup: ProxySetup,
  options: RunOptions,
  system: SystemAccess,
  shared: SharedReads = sharedReads(system),
): DoctorContext {
  return {
    setup,
    options,
    system,
    ip: shared.ip,
    sysctl: async (name) => (await system.readFile(sysctlPath(name)))?.trim() ?? null,
    firewall: shared.firewall,
    probeRound: () => shared.probeRound(setup, options.probeTimeoutMs),
  };
}
