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
import { runProbeRound, type ProbeRound } from './probe-round.js';
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

export function createContext(setup: ProxySetup, options: RunOptions, system: SystemAccess): DoctorContext {
  const firewall = once(() => readFirewall(system));
  return {
    setup,
    options,
    system,
    ip: ipReader(system),
    sysctl: async (name) => (await system.readFile(sysctlPath(name)))?.trim() ?? null,
    firewall,
    probeRound: once(() => runProbeRound(setup, system, options.probeTimeoutMs, firewall())),
  };
}
