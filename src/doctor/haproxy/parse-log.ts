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

const num = (text: string | undefined) => Number((text ?? '').replace('+', ''));

export function parseHaproxyLog(text: string): ParsedLog {
  const sessions: HaproxySession[] = [];
  let skippedLines = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const http = HTTP.exec(line);
    if (http) {
      sessions.push({
        line: index + 1,
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
      });
      return;
    }
    const tcp = TCP.exec(line);
    if (tcp) {
      sessions.push({
        line: index + 1,
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
      });
      return;
    }
    skippedLines++;
  });
  return { sessions, skippedLines };
}
