/** mmproxy's stderr with --log-format json (one object a line), and how a flood of one kind of line was logged. */

export interface LogLine {
  time: string;
  level: 'error' | 'warn' | 'info' | 'debug';
  kind: string;
  msg: string;
  /** On a summary line: how many lines like it the rate limiter held back. */
  suppressed?: number;
  [field: string]: unknown;
}

export function jsonLogLines(stderr: string): LogLine[] {
  return stderr
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogLine);
}

export interface FloodLogged {
  /** Lines of the kind written in full. */
  shown: number;
  /** The sum of what its summary lines say was held back. */
  suppressed: number;
}

export function floodLogged(lines: LogLine[], kind: string): FloodLogged {
  const ofKind = lines.filter((line) => line.kind === kind);
  return {
    shown: ofKind.filter((line) => line.suppressed === undefined).length,
    suppressed: ofKind.reduce((sum, line) => sum + (line.suppressed ?? 0), 0),
  };
}
