/** The live flows, one per line, in the columns that fit. */
import { Box, Text } from 'ink';

import type { FlowState } from '../../base/flows.js';
import type { FlowSnapshot } from '../../stats/schema.js';
import { COLUMN_GAP, type FlowColumn } from '../model/flow-columns.js';
import { fit, fitMiddle } from '../model/format.js';

const STATE_COLORS: Record<FlowState, string> = {
  header: 'yellow',
  connecting: 'yellow',
  established: 'green',
  half_closed: 'blue',
  closing: 'gray',
};

export interface FlowTableProps {
  /** Only the rows to draw, already filtered, sorted and scrolled. */
  flows: readonly FlowSnapshot[];
  columns: readonly FlowColumn[];
  /** Shown instead of rows when there are none. */
  emptyText: string;
}

const gap = ' '.repeat(COLUMN_GAP);

function cellText(column: FlowColumn, flow: FlowSnapshot): string {
  const text = column.cell(flow);
  return column.maxWidth ? fitMiddle(text, column.width) : fit(text, column.width, column.align);
}

export function FlowTable({ flows, columns, emptyText }: FlowTableProps) {
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {columns.map((column) => fit(column.title, column.width, column.align)).join(gap)}
      </Text>
      {flows.length === 0 ? (
        <Text dimColor wrap="truncate">
          {emptyText}
        </Text>
      ) : (
        flows.map((flow) => (
          <Text key={flow.id} wrap="truncate">
            {columns.map((column, index) => (
              <Text key={column.id} color={column.id === 'state' ? STATE_COLORS[flow.state] : undefined}>
                {index > 0 ? gap : ''}
                {cellText(column, flow)}
              </Text>
            ))}
          </Text>
        ))
      )}
    </Box>
  );
}
