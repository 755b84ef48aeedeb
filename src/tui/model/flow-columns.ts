/**
 * The flow table's columns and which of them fit: the most useful first
 * (client, rate, bytes), the rest as width allows. Addresses grow into
 * spare width up to what the rows need. The column the table is sorted by
 * carries the sort's mark in its title.
 */
import type { FlowSnapshot } from '../../stats/schema.js';
import type { FlowState } from '../../base/flows.js';
import type { SortKey } from './flow-view.js';
import { formatAge, formatBytes, endpointCell, formatRate } from './format.js';

export interface FlowColumn {
  id: string;
  title: string;
  width: number;
  align: 'left' | 'right';
  /** Addresses: grow up to this many characters when there is room (and the text needs it). */
  maxWidth?: number;
  cell(flow: FlowSnapshot): string;
}

const STATE_LABELS: Record<FlowState, string> = {
  header: 'header',
  connecting: 'connect',
  established: 'estab',
  half_closed: 'half',
  closing: 'closing',
};

/** "[ffff:…]:65535" is 47 characters: the longest printed endpoint. */
const ADDRESS_MAX = 47;

/** In the order they are dropped last to first: client is always shown. */
const COLUMNS_BY_PRIORITY: FlowColumn[] = [
  {
    id: 'client',
    title: 'CLIENT',
    width: 21,
    maxWidth: ADDRESS_MAX,
    align: 'left',
    cell: (f) => endpointCell(f.client),
  },
  { id: 'rate', title: 'RATE', width: 6, align: 'right', cell: (f) => formatRate(f.rate.toTarget + f.rate.toClient) },
  { id: 'toTarget', title: '→TARGET', width: 7, align: 'right', cell: (f) => formatBytes(f.bytesToTarget) },
  { id: 'toClient', title: '←CLIENT', width: 7, align: 'right', cell: (f) => formatBytes(f.bytesToClient) },
  { id: 'age', title: 'AGE', width: 6, align: 'right', cell: (f) => formatAge(f.ageSeconds) },
  { id: 'state', title: 'STATE', width: 7, align: 'left', cell: (f) => STATE_LABELS[f.state] },
  {
    id: 'target',
    title: 'TARGET',
    width: 15,
    maxWidth: ADDRESS_MAX,
    align: 'left',
    cell: (f) => endpointCell(f.target),
  },
  {
    id: 'lb',
    title: 'LB',
    width: 15,
    maxWidth: ADDRESS_MAX,
    align: 'left',
    cell: (f) => endpointCell(f.loadBalancer),
  },
];

/** Left to right on screen. */
const DISPLAY_ORDER = ['client', 'lb', 'target', 'state', 'age', 'toTarget', 'toClient', 'rate'];

export const COLUMN_GAP = 1;

/** The bytes sort orders by both directions' sum, so both byte columns are marked. */
const SORTED_COLUMNS: Record<SortKey, readonly string[]> = {
  rate: ['rate'],
  bytes: ['toTarget', 'toClient'],
  age: ['age'],
  client: ['client'],
};

/** The sort key's columns get `mark` after their title. */
export interface SortMark {
  key: SortKey;
  mark: string;
}

function titled(column: FlowColumn, sort: SortMark | undefined): FlowColumn {
  if (!sort || !SORTED_COLUMNS[sort.key].includes(column.id)) return { ...column };
  const title = column.title + sort.mark;
  return { ...column, title, width: Math.max(column.width, title.length) };
}

export function chooseColumns(width: number, flows: readonly FlowSnapshot[], sort?: SortMark): FlowColumn[] {
  const chosen: FlowColumn[] = [];
  let used = 0;
  for (const candidate of COLUMNS_BY_PRIORITY) {
    const column = titled(candidate, sort);
    const needed = column.width + (chosen.length > 0 ? COLUMN_GAP : 0);
    if (chosen.length > 0 && used + needed > width) break;
    chosen.push(column);
    used += needed;
  }
  let spare = width - used;
  for (const column of chosen) {
    if (!column.maxWidth || spare <= 0) continue;
    const wanted = Math.min(column.maxWidth, Math.max(column.width, ...flows.map((flow) => column.cell(flow).length)));
    const grow = Math.min(spare, wanted - column.width);
    column.width += grow;
    spare -= grow;
  }
  return chosen.sort((a, b) => DISPLAY_ORDER.indexOf(a.id) - DISPLAY_ORDER.indexOf(b.id));
}
