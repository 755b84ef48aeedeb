/**
 * The flow table's content: the flows that match, sorted, one page of them
 * from the scroll position, in the columns that fit, each cell cut to its
 * column; and where that page sits among the matching flows. With several
 * listeners, each listener's flows follow a line about the listener.
 */
import type { FlowState } from '../../base/flows.js';
import type { FlowSnapshot, ListenerSnapshot, StatsSnapshot } from '../../stats/schema.js';
import { chooseColumns, COLUMN_GAP, type FlowColumn } from './flow-columns.js';
import { sortFlows, sortMark } from './flow-view.js';
import { fit, fitMiddle } from './format.js';
import { groupLine } from './listeners.js';
import type { TopState } from './top-state.js';
import type { Viewport } from './viewport.js';

export const COLUMN_SEPARATOR = ' '.repeat(COLUMN_GAP);

export interface FlowRow {
  readonly kind: 'flow';
  readonly id: number;
  readonly state: FlowState;
  /** One text per column, each exactly its column's width. */
  readonly cells: readonly { readonly column: string; readonly text: string }[];
}

/** The line above a listener's flows: its name, where it listens and its counters. */
export interface GroupRow {
  readonly kind: 'group';
  readonly listener: string;
  readonly text: string;
}

export type TableRow = FlowRow | GroupRow;

export interface TableModel {
  /** The column titles, fitted and joined. */
  readonly header: string;
  readonly rows: readonly TableRow[];
  /** Shown instead of rows when there are none. */
  readonly emptyText: string;
}

function cellText(column: FlowColumn, text: string): string {
  return column.maxWidth ? fitMiddle(text, column.width) : fit(text, column.width, column.align);
}

type TableLine = { kind: 'flow'; flow: FlowSnapshot } | { kind: 'group'; listener: ListenerSnapshot };

/** The sorted flows, each listener's after its line when there are groups. */
function tableLines(sorted: readonly FlowSnapshot[], groups: readonly ListenerSnapshot[]): TableLine[] {
  const flowLine = (flow: FlowSnapshot): TableLine => ({ kind: 'flow', flow });
  if (groups.length === 0) return sorted.map(flowLine);
  return groups.flatMap((listener) => [
    { kind: 'group', listener } as const,
    ...sorted.filter((flow) => flow.listener === listener.name).map(flowLine),
  ]);
}

function emptyText(state: TopState, snapshot: StatsSnapshot): string {
  if (state.filter.trim() !== '') return `No flow matches "${state.filter}" (Esc clears the filter).`;
  if (state.listener !== null && snapshot.flows.length > 0) return `No live flows of ${state.listener} right now.`;
  return 'No live flows right now.';
}

export function tableModel(
  state: TopState,
  snapshot: StatsSnapshot,
  view: Viewport,
): { table: TableModel; position: string } {
  const offset = state.scroll;
  const lines = tableLines(sortFlows(view.matching, state.order), view.groups);
  const page = lines.slice(offset, offset + view.tableRows);
  const flows = page.flatMap((line) => (line.kind === 'flow' ? [line.flow] : []));
  const columns = chooseColumns(state.size.columns, flows, { key: state.order.key, mark: sortMark(state.order) });
  const total = lines.length;
  const omitted = snapshot.flowsOmitted > 0 ? ` (+${snapshot.flowsOmitted} not sent)` : '';
  const row = (line: TableLine): TableRow =>
    line.kind === 'group'
      ? {
          kind: 'group',
          listener: line.listener.name,
          text: fit(groupLine(line.listener, state.size.columns), state.size.columns),
        }
      : {
          kind: 'flow',
          id: line.flow.id,
          state: line.flow.state,
          cells: columns.map((column) => ({ column: column.id, text: cellText(column, column.cell(line.flow)) })),
        };
  return {
    table: {
      header: columns.map((column) => fit(column.title, column.width, column.align)).join(COLUMN_SEPARATOR),
      rows: flows.length === 0 && view.groups.length === 0 ? [] : page.map(row),
      emptyText: emptyText(state, snapshot),
    },
    position: page.length === 0 ? `0/${total}` : `${offset + 1}-${offset + page.length}/${total}${omitted}`,
  };
}
