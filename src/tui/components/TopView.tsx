/** One whole frame of `mmproxy top`, drawn from the view model's TopFrame. */
import { Box, Text } from 'ink';

import type { TopFrame } from '../model/top-frame.js';
import { FailuresPanel } from './FailuresPanel.js';
import { FlowTable } from './FlowTable.js';
import { Footer } from './Footer.js';
import { Header } from './Header.js';
import { HelpScreen } from './HelpScreen.js';
import { StatusScreen } from './StatusScreen.js';

export interface TopViewProps {
  frame: TopFrame;
  /** False for `--once`: no key help, nobody is there to press them. */
  interactive: boolean;
}

export function TopView({ frame, interactive }: TopViewProps) {
  switch (frame.kind) {
    case 'status':
      return <StatusScreen problem={frame.problem} width={frame.width} />;
    case 'help':
      return <HelpScreen rows={frame.rows} hidden={frame.hidden} width={frame.width} />;
    case 'live':
      return (
        <Box flexDirection="column" width={frame.width}>
          {frame.staleBanner ? (
            <Text color="yellow" bold wrap="truncate">
              ⚠ {frame.staleBanner}
            </Text>
          ) : null}
          <Header {...frame.header} />
          <FlowTable {...frame.table} />
          <FailuresPanel {...frame.failures} />
          {interactive ? <Footer footer={frame.footer} /> : null}
        </Box>
      );
  }
}
