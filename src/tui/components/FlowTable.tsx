/** The live flows, one per line, in the columns that fit. */
import { Box, Text } from 'ink';

import type { FlowState } from '../../base/flows.js';
import { COLUMN_SEPARATOR, type TableModel } from '../model/flow-table.js';

const STATE_COLORS: Record<FlowState, string> = {
  header: 'yellow',
  connecting: 'yellow',
  established: 'green',
  half_closed: 'blue',
  closing: 'gray',
};

export function FlowTable({ header, rows, emptyText }: TableModel) {
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {header}
      </Text>
      {rows.length === 0 ? (
        <Text dimColor wrap="truncate">
          {emptyText}
        </Text>
      ) : (
        rows.map((row) => (
          <Text key={row.id} wrap="truncate">
            {row.cells.map((cell, index) => (
              <Text key={cell.column} color={cell.column === 'state' ? STATE_COLORS[row.state] : undefined}>
                {index > 0 ? COLUMN_SEPARATOR : ''}
                {cell.text}
              </Text>
            ))}
          </Text>
        ))
      )}
    </Box>
  );
}
