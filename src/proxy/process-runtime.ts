/**
 * What a proxy process needs whether it runs a command line or a config file: its log on stderr (format
 * and verbosity from the process settings), and systemd's notifications.
 */
import type { ProcessOptions } from '../config/proxy-config.js';
import { native } from '../native/addon.js';
import { createEventLog, type EventLog } from './log/event-log.js';
import { stderrIsJournal } from './log/journal.js';
import { createLogger, type ProxyLogger } from './log/logger.js';
import { LineRateLimiter } from './log/rate-limit.js';
import { createServiceNotifier, type ServiceNotifier } from './service/notify.js';

/** Per kind of line, this many a second before the rest are summarised. */
const LOG_BURST = 20;
const LOG_WINDOW_MS = 1000;

export function createProcessLog(options: Pick<ProcessOptions, 'logFormat' | 'verbosity'>): {
  logger: ProxyLogger;
  eventLog: EventLog;
} {
  const logger = createLogger({
    format: options.logFormat,
    write: (line) => process.stderr.write(line),
    now: Date.now,
    syslogPriority: stderrIsJournal(process.env['JOURNAL_STREAM']),
  });
  const eventLog = createEventLog({
    logger,
    verbosity: options.verbosity,
    limiter: new LineRateLimiter(LOG_BURST, LOG_WINDOW_MS),
    now: Date.now,
  });
  return { logger, eventLog };
}

export function createProcessService(logger: ProxyLogger): ServiceNotifier {
  return createServiceNotifier({
    env: process.env,
    pid: process.pid,
    send: (socketName, message) => native().notifyServiceManager(socketName, message),
    maxSocketName: native().maxNotifySocketName,
    warn: (message) => logger.log('warn', 'systemd', message),
  });
}
