/**
 * A whole HAProxy log reduced as it is read, one line at a time: a tally per backend server, the termination
 * states seen and the lines skipped. Memory does not grow with the log's length.
 */
import { parseHaproxyLine } from './parse-log.js';
import { ServerTally } from './server-tally.js';

// A log names a handful of servers; past this many, a line naming a new one is counted but not analysed.
export const MAX_SERVERS = 1024;

export class HaproxyLogTally {
  sessions = 0;
  skippedLines = 0;
  /** Sessions of servers past MAX_SERVERS. */
  untrackedSessions = 0;
  /** Every termination state seen. */
  readonly states = new Set<string>();
  /** Per `backend/server`, in the order they first appear. */
  readonly servers = new Map<string, ServerTally>();
  private lines = 0;

  /** Adds the log's next line (without its newline). */
  addLine(raw: string): void {
    this.lines++;
    const line = raw.trim();
    if (line === '') return;
    const session = parseHaproxyLine(line, this.lines);
    if (!session) {
      this.skippedLines++;
      return;
    }
    this.sessions++;
    this.states.add(session.state);
    const key = `${session.backend}/${session.server}`;
    let server = this.servers.get(key);
    if (!server && this.servers.size < MAX_SERVERS) {
      server = new ServerTally(session.backend, session.server);
      this.servers.set(key, server);
    }
    if (server) server.add(session, line);
    else this.untrackedSessions++;
  }

  /** The tally of a whole text (tests, small inputs). */
  static ofText(text: string): HaproxyLogTally {
    const tally = new HaproxyLogTally();
    for (const line of text.split('\n')) tally.addLine(line);
    return tally;
  }
}
