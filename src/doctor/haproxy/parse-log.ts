/**
 * Parses HAProxy session log lines (`option tcplog` and `option httplog`),
 * with or without a syslog prefix. Lines that are not session logs (startup
 * messages, health checks, junk) are counted and skipped, never fatal.
 */

export interface HaproxySession {
  line: number;
  mode: 'tcp' | 'http';
  client: string;
  frontend: string;
  backend: string;
  server: string;
  /** Milliseconds; -1 when HAProxy did not reach that step. */
  queueMs: number;
  connectMs: number;
  totalMs: number;
  /** Bytes sent from the server side to the client. */
  bytesRead: number;
  /** The first two characters of the termination state ("SD", "--", "cD"). */
  state: string;
  httpStatus: number | null;
}

export interface ParsedLog {
  sessions: HaproxySession[];
  skippedLines: number;
}

const timer = String.raw`\+?-?\d+`;
// client:port [accept date] frontend backend/server
const HEAD = String.raw`(\S+):(\d+) \[([^\]]+)\] (\S+) ([^\s/]+)\/(\S+) `;
// Tw/Tc/Tt bytes state(2) actconn/feconn/beconn/srv_conn/retries srv_queue/backend_queue
const TCP = new RegExp(
  HEAD + String.raw`(${timer})\/(${timer})\/(${timer}) (\+?\d+) (\S{2}) \d+\/\d+\/\d+\/\d+\/\+?\d+ \d+\/\d+`,
);
// TR/Tw/Tc/Tr/Ta status bytes cookie cookie state(4) conns queues
const HTTP = new RegExp(
  HEAD +
    String.raw`(${timer})\/(${timer})\/(${timer})\/(${timer})\/(${timer}) (-?\d+) (\+?\d+) \S+ \S+ (\S{4}) \d+\/\d+\/\d+\/\d+\/\+?\d+ \d+\/\d+`,
);

// The same patterns, tried only where a session can start (see execAtSessionStart).
const HTTP_AT = new RegExp(HTTP.source, 'y');
const TCP_AT = new RegExp(TCP.source, 'y');
const WHITESPACE = /\s/;

function isWhitespace(character: string): boolean {
  const code = character.charCodeAt(0);
  if (code > 32 && code < 127) return false;
  return WHITESPACE.test(character);
}

/**
 * The pattern's leftmost match in the line, as an unanchored exec would find it, in linear time: a session
 * starts with the `client:port` word before ` [accept date]`, so the pattern is tried, sticky, only at the start
 * of each word followed by ` [`. Unanchored, the patterns retry every offset of the syslog prefix, which
 * made parsing a line cost ten times more.
 */
function execAtSessionStart(pattern: RegExp, line: string): RegExpExecArray | null {
  for (let bracket = line.indexOf(' ['); bracket !== -1; bracket = line.indexOf(' [', bracket + 2)) {
    let start = bracket;
    while (start > 0 && !isWhitespace(line[start - 1] as string)) start--;
    pattern.lastIndex = start;
    const match = pattern.exec(line);
    if (match) return match;
  }
  return null;
}

const num = (text: string | undefined) => Number((text ?? '').replace('+', ''));

/** One session from one trimmed, non-empty line, or null when the line is not a session log. */
export function parseHaproxyLine(line: string, lineNumber: number): HaproxySession | null {
  const http = execAtSessionStart(HTTP_AT, line);
  if (http) {
    return {
      line: lineNumber,
      mode: 'http',
      client: http[1] as string,
      frontend: http[4] as string,
      backend: http[5] as string,
      server: http[6] as string,
      queueMs: num(http[8]),
      connectMs: num(http[9]),
      totalMs: num(http[11]),
      httpStatus: num(http[12]),
      bytesRead: num(http[13]),
      state: (http[14] as string).slice(0, 2),
    };
  }
  const tcp = execAtSessionStart(TCP_AT, line);
  if (!tcp) return null;
  return {
    line: lineNumber,
    mode: 'tcp',
    client: tcp[1] as string,
    frontend: tcp[4] as string,
    backend: tcp[5] as string,
    server: tcp[6] as string,
    queueMs: num(tcp[7]),
    connectMs: num(tcp[8]),
    totalMs: num(tcp[9]),
    bytesRead: num(tcp[10]),
    state: tcp[11] as string,
    httpStatus: null,
  };
}

/** Every session of a whole text (tests and small inputs; the doctor streams, see log-tally.ts). */
export function parseHaproxyLog(text: string): ParsedLog {
  const sessions: HaproxySession[] = [];
  let skippedLines = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const session = parseHaproxyLine(line, index + 1);
    if (session) sessions.push(session);
    else skippedLines++;
  });
  return { sessions, skippedLines };
}
