/**
 * Every setting of the proxy, read once: which flag it is, whether it belongs
 * to the process or to each listener, its key in the config file, and the
 * function from ./setting-values.ts that gives it meaning. The command line
 * (./proxy-options.ts) and the config file (./config-file.ts) each supply a
 * SettingReader; the checks and messages are these, for both.
 */
import { availableParallelism } from 'node:os';

import { DATA_PLANE_LIMITS as LIMITS } from '../base/dataplane-limits.js';
import { PROXY_FLAGS } from './proxy-flags.js';
import type { ListenerOptions, ProcessOptions } from './proxy-config.js';
import * as values from './setting-values.js';
import { SettingError } from './setting-values.js';

export type ProxyFlagName = keyof typeof PROXY_FLAGS;

/** The flags that configure the whole process; every other flag configures a listener. */
export const PROCESS_FLAGS = [
  'listeners',
  'verbose',
  'drain-timeout',
  'log-format',
  'stats-socket',
  'metrics-listen',
] as const satisfies readonly ProxyFlagName[];

export type ProcessFlag = (typeof PROCESS_FLAGS)[number];
export type ListenerFlag = Exclude<ProxyFlagName, ProcessFlag>;

export const LISTENER_FLAGS = (Object.keys(PROXY_FLAGS) as ProxyFlagName[]).filter(
  (flag): flag is ListenerFlag => !(PROCESS_FLAGS as readonly string[]).includes(flag),
);

/**
 * A flag's key in the config file: its long name, except `-listeners`, which
 * counts worker threads and would read as a count of `[[listener]]` tables.
 */
export function fileKey(flag: ProxyFlagName): string {
  return flag === 'listeners' ? 'workers' : flag;
}

/** What kind of mistake a message reports. */
export interface Mistake {
  /** The message names the flags itself (`-4 none and -6 none: ...`). */
  named?: boolean;
  /** Between settings (a target range against the listen range), not of one value on its own. */
  across?: boolean;
}

/** Where settings come from: the command line or one table of the config file. */
export interface SettingReader {
  /** The value written for `flag`, as text (a flag's value, a file value's source text); undefined: not given. */
  text(flag: ProxyFlagName): string | undefined;
  /** A switch's value; undefined: not given. */
  switch(flag: ProxyFlagName): boolean | undefined;
  /** How a message names the flag (`-mark`, `mark`). */
  label(flag: ProxyFlagName): string;
  /** The value of `flag` is wrong: `message` says why. The command line throws; a file collects. */
  invalid(flag: ProxyFlagName, message: string, how?: Mistake): void;
}

function defaultText(flag: ProxyFlagName): string | undefined {
  const spec = PROXY_FLAGS[flag];
  return 'default' in spec && typeof spec.default === 'string' ? spec.default : undefined;
}

/** The flag's value, or its default, through `parse`; undefined (reported) when it does not parse. */
function read<T>(reader: SettingReader, flag: ProxyFlagName, parse: (text: string) => T): T | undefined {
  const text = reader.text(flag) ?? defaultText(flag) ?? '';
  try {
    return parse(text);
  } catch (error) {
    if (!(error instanceof SettingError)) throw error;
    reader.invalid(flag, error.message);
    return undefined;
  }
}

function optionalText<T>(reader: SettingReader, flag: ProxyFlagName, parse: (text: string) => T): T | null | undefined {
  return reader.text(flag) === undefined ? null : read(reader, flag, parse);
}

/** True when nothing read was undefined (each failure was reported). */
function complete<T extends object>(fields: { [K in keyof T]: T[K] | undefined }): fields is T {
  return Object.values(fields).every((value) => value !== undefined);
}

/** The process's settings; undefined when one is wrong (each reported). */
export function readProcessSettings(reader: SettingReader): ProcessOptions | undefined {
  const fields = {
    listeners:
      reader.text('listeners') === undefined
        ? availableParallelism()
        : read(reader, 'listeners', (text) => values.integer(text, LIMITS.listeners)),
    verbosity: read(reader, 'verbose', values.verbosity),
    drainTimeoutMs: read(reader, 'drain-timeout', (text) => values.duration(text, values.DRAIN_TIMEOUT_MS)),
    logFormat: read(reader, 'log-format', (text) => values.oneOf(text, ['text', 'json'] as const)),
    statsSocket: optionalText(reader, 'stats-socket', values.path),
    metricsListen: optionalText(reader, 'metrics-listen', values.metricsAddress),
  };
  return complete<ProcessOptions>(fields) ? fields : undefined;
}

