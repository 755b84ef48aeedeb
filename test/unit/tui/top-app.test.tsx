/**
 * Every state of the `mmproxy top` screen, rendered with ink-testing-library
 * from recorded snapshots and a hand-driven feed. Tests wait on content.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { cleanup, render } from 'ink-testing-library';

import { parseSnapshotLine } from '../../../src/stats/parse-snapshot.js';

import { TopApp } from '../../../src/tui/App.js';
import type { FeedProblem } from '../../../src/tui/stats-feed.js';
import { fakeFeed, type FakeFeed } from '../../support/fake-feed.js';
import { fakeTerminal } from '../../support/fake-terminal.js';
import { busySnapshot, connectTimeoutSnapshot, emptySnapshot } from '../../support/recorded-snapshots.js';
import { waitFor } from '../../support/wait-for.js';
import { frameLines, waitForContent } from '../../support/wait-for-content.js';

/** Recorded from the real proxy in test/netns/top/top.test.ts: four busy flows through HAProxy. */
const LIVE_PROXY_SNAPSHOT = fileURLToPath(
  new URL('../../../../test/fixtures/top/live-proxy-snapshot.json', import.meta.url),
);

const DOWN = '\u001B[B';
const END = '\u001B[F';
const ENTER = '\r';
const ESCAPE = '\u001B';

function show(feed: FakeFeed, columns = 80, rows = 24) {
  return render(<TopApp feed={feed} terminal={fakeTerminal(columns, rows)} />);
}

function assertFits(frame: string, columns: number, rows: number): void {
  const lines = frameLines(stripVTControlCharacters(frame));
  assert.ok(lines.length < rows, `${lines.length} lines do not fit ${rows} rows:\n${frame}`);
  for (const line of lines) assert.ok(line.length <= columns, `line wider than ${columns}: ${JSON.stringify(line)}`);
}

/** The first flow row, under the table's title line. */
function firstRow(frame: string): string {
  const lines = frameLines(frame);
  return lines[lines.findIndex((line) => line.startsWith('CLIENT')) + 1]!;
}

const notRunning: FeedProblem = {
  code: 'not_running',
  message:
    'no mmproxy is running with a stats socket at /run/mmproxy/4242.sock (start the proxy, or pass --socket PATH)',
  attempt: 3,
  retryInMs: 2000,
};

