/**
 * Counts, with nftables inside a namespace, the packets sent to a TCP port
 * with and without a given mark: the evidence that -mark reaches the wire.
 */
import type { Host } from '../../../../lab/index.js';

const TABLE = 'mmptest';

export interface MarkCounts {
  marked: number;
  unmarked: number;
}

interface NftCounterExpr {
  counter?: { packets: number };
}
interface NftRuleItem {
  rule?: { comment?: string; expr: NftCounterExpr[] };
}

/** Adds an output-hook chain with two counting rules for packets to `port`. */
export async function countMarks(host: Host, port: number, mark: number): Promise<() => Promise<MarkCounts>> {
  await host.run(['nft', 'add', 'table', 'inet', TABLE]);
  await host.run(['nft', 'add', 'chain', 'inet', TABLE, 'out', '{ type filter hook output priority 0; }']);
  for (const [test, comment] of [
    ['==', 'marked'],
    ['!=', 'unmarked'],
  ] as const) {
    await host.run([
      'nft',
      'add',
      'rule',
      'inet',
      TABLE,
      'out',
      'tcp',
      'dport',
      String(port),
      'meta',
      'mark',
      test,
      String(mark),
      'counter',
      'comment',
      comment,
    ]);
  }
  return async () => {
    const { stdout } = await host.run(['nft', '-j', 'list', 'chain', 'inet', TABLE, 'out']);
    const items = (JSON.parse(stdout) as { nftables: NftRuleItem[] }).nftables;
    const packets = (comment: string): number => {
      const rule = items.find((item) => item.rule?.comment === comment)?.rule;
      const counter = rule?.expr.find((expr) => expr.counter)?.counter;
      if (!counter) throw new Error(`no "${comment}" counter in: ${stdout}`);
      return counter.packets;
    };
    return { marked: packets('marked'), unmarked: packets('unmarked') };
  };
}

export async function removeMarkCounters(host: Host): Promise<void> {
  await host.run(['nft', 'delete', 'table', 'inet', TABLE]);
}
