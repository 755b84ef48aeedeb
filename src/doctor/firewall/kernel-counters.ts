/**
 * The kernel's own drop counters that bear on a spoofed probe, read before
 * and after it: reverse-path filtering (TcpExt IPReversePathFilter in
 * /proc/net/netstat), the listener's SYN drops (ListenDrops,
 * ListenOverflows), and conntrack's refusals (/proc/net/stat/nf_conntrack:
 * invalid, drop, insert_failed, summed over CPUs). Only counts that moved
 * during the probe are reported, as what happened to it.
 */
import type { SystemAccess } from '../context/system-access.js';

export type KernelCounters = Map<string, number>;

/** What each counter means for the probe, when it moved. */
export const KERNEL_COUNTER_MEANING: Record<string, string> = {
  IPReversePathFilter: 'packets dropped by reverse-path filtering (rp_filter)',
  ListenDrops: "SYNs dropped by the app's listener",
  ListenOverflows: "SYNs dropped because the app's accept queue was full",
  'conntrack invalid': 'packets conntrack found invalid (a ct state invalid rule drops those)',
  'conntrack drop': 'packets conntrack dropped (its table was full)',
  'conntrack insert_failed': 'connections conntrack failed to insert',
};

/** Header and value lines in pairs ("TcpExt: A B" / "TcpExt: 1 2"), as /proc/net/netstat and snmp write them. */
export function parseNetstat(text: string): KernelCounters {
  const counters: KernelCounters = new Map();
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]!.trim().split(/\s+/);
    const values = lines[i + 1]!.trim().split(/\s+/);
    if (names[0] !== values[0]) continue;
    names.slice(1).forEach((name, index) => counters.set(name, Number(values[index + 1])));
  }
  return counters;
}

/** /proc/net/stat/nf_conntrack: a header, then one line of hex columns per CPU. */
export function parseConntrackStat(text: string): KernelCounters {
  const [header, ...rows] = text.trim().split('\n');
  const names = header?.trim().split(/\s+/) ?? [];
  const counters: KernelCounters = new Map();
  for (const row of rows) {
    row
      .trim()
      .split(/\s+/)
      .forEach((value, index) => {
        const name = `conntrack ${names[index]}`;
        counters.set(name, (counters.get(name) ?? 0) + parseInt(value, 16));
      });
  }
  return counters;
}

export async function readKernelCounters(system: SystemAccess): Promise<KernelCounters> {
  const [netstat, conntrack] = await Promise.all([
    system.readFile('/proc/net/netstat'),
    system.readFile('/proc/net/stat/nf_conntrack'),
  ]);
  return new Map([...parseNetstat(netstat ?? ''), ...parseConntrackStat(conntrack ?? '')]);
}

/** The meaningful counters that rose between two readings, with how much. */
export function kernelDrops(before: KernelCounters, after: KernelCounters): { name: string; delta: number }[] {
  return Object.keys(KERNEL_COUNTER_MEANING).flatMap((name) => {
    const delta = (after.get(name) ?? 0) - (before.get(name) ?? 0);
    return delta > 0 ? [{ name, delta }] : [];
  });
}
