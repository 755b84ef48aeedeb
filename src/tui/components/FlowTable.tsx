/** The live flows, one per line, in the columns that fit; with several listeners, a line above each one's. */
import { Box, Text } from 'ink';

import type { FlowState } from '../../base/flows.js';
import { COLUMN_SEPARATOR, type FlowRow, type TableModel } from '../model/flow-table.js';

const STATE_COLORS: Record<FlowState, string> = {
  header: 'yellow',
  connecting: 'yellow',
  established: 'green',
  half_closed: 'blue',
  closing: 'gray',
};

function Flow({ row }: { row: FlowRow }) {
  return (
    <Text wrap="truncate">
      {row.cells.map((cell, index) => (
        <Text key={cell.column} color={cell.column === 'state' ? STATE_COLORS[row.state] : undefined}>
          {index > 0 ? COLUMN_SEPARATOR : ''}
          {cell.text}
        </Text>
      ))}
    </Text>
  );
}

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
        rows.map((row) =>
          row.kind === 'group' ? (
            <Text key={`listener ${row.listener}`} bold color="cyan" wrap="truncate">
              {row.text}
            </Text>
          ) : (
            <Flow key={row.id} row={row} />
          ),
        )
      )}
    </Box>
  );
}
