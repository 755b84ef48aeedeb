/**
 * Finds CONNMARK save/restore rules for a mark, in iptables (`iptables-save`
 * rule specs, tokenised) and in native nftables (`nft -j list ruleset`
 * statements). iptables-nft rules show up in nft's JSON only as opaque `xt`
 * expressions, which is why both sources are read.
 */
export interface ConnmarkRule {
  kind: 'save' | 'restore';
  /** Netfilter hook/chain: OUTPUT, PREROUTING, ... (upper-case). */
  chain: string;
  source: 'iptables' | 'nftables';
  text: string;
}

function markMatches(tokens: string[], option: string, mark: number): boolean {
  const index = tokens.indexOf(option);
  if (index < 0) return true;
  const value = tokens[index + 1]?.split('/')[0];
  return value !== undefined && Number(value) === mark;
}

/** Reads `iptables-save -t mangle` output. */
export function connmarkFromIptables(save: string, mark: number): ConnmarkRule[] {
  const found: ConnmarkRule[] = [];
  for (const line of save.split('\n')) {
    const tokens = line.trim().split(/\s+/);
    if (tokens[0] !== '-A' || !tokens.includes('CONNMARK')) continue;
    const chain = tokens[1] ?? '';
    const kind = tokens.includes('--save-mark') ? 'save' : tokens.includes('--restore-mark') ? 'restore' : null;
    if (!kind) continue;
    // `-m mark --mark M` (save) and `-m connmark --mark M` (restore) alike.
    if (!markMatches(tokens, '--mark', mark)) continue;
    found.push({ kind, chain, source: 'iptables', text: line.trim() });
  }
  return found;
}

interface NftChain {
  family: string;
  table: string;
  name: string;
  hook?: string;
}
interface NftRule {
  family: string;
  table: string;
  chain: string;
  expr: Record<string, unknown>[];
}

function keyOf(side: unknown): string | null {
  if (typeof side !== 'object' || side === null) return null;
  const record = side as Record<string, { key?: string } | undefined>;
  if (record['ct']?.key === 'mark') return 'ct';
  if (record['meta']?.key === 'mark') return 'meta';
  return null;
}

/** Reads `nft -j list ruleset` JSON. */
export function connmarkFromNftables(json: string, mark: number): ConnmarkRule[] {
  const items = (JSON.parse(json) as { nftables?: Record<string, unknown>[] }).nftables ?? [];
  const chains = new Map<string, NftChain>();
  for (const item of items) {
    const chain = item['chain'] as NftChain | undefined;
    if (chain) chains.set(`${chain.family}/${chain.table}/${chain.name}`, chain);
  }
  const found: ConnmarkRule[] = [];
  for (const item of items) {
    const rule = item['rule'] as NftRule | undefined;
    if (!rule) continue;
    const hook = chains.get(`${rule.family}/${rule.table}/${rule.chain}`)?.hook ?? rule.chain;
    const matchesMark = rule.expr.every((expr) => {
      const match = expr['match'] as { left?: unknown; right?: unknown } | undefined;
      return !match || keyOf(match.left) === null || Number(match.right) === mark;
    });
    for (const expr of rule.expr) {
      const mangle = expr['mangle'] as { key?: unknown; value?: unknown } | undefined;
      if (!mangle || !matchesMark) continue;
      const [to, from] = [keyOf(mangle.key), keyOf(mangle.value)];
      const kind = to === 'ct' && from === 'meta' ? 'save' : to === 'meta' && from === 'ct' ? 'restore' : null;
      if (kind) {
        found.push({ kind, chain: hook.toUpperCase(), source: 'nftables', text: `${rule.family} ${rule.table} ${rule.chain}: ${kind === 'save' ? 'ct mark set meta mark' : 'meta mark set ct mark'}` });
      }
    }
  }
  return found;
}
