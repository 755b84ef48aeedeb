/** One log line before it is formatted. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogValue = string | number | boolean;

export interface LogRecord {
  timeMs: number;
  level: LogLevel;
  /** Stable machine-readable kind: 'listening', 'connect_timeout', ... */
  kind: string;
  message: string;
  fields: Record<string, LogValue>;
}
