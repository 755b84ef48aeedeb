/** The `?` screen: every key and what it does. */
import { Box, Text } from 'ink';

import type { KeyHelp } from '../model/key-map.js';

export interface HelpScreenProps {
  /** Key names already padded to one width. */
  rows: readonly KeyHelp[];
  hidden: number;
  width: number;
}

export function HelpScreen({ rows, hidden, width }: HelpScreenProps) {
  return (
    <Box flexDirection="column" width={width}>
      <Text bold color="cyan" wrap="truncate">
        mmproxy top keys
      </Text>
      {rows.map((row) => (
        <Text key={row.keys} wrap="truncate">
          <Text bold>{row.keys}</Text> {row.does}
        </Text>
      ))}
      <Text dimColor wrap="truncate">
        {hidden > 0 ? `+${hidden} more in a taller terminal · ` : ''}? Esc Enter close · q quit
      </Text>
    </Box>
  );
}
