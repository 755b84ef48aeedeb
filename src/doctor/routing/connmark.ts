/**
 * Finds the netfilter rules mark-based routing needs, for one mark, in
 * iptables (`iptables-save` rule specs, tokenised) and in native nftables
 * (`nft -j list ruleset` statements): CONNMARK save and restore, and the
 * clearing of the mark after the save. iptables-nft rules show up in nft's
 * JSON only as opaque `xt` expressions, which is why both sources are read.
 */
export interface ConnmarkRule {
  /** save: packet mark → connection; restore: connection → packet; clear: packet mark set to 0. */
  kind: 'save' | 'restore' | 'clear';
  /** Order within its source's listing: a clear only helps after the save. */
  position: number;
  /** Netfilter hook/chain: OUTPUT, PREROUTING, ... (upper-case). */
  chain: string;
  source: 'iptables' | 'nftables';
  text: string;
}

/** A rule without a `--mark` match applies to every mark. */
function markMatches(tokens: string[], option: string, mark: number): boolean {
  if (!tokens.includes(option)) return true;
  const value = valueAfter(tokens, option)?.split('/')[0];
  return value !== undefined && Number(value) === mark;
}

function valueAfter(tokens: string[], option: string): string | undefined {
  const index = tokens.indexOf(option);
  return index < 0 ? undefined : tokens[index + 1];
}

function iptablesKind(tokens: string[]): ConnmarkRule['kind'] | null {
  const target = valueAfter(tokens, '-j');
  if (target === 'CONNMARK')
    return tokens.includes('--save-mark') ? 'save' : tokens.includes('--restore-mark') ? 'restore' : null;
  // iptables-save prints `--set-mark 0` as `--set-xmark 0x0/0xffffffff`.
  const value = valueAfter(tokens, '--set-xmark') ?? valueAfter(tokens, '--set-mark');
  if (target === 'MARK' && value !== undefined && Number(value.split('/')[0]) === 0) return 'clear';
  return null;
}

/** Reads `iptables-save -t mangle` output. */
export function connmarkFromIptables(save: string, mark: number): ConnmarkRule[] {
  const found: ConnmarkRule[] = [];
  save.split('\n').forEach((line, position) => {
    const tokens = line.trim().split(/\s+/);
    if (tokens[0] !== '-A') return;
    const chain = tokens[1] ?? '';
    const kind = iptablesKind(tokens);
    // `-m mark --mark M` (save, clear) and `-m connmark --mark M` (restore) alike.
    if (!kind || !markMatches(tokens, '--mark', mark)) return;
    found.push({ kind, position, chain, source: 'iptables', text: line.trim() });
  });
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

const NFT_TEXT: Record<ConnmarkRule['kind'], string> = {
  save: 'ct mark set meta mark',
  restore: 'meta mark set ct mark',
  clear: 'meta mark set 0',
};

/** Reads `nft -j list ruleset` JSON. */
export function connmarkFromNftables(json: string, mark: number): ConnmarkRule[] {
  const items = (JSON.parse(json) as { nftables?: Record<string, unknown>[] }).nftables ?? [];
  const chains = new Map<string, NftChain>();
  for (const item of items) {
    const chain = item['chain'] as NftChain | undefined;
    if (chain) chains.set(`${chain.family}/${chain.table}/${chain.name}`, chain);
  }
  const found: ConnmarkRule[] = [];
  items.forEach((item, position) => {
    const rule = item['rule'] as NftRule | undefined;
    if (!rule) return;
    const hook = chains.get(`${rule.family}/${rule.table}/${rule.chain}`)?.hook ?? rule.chain;
    const matchesMark = rule.expr.every((expr) => {
      const match = expr['match'] as { left?: unknown; right?: unknown } | undefined;
      return !match || keyOf(match.left) === null || Number(match.right) === mark;
    });
    for (const expr of rule.expr) {
      const mangle = expr['mangle'] as { key?: unknown; value?: unknown } | undefined;
      if (!mangle || !matchesMark) continue;
      const [to, from] = [keyOf(mangle.key), keyOf(mangle.value)];
      const clear = to === 'meta' && Number(mangle.value) === 0;
      const kind =
        to === 'ct' && from === 'meta' ? 'save' : to === 'meta' && from === 'ct' ? 'restore' : clear ? 'clear' : null;
      if (kind)
        found.push({
          kind,
          position,
          chain: hook.toUpperCase(),
          source: 'nftables',
          text: `${rule.family} ${rule.table} ${rule.chain}: ${NFT_TEXT[kind]}`,
        });
    }
  });
  return found;
}
