/** Writes formatted log lines to a sink (stderr in the proxy, an array in tests). */
import type { LogFormat } from '../../config/proxy-options.js';
import { formatJson, formatText } from './format.js';
import { withSyslogPriority } from './journal.js';
import type { LogLevel, LogRecord, LogValue } from './record.js';

export interface Logger {
  log(level: LogLevel, kind: string, message: string, fields?: Record<string, LogValue>): void;
}

/** The proxy's logger, whose format a reload of the config file may change. */
export interface ProxyLogger extends Logger {
  setFormat(format: LogFormat): void;
}

export interface LoggerOptions {
  format: LogFormat;
  write: (line: string) => void;
  now: () => number;
  /** Start each line with its syslog priority (`<3>`): when stderr is the journal (./journal.ts). */
  syslogPriority?: boolean;
}

export function createLogger({ format, write, now, syslogPriority = false }: LoggerOptions): ProxyLogger {
  let render = format === 'json' ? formatJson : formatText;
  return {
    setFormat(next) {
      render = next === 'json' ? formatJson : formatText;
    },
    log(level, kind, message, fields = {}) {
      const record: LogRecord = { timeMs: now(), level, kind, message, fields };
      const line = render(record);
      write(syslogPriority ? withSyslogPriority(level, line) : line);
    },
  };
}
