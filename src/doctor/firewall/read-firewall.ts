/**
 * Reads every netfilter ruleset of this network namespace, once:
 *
 * - native nftables: `nft -j -a list ruleset` (handles and counters);
 * - iptables on nf_tables: its tables are in nft's listing too, but with the
 *   matches nft cannot translate as opaque `xt` expressions, so they are
 *   read with `iptables-nft-save -c` (full rule specs) and keep nft's
 *   handles, priorities and chain types;
 * - legacy iptables (x_tables), a separate set of tables the kernel runs
 *   beside nftables: `iptables-legacy-save -c`, only when
 *   /proc/net/ip{,6}_tables_names says such tables exist.
 *
 * Anything that cannot be read becomes a note, never an exception.
 */
import type { SystemAccess } from '../context/system-access.js';
import { formatRule } from './format.js';
import { isNftBackendDump, parseIptablesSave } from './iptables-save.js';
import { IPTABLES_PRIORITY, type Backend, type Chain, type Ruleset } from './model.js';
import { parseNftRuleset } from './nft-json.js';

export const NFT_LIST = ['-j', '-a', 'list', 'ruleset'];

const firstLine = (text: string) => text.trim().split('\n')[0] ?? '';

/** Tables iptables-nft creates: its own names, with its built-in chains hooked. */
function isIptablesNftTable(chains: Chain[], family: string, table: string): boolean {
  if ((family !== 'ip' && family !== 'ip6') || !(table in IPTABLES_PRIORITY)) return false;
  const own = chains.filter((chain) => chain.family === family && chain.table === table);
  return own.some((chain) => chain.base && chain.name === chain.name.toUpperCase());
}

/** Puts iptables-save's rules (full specs, counters) in place of nft's view of the same tables. */
function mergeIptablesNft(nftChains: Chain[], saved: Chain[]): Chain[] {
  const merged: Chain[] = [];
  for (const chain of saved) {
    const twin = nftChains.find(
      (nft) => nft.family === chain.family && nft.table === chain.table && nft.name === chain.name,
    );
    // iptables-save lists every built-in chain; only those nft holds are hooked.
    if (!twin) continue;
    const rules = chain.rules.map((rule, index) => {
      const handle = twin.rules.length === chain.rules.length ? twin.rules[index]?.ref.handle : undefined;
      return handle === undefined ? rule : { ...rule, ref: { ...rule.ref, handle } };
    });
    const base = twin.base && chain.base ? { ...twin.base, policyCounter: chain.base.policyCounter } : twin.base;
    merged.push({ ...chain, ...(base ? { base } : {}), rules });
  }
  return merged;
}

interface SaveResult {
  chains: Chain[];
  note?: string;
}

/** Runs the first save command that exists; `expect` says which backend must have written it. */
async function readSave(
  system: SystemAccess,
  family: 'ip' | 'ip6',
  commands: string[],
  expect: Backend,
): Promise<SaveResult> {
  const tool = family === 'ip6' ? 'ip6tables' : 'iptables';
  for (const command of commands) {
    const result = await system.exec(command, ['-c']);
    if (result.code === 127) continue;
    if (result.code !== 0)
      return { chains: [], note: `cannot read ${tool} rules (${command}): ${firstLine(result.stderr)}` };
    const backend: Backend = isNftBackendDump(result.stdout) ? 'iptables-nft' : 'iptables-legacy';
    // A plain `iptables-save` may be the other backend's: then it says nothing about this one.
    if (backend !== expect) return { chains: [] };
    return { chains: parseIptablesSave(result.stdout, family, backend) };
  }
  return { chains: [], note: `${tool}: no ${commands.join(' or ')} installed` };
}

function withText(chains: Chain[]): Chain[] {
  for (const chain of chains) for (const rule of chain.rules) if (!rule.text) rule.text = formatRule(rule);
  return chains;
}

export async function readFirewall(system: SystemAccess): Promise<Ruleset> {
  const notes: string[] = [];
  const [nft, legacy4, legacy6] = await Promise.all([
    system.exec('nft', NFT_LIST),
    system.readFile('/proc/net/ip_tables_names'),
    system.readFile('/proc/net/ip6_tables_names'),
  ]);
  const chains: Chain[] = [];
  const reads: Promise<SaveResult>[] = [];
  if (nft.code === 0) {
    let nftChains: Chain[] = [];
    try {
      nftChains = parseNftRuleset(nft.stdout);
    } catch (error) {
      notes.push(`cannot parse nft's JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    const iptablesTables = new Set(
      nftChains
        .filter((chain) => isIptablesNftTable(nftChains, chain.family, chain.table))
        .map((chain) => `${chain.family} ${chain.table}`),
    );
    chains.push(...nftChains.filter((chain) => !iptablesTables.has(`${chain.family} ${chain.table}`)));
    for (const family of ['ip', 'ip6'] as const) {
      if (![...iptablesTables].some((key) => key.startsWith(`${family} `))) continue;
      const tool = family === 'ip6' ? 'ip6tables' : 'iptables';
      const ownChains = nftChains.filter((chain) => iptablesTables.has(`${chain.family} ${chain.table}`));
      reads.push(
        readSave(system, family, [`${tool}-nft-save`, `${tool}-save`], 'iptables-nft').then((saved) => ({
          ...saved,
          chains: mergeIptablesNft(ownChains, saved.chains),
        })),
      );
    }
  } else if (nft.code === 127) {
    notes.push('nft is not installed: native nftables rules are not read');
    for (const family of ['ip', 'ip6'] as const) {
      const tool = family === 'ip6' ? 'ip6tables' : 'iptables';
      reads.push(readSave(system, family, [`${tool}-nft-save`, `${tool}-save`], 'iptables-nft'));
    }
  } else {
    notes.push(`cannot read nftables (nft ${NFT_LIST.join(' ')}): ${firstLine(nft.stderr)}`);
  }
  for (const [family, names] of [
    ['ip', legacy4],
    ['ip6', legacy6],
  ] as const) {
    if (!names?.trim()) continue;
    const tool = family === 'ip6' ? 'ip6tables' : 'iptables';
    reads.push(readSave(system, family, [`${tool}-legacy-save`, `${tool}-save`], 'iptables-legacy'));
  }
  for (const saved of await Promise.all(reads)) {
    chains.push(...saved.chains);
    if (saved.note) notes.push(saved.note);
  }
  return { chains: withText(chains), notes };
}