describe('mmproxy top screen', () => {
  afterEach(() => cleanup());

  describe('before any data', () => {
    it('says it is connecting', async () => {
      const { lastFrame } = show(fakeFeed());
      await waitForContent(lastFrame, "Connecting to the proxy's stats socket");
    });

    it('says the proxy is not running, why, and that it keeps trying', async () => {
      // Given no proxy, when top has tried three times
      const { lastFrame } = show(fakeFeed({ connection: 'retrying', problem: notRunning }));
      // Then it says so plainly, with the path and what to do
      const frame = await waitForContent(lastFrame, 'mmproxy is not running');
      assert.match(frame, /no mmproxy is running with a stats socket at \/run\/mmproxy\/4242\.sock/);
      assert.match(frame, /retrying in 2s \(attempt 3\) · q quit/);
      assertFits(frame, 80, 24);
    });

    it('says the socket is not readable and how to read it', async () => {
      const { lastFrame } = show(
        fakeFeed({
          connection: 'retrying',
          problem: {
            code: 'not_readable',
            message:
              "permission denied reading /run/mmproxy/4242.sock: run as the proxy's user or as root (sudo mmproxy top)",
            attempt: 1,
            retryInMs: 250,
          },
        }),
      );
      const frame = await waitForContent(lastFrame, 'The stats socket is not readable');
      assert.match(frame, /sudo mmproxy top/);
    });
  });

  describe('with data', () => {
    it('shows a snapshot recorded from a live proxy', async () => {
      // Given what a real proxy sent for four flows (three IPv4 clients, one IPv6)
      const snapshot = parseSnapshotLine(readFileSync(LIVE_PROXY_SNAPSHOT, 'utf8').replace(/\n/g, ''));
      const { lastFrame } = show(fakeFeed({ connection: 'live', snapshot }));
      // Then each flow is a row under its real client address and port
      const frame = await waitForContent(lastFrame, 'CLIENT');
      assertFits(frame, 80, 24);
      assert.match(frame, /mmproxy top tcp 192\.0\.2\.2:8401 → 127\.0\.0\.1:7000, \[::1\]:7000 · pid 20555 · up 4s/);
      assert.match(frame, /^203\.0\.113\.10:45501 +127\.0\.0\.1:7000 +estab +\d+s +976K +/m);
      assert.match(frame, /^203\.0\.113\.11:33605 /m);
      assert.match(frame, /^203\.0\.113\.12:33503 /m);
      assert.match(frame, /^\[2001:db8:1::10\]:39657 +\[::1\]:7000 /m);
      assert.match(frame, /flows 4 active · 4 accepted · 4 established · 0 failed/);
    });

    it('shows an idle proxy as such', async () => {
      const { lastFrame } = show(fakeFeed({ connection: 'live', snapshot: emptySnapshot() }));
      const frame = await waitForContent(lastFrame, 'No live flows right now.');
      assert.match(frame, /mmproxy top tcp 0\.0\.0\.0:8443 → 127\.0\.0\.1:8080 · pid 4242 · up 3h02m/);
      assert.match(frame, /No failures since the proxy started\./);
      assert.match(frame, /0\/0/);
    });

    it('fits many flows into 80×24: client, target, bytes, rate; busiest first', async () => {
      // Given 200 live flows, when shown in an 80×24 terminal
      const { lastFrame } = show(fakeFeed({ connection: 'live', snapshot: busySnapshot(200) }));
      const frame = await waitForContent(lastFrame, 'CLIENT');
      // Then the frame fits, with the busiest flow (id 200, from 203.0.113.200) first
      assertFits(frame, 80, 24);
      const lines = frameLines(frame);
      const header = lines.find((line) => line.startsWith('CLIENT'))!;
      assert.match(header, /CLIENT +TARGET +STATE +AGE +→TARGET +←CLIENT +RATE/);
      assert.ok(!header.includes(' LB '), 'no room for the load balancer at 80 columns');
      assert.match(
        lines[lines.indexOf(header) + 1]!,
        /^203\.0\.113\.200:40199 +127\.0\.0\.1:8080 +connect +37m29s +5\.7M +114M +4\.0M\/s$/,
      );
      assert.match(frame, /1-\d+\/201/);
      assert.match(frame, /flows 201 active · 1030 accepted · 1020 established · 3 failed/);
      assert.match(frame, /→ target +\S+\/s total \S+ +[▁▂▃▄▅▆▇█]{30}/);
    });

    it('drops the least useful columns at 60 columns and still fits', async () => {
      const { lastFrame } = show(fakeFeed({ connection: 'live', snapshot: busySnapshot(50) }), 60, 24);
      const frame = await waitForContent(lastFrame, 'CLIENT');
      assertFits(frame, 60, 24);
      assert.match(frame, /CLIENT +STATE +AGE +→TARGET +←CLIENT +RATE/);
      assert.ok(!/TARGET +STATE/.test(frame));
    });

    it('uses a larger terminal: more rows, the load balancer, full IPv6 addresses', async () => {
      const { lastFrame } = show(fakeFeed({ connection: 'live', snapshot: busySnapshot(30) }), 140, 50);
      const frame = await waitForContent(lastFrame, 'CLIENT');
      assertFits(frame, 140, 50);
      assert.match(frame, /CLIENT +LB +TARGET +STATE/);
      assert.match(frame, /\[2001:db8:85a3::8a2e:370:7334\]:51234 \[2001:db8::10\]:33333 +\[::1\]:8080/);
      assert.match(frame, /1-31\/31/);
    });

    it('explains failures, with the meaning of each reason and the bad header codes', async () => {
      const { lastFrame } = show(fakeFeed({ connection: 'live', snapshot: busySnapshot(5) }));
      const frame = await waitForContent(lastFrame, 'Failures');
      assert.match(frame, /bad_header +0 \/ +2 bad PROXY\/SPP header \(ERR_V1_TOO_LONG 2\)/);
      assert.match(frame, /connect_refused +0 \/ +1 target refused: is the app listening\?/);
      assert.ok(!frame.includes('mmproxy doctor'));
    });

    it('points at loopback routing when connects keep timing out', async () => {
      // Given connect timeouts and nothing established for 20 s
      const { lastFrame } = show(fakeFeed({ connection: 'live', snapshot: connectTimeoutSnapshot() }));
      // Then the panel says what that usually means and what to run
      const frame = await waitForContent(lastFrame, 'mmproxy doctor');
      assert.match(frame, /connect_timeout +10 \/ +10 upstream connect timed out; replies lost\?/);
      assert.match(frame, /⚠ loopback routing missing\? run `mmproxy doctor` \(10 connect timeouts in a row\)/);
      assertFits(frame, 80, 24);
    });
  });

  describe('in a small terminal', () => {
    it('Given a narrow, short terminal (40×12), Then the client, rate and bytes fit, and so does the help', async () => {
      const { lastFrame, stdin } = show(fakeFeed({ connection: 'live', snapshot: busySnapshot(30) }), 40, 12);
      const frame = await waitForContent(lastFrame, 'CLIENT');
      assertFits(frame, 40, 12);
      assert.match(frame, /^CLIENT +→TARGET +RATE▼$/m);
      assert.match(firstRow(frame), /^203\.0\.113\.30:40029 +\S+ +\S+\/s$/);
      stdin.write('?');
      const help = await waitForContent(lastFrame, 'mmproxy top keys');
      assertFits(help, 40, 12);
      assert.match(help, /\+\d+ more in a taller terminal/);
    });

    it('Given the last page, When the terminal is resized, Then the frame fits and never scrolls past the last flow', async () => {
      const terminal = fakeTerminal(80, 24);
      const { lastFrame, stdin } = render(
        <TopApp feed={fakeFeed({ connection: 'live', snapshot: busySnapshot(20) })} terminal={terminal} />,
      );
      await waitForContent(lastFrame, /1-14\/21/);
      stdin.write(END);
      await waitForContent(lastFrame, /8-21\/21/);
      // Shorter: 7 rows from the same first row
      terminal.resize(60, 16);
      const smaller = await waitForContent(lastFrame, /8-14\/21/);
      assertFits(smaller, 60, 16);
      // Taller than every flow: the table starts at the first
      terminal.resize(100, 40);
      const larger = await waitForContent(lastFrame, /1-21\/21/);
      assertFits(larger, 100, 40);
    });
  });

  describe('when the proxy goes away and comes back', () => {
    it('keeps the last data under a warning, then goes live again', async () => {
      // Given a live view
      const feed = fakeFeed({ connection: 'live', snapshot: busySnapshot(5) });
      const { lastFrame } = show(feed);
      await waitForContent(lastFrame, '203.0.113.5:40004');
      // When the proxy goes away
      feed.push({
        connection: 'retrying',
        problem: { code: 'closed', message: 'the proxy closed its stats socket', attempt: 2, retryInMs: 500 },
      });
      // Then the last data stays, under a banner saying what happened and since when
      const stale = await waitForContent(lastFrame, 'The proxy went away');
      assert.match(
        frameLines(stale)[0]!,
        /^⚠ The proxy went away · retrying in 1s \(attempt 2\) · data from 20:15:00 UTC$/,
      );
      assert.match(stale, /203\.0\.113\.5:40004/);
      assertFits(stale, 80, 24);
      // And when it is back, the banner goes
      feed.push({ connection: 'live', problem: null, snapshot: emptySnapshot() });
      const back = await waitForContent(lastFrame, 'No live flows right now.');
      assert.ok(!back.includes('went away'));
    });
  });

  describe('keys', () => {
    it('Given the flows, When s is pressed four times, Then the sort goes rate, bytes, age, client and back', async () => {
      const { lastFrame, stdin } = show(fakeFeed({ connection: 'live', snapshot: busySnapshot(12) }), 100, 40);
      await waitForContent(lastFrame, 'sort:rate');
      stdin.write('s');
      await waitForContent(lastFrame, 'sort:bytes');
      stdin.write('s');
      const byAge = await waitForContent(lastFrame, 'sort:age');
      // The oldest flow (id 12 started 121 s before the others' youngest) comes first
      assert.match(firstRow(byAge), /^203\.0\.113\.12:40011/);
      stdin.write('s');
      const byClient = await waitForContent(lastFrame, 'sort:client');
      assert.match(firstRow(byClient), /^203\.0\.113\.1:40000/);
      stdin.write('s');
      await waitForContent(lastFrame, 'sort:rate');
    });

    it('Given live data, When p is pressed, Then the screen holds while the feed moves on, until p again', async () => {
      const feed = fakeFeed({ connection: 'live', snapshot: busySnapshot(3) });
      const { lastFrame, stdin } = show(feed);
      await waitForContent(lastFrame, '203.0.113.3:40002');
      stdin.write('p');
      await waitForContent(lastFrame, 'PAUSED');
      feed.push({ snapshot: emptySnapshot() });
      // Still the paused data after the feed moved on
      await waitForContent(lastFrame, 'p resume');
      assert.match(lastFrame()!, /203\.0\.113\.3:40002/);
      stdin.write('p');
      const resumed = await waitForContent(lastFrame, 'No live flows right now.');
      assert.ok(!resumed.includes('PAUSED'));
    });

    it('Given 31 flows, When a filter is typed and kept, Then only the matching show; Esc clears it', async () => {
      const { lastFrame, stdin } = show(fakeFeed({ connection: 'live', snapshot: busySnapshot(30) }), 100, 40);
      await waitForContent(lastFrame, 'CLIENT');
      stdin.write('/');
      await waitForContent(lastFrame, 'Enter keep');
      stdin.write('113.2');
      await waitForContent(lastFrame, 'filter: 113.2');
      stdin.write(ENTER);
      const filtered = await waitForContent(lastFrame, 'filter:113.2');
      const rows = frameLines(filtered).filter((line) => line.startsWith('203.0.113.'));
      // .2 and .20–.29
      assert.equal(rows.length, 11);
      assert.match(filtered, /1-11\/11/);
      stdin.write('/');
      await waitForContent(lastFrame, 'Enter keep');
      stdin.write('nothing-matches');
      stdin.write(ENTER);
      await waitForContent(lastFrame, 'No flow matches "113.2nothing-matches" (Esc clears the filter).');
      stdin.write(ESCAPE);
      await waitForContent(lastFrame, /\/ filter ↑↓ 1-\d+\/31/);
    });

    it('Given more flows than rows, When ↓ is pressed past the end, Then the table stops at its last row', async () => {
      const { lastFrame, stdin } = show(fakeFeed({ connection: 'live', snapshot: busySnapshot(20) }));
      const first = await waitForContent(lastFrame, /1-(\d+)\/21/);
      const pageRows = Number(/1-(\d+)\/21/.exec(first)![1]);
      stdin.write(DOWN);
      await waitForContent(lastFrame, `2-${pageRows + 1}/21`);
      for (let i = 0; i < 40; i++) stdin.write(DOWN);
      await waitForContent(lastFrame, `${21 - pageRows + 1}-21/21`);
    });

    it('Given the flows, When ? is pressed, Then the keys cover the screen until ? closes them', async () => {
      const { lastFrame, stdin } = show(fakeFeed({ connection: 'live', snapshot: busySnapshot(12) }));
      await waitForContent(lastFrame, '? help');
      stdin.write('?');
      const help = await waitForContent(lastFrame, 'mmproxy top keys');
      assert.match(help, /^r S +reverse the sort \(▲ ascending, ▼ descending\)$/m);
      assert.match(help, /^q +quit$/m);
      assert.ok(!help.includes('203.0.113.'), 'the flows are covered');
      assertFits(help, 80, 24);
      stdin.write('?');
      await waitForContent(lastFrame, '203.0.113.12:40011');
    });

    it('Given flows sorted busiest first, When r is pressed, Then the least busy come first and RATE says ▲', async () => {
      const { lastFrame, stdin } = show(fakeFeed({ connection: 'live', snapshot: busySnapshot(12) }), 100, 40);
      const before = await waitForContent(lastFrame, 'sort:rate▼');
      assert.match(firstRow(before), /^203\.0\.113\.12:40011/);
      assert.match(before, /←CLIENT +RATE▼$/m);
      stdin.write('r');
      const reversed = await waitForContent(lastFrame, 'sort:rate▲');
      assert.match(firstRow(reversed), /^\[2001:db8:85a3:\S*\]:51234 /);
      assert.match(reversed, /←CLIENT +RATE▲$/m);
    });

    it('Given the live view, When q is pressed, Then it ends and unsubscribes from the feed', async () => {
      const feed = fakeFeed({ connection: 'live', snapshot: emptySnapshot() });
      const { lastFrame, stdin } = show(feed);
      await waitForContent(lastFrame, 'q quit');
      assert.equal(feed.listenerCount(), 1);
      stdin.write('q');
      await waitFor('the view to unmount', () => feed.listenerCount() === 0);
    });
  });
});