/** How each listener setting written as a value is read (the switches are true or false). */
export const LISTENER_VALUE_PARSERS = {
  protocol: (text: string) => values.oneOf(text, ['tcp', 'udp'] as const),
  listen: values.listenSpan,
  target4: (text: string) => values.target(text, 4),
  target6: (text: string) => values.target(text, 6),
  mark: (text: string) => values.integer(text, LIMITS.mark),
  'allowed-subnets': values.path,
  'close-after': (text: string) => values.integer(text, LIMITS.closeAfterSeconds),
  'header-timeout': (text: string) => values.duration(text, LIMITS.headerTimeoutMs),
  'connect-timeout': (text: string) => values.duration(text, LIMITS.connectTimeoutMs),
  keepalive: values.keepAliveSeconds,
  'max-connections': (text: string) => values.integer(text, LIMITS.maxConnections),
  'max-sessions': (text: string) => values.integer(text, LIMITS.maxSessions),
  collision: values.collisionPolicy,
  'relay-mode': values.relayMode,
  'fast-path': values.fastPathMode,
  'fast-path-after': (text: string) => values.integer(text, LIMITS.fastPathAfterReads),
  'udp-header': values.udpHeaderMode,
  'dynamic-destination-allow': values.destinationRules,
} as const satisfies Partial<Record<ListenerFlag, (text: string) => unknown>>;

export type ListenerValueFlag = keyof typeof LISTENER_VALUE_PARSERS;
export type ListenerSwitchFlag = Exclude<ListenerFlag, ListenerValueFlag>;

export function isListenerValueFlag(flag: ProxyFlagName): flag is ListenerValueFlag {
  return flag in LISTENER_VALUE_PARSERS;
}

/** One listener's settings; undefined when one is wrong (each reported). */
export function readListenerSettings(reader: SettingReader): ListenerOptions | undefined {
  const parse = LISTENER_VALUE_PARSERS;
  const fields = {
    protocol: read(reader, 'protocol', parse.protocol),
    listen: read(reader, 'listen', parse.listen),
    target4: read(reader, 'target4', parse.target4),
    target6: read(reader, 'target6', parse.target6),
    mark: read(reader, 'mark', parse.mark),
    allowedSubnetsFile: optionalText(reader, 'allowed-subnets', parse['allowed-subnets']),
    closeAfterSeconds: read(reader, 'close-after', parse['close-after']),
    dynamicDestination: reader.switch('dynamic-destination') === true,
    dynamicDestinationAllow: optionalText(reader, 'dynamic-destination-allow', parse['dynamic-destination-allow']),
    allowLocalClients: reader.switch('allow-local-clients') === true,
    listenTransparent: reader.switch('listen-transparent') === true,
    reusePort: reader.switch('reuse-port') === true,
    headerTimeoutMs: read(reader, 'header-timeout', parse['header-timeout']),
    connectTimeoutMs: read(reader, 'connect-timeout', parse['connect-timeout']),
    keepAliveSeconds: read(reader, 'keepalive', parse.keepalive),
    maxConnections: read(reader, 'max-connections', parse['max-connections']),
    maxSessions: read(reader, 'max-sessions', parse['max-sessions']),
    collision: read(reader, 'collision', parse.collision),
    relayMode: read(reader, 'relay-mode', parse['relay-mode']),
    fastPath: read(reader, 'fast-path', parse['fast-path']),
    fastPathAfterReads: read(reader, 'fast-path-after', parse['fast-path-after']),
    udpHeader: read(reader, 'udp-header', parse['udp-header']),
  };
  // Checked even when another value is wrong, so that a file's every mistake is told at once.
  const consistent = checkListener(reader, fields);
  return complete<ListenerOptions>(fields) && consistent ? fields : undefined;
}

/** What no single value shows: a listener with nowhere to go, target ranges that do not fit. */
function checkListener(
  reader: SettingReader,
  listener: Pick<
    { [K in keyof ListenerOptions]: ListenerOptions[K] | undefined },
    'listen' | 'target4' | 'target6' | 'dynamicDestination'
  >,
): boolean {
  let ok = true;
  if (listener.target4 === null && listener.target6 === null && !listener.dynamicDestination) {
    reader.invalid(
      'target4',
      `${reader.label('target4')} none and ${reader.label('target6')} none: there is nowhere to forward to; ` +
        'give a target for at least one family',
      { named: true, across: true },
    );
    ok = false;
  }
  for (const flag of ['target4', 'target6'] as const) {
    const target = listener[flag];
    const problem = target && listener.listen && values.targetRangeProblem(listener.listen, target);
    if (problem) {
      reader.invalid(flag, problem, { across: true });
      ok = false;
    }
  }
  return ok;
}
