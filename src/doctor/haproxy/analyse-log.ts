/**
 * Finds, per backend server, the signature of a proxy behind HAProxy that
 * cannot complete its upstream connect: the connection to the server (our
 * proxy) succeeds at once, then the server side aborts or times out in the
 * data phase with nothing sent back, and the total times cluster at the
 * proxy's connect give-up time. Healthy servers are listed for contrast.
 */
import type { HaproxyLogTally } from './log-tally.js';
import type { ExampleLine, ServerTally } from './server-tally.js';

const CLUSTER_ABSOLUTE_MS = 500;
const CLUSTER_RELATIVE = 0.1;

export interface ServerFinding {
  /** "aaa", or "ssh/aaa" when two backends share a server name. */
  name: string;
  sessions: number;
  /** Sessions matching the signature. */
  stuck: number;
  stateCounts: Map<string, number>;
  /** Median total time of the stuck sessions, ms. */
  stuckMedianMs: number | null;
  clustered: boolean;
  /** Every stuck session was a server-side timeout (`sD`) rather than an abort. */
  timedOut: boolean;
  conclusion: string;
  /** broken: the upstream-connect signature; unreachable: HAProxy could not even connect. */
  verdict: 'broken' | 'unreachable' | 'suspect' | 'healthy';
  /** A few lines of the log showing what the conclusion is about (none for a healthy server). */
  examples: ExampleLine[];
}

function seconds(ms: number): string {
  return `~${(ms / 1000).toFixed(1)} s`;
}

function analyseServer(name: string, tally: ServerTally): ServerFinding {
  const { sessions, stateCounts, stuck, connectFailed } = tally;
  const states = [...stateCounts].map(([state, count]) => `${count} × ${state}`).join(', ');
  const base = { name, sessions, stateCounts, stuckMedianMs: null, clustered: false, timedOut: false };
  if (stuck === 0 && connectFailed * 2 >= sessions) {
    return {
      ...base,
      stuck: 0,
      verdict: 'unreachable',
      examples: tally.exampleLines,
      conclusion: `server ${name}: ${connectFailed}/${sessions} sessions could not connect to the server at all (${states}) — mmproxy on ${name} is not listening where HAProxy connects, or a firewall drops it`,
    };
  }
  if (stuck === 0) {
    return {
      ...base,
      stuck: 0,
      verdict: 'healthy',
      examples: [],
      conclusion: `server ${name}: ${sessions} session${sessions === 1 ? '' : 's'}, healthy (${states})`,
    };
  }
  const times = tally.stuckTimes;
  const middle = times.median() as number;
  const tolerance = Math.max(CLUSTER_ABSOLUTE_MS, middle * CLUSTER_RELATIVE);
  // Every time lies within the tolerance of the median when the two extremes do.
  const clustered = times.max - middle <= tolerance && middle - times.min <= tolerance;
  const timedOut = tally.stuckAllTimedOut;
  const nothing = tally.stuckAllTcp ? 'with 0 bytes' : 'with no response';
  const how = timedOut ? 'timed out on the server side' : 'aborted by the server side';
  const share = `${stuck}/${sessions} sessions ${how} after ${seconds(middle)} ${nothing}`;
  const broken = clustered && stuck * 2 >= sessions;
  return {
    name,
    sessions,
    stuck,
    stateCounts,
    stuckMedianMs: middle,
    clustered,
    timedOut,
    verdict: broken ? 'broken' : 'suspect',
    examples: tally.exampleLines,
    conclusion: broken
      ? `server ${name}: ${share} — mmproxy on ${name} could not complete its upstream connect; run \`mmproxy doctor\` on ${name}`
      : `server ${name}: ${share}${clustered ? '' : ' (times spread out)'}; the others ended normally — an intermittent fault on ${name}`,
  };
}

/** Why the cluster sits where it does, in words. */
export function explainClusterTime(finding: ServerFinding): string | null {
  const ms = finding.stuckMedianMs;
  if (ms === null) return null;
  if (finding.timedOut)
    return `${seconds(ms)} is HAProxy's own \`timeout server\`: it gave up before the proxy's connect did`;
  if (ms >= 6800 && ms <= 7600) {
    return `${seconds(ms)} is the give-up time of go-mmproxy and cloudflare/mmproxy: TCP_SYNCNT=2 sends SYNs at 0, 1 and 3 s and fails the connect at ~7 s`;
  }
  if (ms >= 4700 && ms <= 5400) return `${seconds(ms)} matches mmproxy's default --connect-timeout of 5 s`;
  return `${seconds(ms)} is the proxy's upstream connect give-up time (mmproxy: --connect-timeout; go-mmproxy: ~7.1 s)`;
}

/** A finding per server of the log, in the order the servers first appear. */
export function analyseLog(log: HaproxyLogTally): ServerFinding[] {
  const servers = [...log.servers.values()];
  const namesake = new Map<string, number>();
  for (const { server } of servers) namesake.set(server, (namesake.get(server) ?? 0) + 1);
  return servers.map((tally) => {
    const ambiguous = (namesake.get(tally.server) ?? 0) > 1;
    return analyseServer(ambiguous ? `${tally.backend}/${tally.server}` : tally.server, tally);
  });
}
