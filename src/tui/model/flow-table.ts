/**
 * The flow table's content: the flows that match, sorted, one page of them
 * from the scroll position, in the columns that fit, each cell cut to its
 * column; and where that page sits among the matching flows.
 */
import type { FlowState } from '../../base/flows.js';
import type { StatsSnapshot } from '../../stats/schema.js';
import { chooseColumns, COLUMN_GAP, type FlowColumn } from './flow-columns.js';
import { sortFlows, sortMark } from './flow-view.js';
import { fit, fitMiddle } from './format.js';
import type { TopState } from './top-state.js';
import type { Viewport } from './viewport.js';

export const COLUMN_SEPARATOR = ' '.repeat(COLUMN_GAP);

export interface FlowRow {
  readonly id: number;
  readonly state: FlowState;
  /** One text per column, each exactly its column's width. */
  readonly cells: readonly { readonly column: string; readonly text: string }[];
}

export interface TableModel {
  /** The column titles, fitted and joined. */
  readonly header: string;
  readonly rows: readonly FlowRow[];
  /** Shown instead of rows when there are none. */
  readonly emptyText: string;
}

function cellText(column: FlowColumn, text: string): string {
  return column.maxWidth ? fitMiddle(text, column.width) : fit(text, column.width, column.align);
}

export function tableModel(
  state: TopState,
  snapshot: StatsSnapshot,
  view: Viewport,
): { table: TableModel; position: string } {
  const offset = state.scroll;
  const flows = sortFlows(view.matching, state.order).slice(offset, offset + view.tableRows);
  const columns = chooseColumns(state.size.columns, flows, { key: state.order.key, mark: sortMark(state.order) });
  const total = view.matching.length;
  const omitted = snapshot.flowsOmitted > 0 ? ` (+${snapshot.flowsOmitted} not sent)` : '';
  return {
    table: {
      header: columns.map((column) => fit(column.title, column.width, column.align)).join(COLUMN_SEPARATOR),
      rows: flows.map((flow) => ({
        id: flow.id,
        state: flow.state,
        cells: columns.map((column) => ({ column: column.id, text: cellText(column, column.cell(flow)) })),
      })),
      emptyText:
        snapshot.flows.length === 0
          ? 'No live flows right now.'
          : `No flow matches "${state.filter}" (Esc clears the filter).`,
    },
    position: flows.length === 0 ? `0/${total}` : `${offset + 1}-${offset + flows.length}/${total}${omitted}`,
  };
}
