/** One whole frame of `mmproxy top`, from plain props. */
import { Box } from 'ink';

import type { FeedState } from '../stats-feed.js';
import type { TopLayout } from '../model/top-layout.js';
import type { TopKeysState } from '../use-top-keys.js';
import { FailuresPanel } from './FailuresPanel.js';
import { FlowTable } from './FlowTable.js';
import { Footer } from './Footer.js';
import { Header } from './Header.js';
import { StaleBanner, StatusScreen } from './StatusScreen.js';

export interface TopViewProps {
  feed: FeedState;
  keys: TopKeysState;
  /** Null until there is a snapshot to lay out. */
  layout: TopLayout | null;
  width: number;
  /** False for `--once`: no key help, nobody is there to press them. */
  interactive: boolean;
}

export function TopView({ feed, keys, layout, width, interactive }: TopViewProps) {
  const { snapshot, problem } = feed;
  if (!snapshot || !layout) return <StatusScreen problem={problem} width={width} />;
  return (
    <Box flexDirection="column" width={width}>
      {feed.connection !== 'live' && problem ? <StaleBanner problem={problem} sampledAt={snapshot.sampledAt} /> : null}
      <Header
        proxy={snapshot.proxy}
        counters={snapshot.counters}
        recent={snapshot.recent}
        width={width}
        paused={keys.paused}
      />
      <FlowTable flows={layout.flows} columns={layout.columns} emptyText={layout.emptyText} />
      <FailuresPanel
        rows={layout.failures}
        recent={snapshot.recent}
        badHeaders={snapshot.counters.badHeaders}
        maxRows={layout.maxFailureRows}
      />
      {interactive ? (
        <Footer
          sort={keys.sort}
          paused={keys.paused}
          filter={keys.filter}
          editingFilter={keys.editingFilter}
          position={layout.position}
        />
      ) : null}
    </Box>
  );
}

export function bannerLines(feed: FeedState): number {
  return feed.snapshot && feed.connection !== 'live' && feed.problem ? 1 : 0;
}
