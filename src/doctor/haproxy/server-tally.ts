/**
 * What the analysis keeps of one backend server's sessions: counts, the stuck sessions' times as a histogram
 * and a few example lines, never the sessions themselves, so a log of any length takes the same memory.
 */
import { MedianHistogram } from './median-histogram.js';
import type { HaproxySession } from './parse-log.js';
import { isServerSideEnd } from './termination-state.js';

// Connecting to a local proxy takes milliseconds; a slow connect is another fault.
const QUICK_CONNECT_MS = 1000;
// Enough to find the lines in the log and read one; a sample, not a record.
const EXAMPLES_PER_SERVER = 2;
// Example lines are shown, not parsed again: a long line is cut here.
const EXAMPLE_CHARS = 400;

/** A line of the log, kept as an example of what a finding is about. */
export interface ExampleLine {
  line: number;
  text: string;
}

function example(session: HaproxySession, text: string): ExampleLine {
  // A copy, so the example does not keep the chunk of the log it was cut from.
  return { line: session.line, text: Buffer.from(text.slice(0, EXAMPLE_CHARS)).toString() };
}

/** The signature of a proxy that cannot connect upstream (see analyse-log.ts). */
export function isSignature(session: HaproxySession): boolean {
  if (!isServerSideEnd(session.state) || session.connectMs < 0 || session.connectMs >= QUICK_CONNECT_MS) return false;
  if (session.mode === 'tcp') return session.state[1] === 'D' && session.bytesRead === 0;
  // In HTTP mode the same fault ends before any response header, and HAProxy answers 502/504 itself.
  return session.state[1] === 'H' && (session.httpStatus === 502 || session.httpStatus === 504);
}

/** SC / sC: HAProxy's own connection to the server was refused or timed out. */
function isConnectFailure(session: HaproxySession): boolean {
  return isServerSideEnd(session.state) && session.state[1] === 'C';
}

export class ServerTally {
  sessions = 0;
  /** Sessions per termination state, in the order the states first appear. */
  readonly stateCounts = new Map<string, number>();
  /** Total times of the sessions matching the signature. */
  readonly stuckTimes = new MedianHistogram();
  connectFailed = 0;
  /** Every stuck session was a server-side timeout (`sD`) rather than an abort. */
  stuckAllTimedOut = true;
  stuckAllTcp = true;
  private stuckExamples: ExampleLine[] = [];
  private connectFailedExamples: ExampleLine[] = [];

  constructor(
    readonly backend: string,
    readonly server: string,
  ) {}

  add(session: HaproxySession, text: string): void {
    this.sessions++;
    this.stateCounts.set(session.state, (this.stateCounts.get(session.state) ?? 0) + 1);
    if (isSignature(session)) {
      this.stuckTimes.add(session.totalMs);
      this.stuckAllTimedOut &&= session.state[0] === 's';
      this.stuckAllTcp &&= session.mode === 'tcp';
      if (this.stuckExamples.length < EXAMPLES_PER_SERVER) this.stuckExamples.push(example(session, text));
    } else if (isConnectFailure(session)) {
      this.connectFailed++;
      if (this.connectFailedExamples.length < EXAMPLES_PER_SERVER)
        this.connectFailedExamples.push(example(session, text));
    }
  }

  get stuck(): number {
    return this.stuckTimes.count;
  }

  /** Example lines of what is wrong with this server: its stuck sessions, else its failed connects. */
  get exampleLines(): ExampleLine[] {
    return this.stuckExamples.length ? this.stuckExamples : this.connectFailedExamples;
  }
}
