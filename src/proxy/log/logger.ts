/** Writes formatted log lines to a sink (stderr in the proxy, an array in tests). */
import type { LogFormat } from '../../config/proxy-options.js';
import { formatJson, formatText } from './format.js';
import type { LogLevel, LogRecord, LogValue } from './record.js';

export interface Logger {
  log(level: LogLevel, kind: string, message: string, fields?: Record<string, LogValue>): void;
}

export interface LoggerOptions {
  format: LogFormat;
  write: (line: string) => void;
  now: () => number;
}

export function createLogger({ format, write, now }: LoggerOptions): Logger {
  const render = format === 'json' ? formatJson : formatText;
  return {
    log(level, kind, message, fields = {}) {
      const record: LogRecord = { timeMs: now(), level, kind, message, fields };
      write(render(record));
    },
  };
}
