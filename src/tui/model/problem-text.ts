/** Headlines for what went wrong talking to the proxy, in the user's terms. */
import type { StatsClientErrorCode } from '../../stats/client-errors.js';
import type { FeedProblem, FeedState } from '../stats-feed.js';

const TITLES: Record<StatsClientErrorCode, string> = {
  not_running: 'mmproxy is not running',
  not_readable: 'The stats socket is not readable',
  ambiguous: 'Several proxies are running',
  protocol: 'Unexpected reply from the stats socket',
  server: 'The proxy refused the request',
  closed: 'The proxy went away',
  timeout: 'The proxy is not answering',
};

export function problemTitle(problem: FeedProblem): string {
  return TITLES[problem.code];
}

export function retryText(problem: FeedProblem): string {
  const seconds = Math.max(1, Math.round(problem.retryInMs / 1000));
  return `retrying in ${seconds}s (attempt ${problem.attempt})`;
}

/** The line above data that is no longer live: what happened and how old the data is; null while live. */
export function staleBanner({ connection, snapshot, problem }: FeedState): string | null {
  if (!snapshot || connection === 'live' || !problem) return null;
  return `${problemTitle(problem)} · ${retryText(problem)} · data from ${snapshot.sampledAt.slice(11, 19)} UTC`;
}
