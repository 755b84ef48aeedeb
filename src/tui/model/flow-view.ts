/**
 * Which flows the table shows and in what order: pure functions of a
 * snapshot and the user's choices, so the rules are tested without a terminal.
 * The table's rows come from one pipeline, filter then sort (top-frame.ts);
 * grouping by listener (issue #17) is a step that fits between the two.
 */
import type { FlowSnapshot } from '../../stats/schema.js';
import { endpointCell } from './format.js';

export const SORT_KEYS = ['rate', 'bytes', 'age', 'client'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export function nextSortKey(key: SortKey): SortKey {
  return SORT_KEYS[(SORT_KEYS.indexOf(key) + 1) % SORT_KEYS.length]!;
}

/** A sort key and whether the user turned it round. */
export interface FlowOrder {
  readonly key: SortKey;
  readonly reversed: boolean;
}

export type SortDirection = 'ascending' | 'descending';

/** Unreversed: the busiest, biggest and oldest flows first; clients in address order. */
const NATURAL_DIRECTION: Record<SortKey, SortDirection> = {
  rate: 'descending',
  bytes: 'descending',
  age: 'descending',
  client: 'ascending',
};

/** Which way the values run down the table. */
export function sortDirection(order: FlowOrder): SortDirection {
  const natural = NATURAL_DIRECTION[order.key];
  if (!order.reversed) return natural;
  return natural === 'ascending' ? 'descending' : 'ascending';
}

/** On the sorted column's title and in the footer. */
export const SORT_MARKS: Record<SortDirection, string> = { ascending: '▲', descending: '▼' };

export function sortMark(order: FlowOrder): string {
  return SORT_MARKS[sortDirection(order)];
}

const totalRate = (flow: FlowSnapshot): number => flow.rate.toTarget + flow.rate.toClient;
const totalBytes = (flow: FlowSnapshot): number => flow.bytesToTarget + flow.bytesToClient;

/** Numeric IPv4 compare ("9.x" before "10.x"), IPv4 before IPv6, then port. */
function compareClients(a: FlowSnapshot, b: FlowSnapshot): number {
  const left = a.client;
  const right = b.client;
  if (!left || !right) return (left ? 0 : 1) - (right ? 0 : 1);
  if (left.family !== right.family) return left.family - right.family;
  if (left.family === 4) {
    const octets = (address: string): number => address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
    const byAddress = octets(left.address) - octets(right.address);
    if (byAddress !== 0) return byAddress;
  } else if (left.address !== right.address) {
    return left.address < right.address ? -1 : 1;
  }
  return left.port - right.port;
}

const COMPARATORS: Record<SortKey, (a: FlowSnapshot, b: FlowSnapshot) => number> = {
  rate: (a, b) => totalRate(b) - totalRate(a),
  bytes: (a, b) => totalBytes(b) - totalBytes(a),
  age: (a, b) => b.ageSeconds - a.ageSeconds,
  client: compareClients,
};

/**
 * Sorted copy. Ties keep the older flow (lower id) first either way, so
 * rows do not jump around when the order is reversed.
 */
export function sortFlows(flows: readonly FlowSnapshot[], order: FlowOrder): FlowSnapshot[] {
  const compare = COMPARATORS[order.key];
  const sign = order.reversed ? -1 : 1;
  return [...flows].sort((a, b) => sign * compare(a, b) || a.id - b.id);
}

/** Case-insensitive substring of the client, load balancer or target address, or the state. */
export function filterFlows(flows: readonly FlowSnapshot[], filter: string): FlowSnapshot[] {
  const needle = filter.trim().toLowerCase();
  if (needle === '') return [...flows];
  return flows.filter((flow) =>
    [endpointCell(flow.client), endpointCell(flow.loadBalancer), endpointCell(flow.target), flow.state].some((text) =>
      text.toLowerCase().includes(needle),
    ),
  );
}
