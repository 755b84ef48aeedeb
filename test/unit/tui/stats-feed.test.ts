import assert from 'node:assert/strict';

import type { SubscribeOptions } from '../../../src/stats/client.js';
import { StatsClientError } from '../../../src/stats/client-errors.js';
import { createStatsFeed } from '../../../src/tui/stats-feed.js';
import { emptySnapshot } from '../../support/recorded-snapshots.js';

describe('top stats feed', () => {
  it('turns subscription events into immutable states, keeping the last snapshot while retrying', () => {
    // Given a feed over a subscription the test drives
    let driven: SubscribeOptions | undefined;
    let closed = false;
    const feed = createStatsFeed({
      socketPath: async () => '/nowhere',
      intervalMs: 1000,
      subscribe: (options) => {
        driven = options;
        return { close: () => (closed = true) };
      },
    });
    let changes = 0;
    feed.subscribe(() => changes++);
    assert.equal(feed.getState().connection, 'connecting');
    // When a snapshot arrives, then the proxy goes away
    const snapshot = emptySnapshot();
    driven!.onSnapshot(snapshot);
    const live = feed.getState();
    driven!.onStatus({ state: 'retrying', error: new StatsClientError('closed', 'gone'), attempt: 1, retryInMs: 250 });
    const retrying = feed.getState();
    // Then each state is a new frozen object and the snapshot survives the outage
    assert.equal(live.connection, 'live');
    assert.equal(retrying.connection, 'retrying');
    assert.deepEqual(retrying.problem, { code: 'closed', message: 'gone', attempt: 1, retryInMs: 250 });
    assert.equal(retrying.snapshot, live.snapshot);
    assert.ok(Object.isFrozen(retrying) && Object.isFrozen(retrying.snapshot!.flows));
    assert.throws(() => {
      (retrying.snapshot!.proxy as { pid: number }).pid = 1;
    }, TypeError);
    assert.equal(changes, 2);
    feed.close();
    assert.ok(closed);
  });
});
