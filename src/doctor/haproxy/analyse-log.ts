/**
 * Finds, per backend server, the signature of a proxy behind HAProxy that
 * cannot complete its upstream connect: the connection to the server (our
 * proxy) succeeds at once, then the server side aborts or times out in the
 * data phase with nothing sent back, and the total times cluster at the
 * proxy's connect give-up time. Healthy servers are listed for contrast.
 */
import { isServerSideEnd } from './termination-state.js';
import type { HaproxySession } from './parse-log.js';

// Connecting to a local proxy takes milliseconds; a slow connect is another fault.
const QUICK_CONNECT_MS = 1000;
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
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function isSignature(session: HaproxySession): boolean {
  if (!isServerSideEnd(session.state) || session.connectMs < 0 || session.connectMs >= QUICK_CONNECT_MS) return false;
  if (session.mode === 'tcp') return session.state[1] === 'D' && session.bytesRead === 0;
  // In HTTP mode the same fault ends before any response header, and HAProxy answers 502/504 itself.
  return session.state[1] === 'H' && (session.httpStatus === 502 || session.httpStatus === 504);
}

function seconds(ms: number): string {
  return `~${(ms / 1000).toFixed(1)} s`;
}

function countStates(sessions: HaproxySession[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const session of sessions) counts.set(session.state, (counts.get(session.state) ?? 0) + 1);
  return counts;
}

function analyseServer(name: string, sessions: HaproxySession[]): ServerFinding {
  const stuck = sessions.filter(isSignature);
  const stateCounts = countStates(sessions);
  const states = [...stateCounts].map(([state, count]) => `${count} × ${state}`).join(', ');
  const base = { name, sessions: sessions.length, stateCounts, stuckMedianMs: null, clustered: false, timedOut: false };
  // SC / sC: HAProxy's own connection to the server was refused or timed out.
  const connectFailed = sessions.filter((session) => isServerSideEnd(session.state) && session.state[1] === 'C');
  if (stuck.length === 0 && connectFailed.length * 2 >= sessions.length) {
    return {
      ...base,
      stuck: 0,
      verdict: 'unreachable',
      conclusion: `server ${name}: ${connectFailed.length}/${sessions.length} sessions could not connect to the server at all (${states}) — mmproxy on ${name} is not listening where HAProxy connects, or a firewall drops it`,
    };
  }
  if (stuck.length === 0) {
    return {
      ...base,
      stuck: 0,
      verdict: 'healthy',
      conclusion: `server ${name}: ${sessions.length} session${sessions.length === 1 ? '' : 's'}, healthy (${states})`,
    };
  }
  const times = stuck.map((session) => session.totalMs);
  const middle = median(times);
  const tolerance = Math.max(CLUSTER_ABSOLUTE_MS, middle * CLUSTER_RELATIVE);
  const clustered = times.every((time) => Math.abs(time - middle) <= tolerance);
  const timedOut = stuck.every((session) => session.state[0] === 's');
  const nothing = stuck.every((session) => session.mode === 'tcp') ? 'with 0 bytes' : 'with no response';
  const how = timedOut ? 'timed out on the server side' : 'aborted by the server side';
  const share = `${stuck.length}/${sessions.length} sessions ${how} after ${seconds(middle)} ${nothing}`;
  const broken = clustered && stuck.length * 2 >= sessions.length;
  return {
    name,
    sessions: sessions.length,
    stuck: stuck.length,
    stateCounts,
    stuckMedianMs: middle,
    clustered,
    timedOut,
    verdict: broken ? 'broken' : 'suspect',
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

export function analyseSessions(sessions: HaproxySession[]): ServerFinding[] {
  const byServer = new Map<string, HaproxySession[]>();
  for (const session of sessions) {
    const key = `${session.backend}/${session.server}`;
    byServer.set(key, [...(byServer.get(key) ?? []), session]);
  }
  const serverNames = [...byServer.keys()].map((key) => key.split('/')[1]);
  return [...byServer].map(([key, group]) => {
    const server = group[0]?.server ?? key;
    const ambiguous = serverNames.filter((name) => name === server).length > 1;
    return analyseServer(ambiguous ? key : server, group);
  });
}
