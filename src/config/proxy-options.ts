/**
 * Turns the raw flag strings into checked, typed proxy options. Every mistake
 * is a UsageError naming the flag as the user wrote it (exit code 2). The
 * checks are the settings' own (./settings.ts), shared with the config file;
 * the flags that fill the data plane's config take their ranges from the
 * table the data plane enforces (../base/dataplane-limits.ts).
 */
import { UsageError } from '../base/errors.js';
import { COMMAND_LINE_LISTENER, type ListenerOptions, type ProcessOptions, type ProxyConfig } from './proxy-config.js';
import { flagLabel, type RawProxyFlags } from './proxy-flags.js';
import { readListenerSettings, readProcessSettings, type SettingReader } from './settings.js';

export type { LogFormat, Verbosity } from './setting-values.js';

/** A command line's options: its process settings and its one listener, side by side. */
export interface ProxyOptions extends ProcessOptions, ListenerOptions {}

/** Go's flag package keeps the last of repeated flags; yargs collects them in an array. */
function last<T>(value: T | T[] | undefined): T | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** The command line as a SettingReader: the first mistake is thrown. */
function flagReader(raw: RawProxyFlags): SettingReader {
  return {
    text: (flag) => {
      const value = last(raw[flag]);
      return typeof value === 'string' ? value : undefined;
    },
    switch: (flag) => {
      const value = last(raw[flag]);
      return typeof value === 'boolean' ? value : undefined;
    },
    label: (flag) => flagLabel(flag),
    invalid: (flag, message, how) => {
      throw new UsageError(how?.named ? message : `${flagLabel(flag)}: ${message}`);
    },
  };
}

/** Checks every flag; a missing flag takes its default from ./proxy-flags.ts. */
export function parseProxyOptions(raw: RawProxyFlags): ProxyOptions {
  const reader = flagReader(raw);
  const process = readProcessSettings(reader);
  const listener = readListenerSettings(reader);
  // The reader throws at the first mistake, so both are complete here.
  if (!process || !listener) throw new UsageError('invalid flags');
  return { ...process, ...listener };
}

/** A command line's options as a config: its process settings and one listener. */
export function configFromOptions(options: ProxyOptions): ProxyConfig {
  const { listeners, verbosity, drainTimeoutMs, logFormat, statsSocket, metricsListen, ...listener } = options;
  return {
    process: { listeners, verbosity, drainTimeoutMs, logFormat, statsSocket, metricsListen },
    listeners: [{ ...listener, name: COMMAND_LINE_LISTENER, allowedSubnets: null }],
    file: null,
  };
}
