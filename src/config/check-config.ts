/**
 * `mmproxy check-config FILE`: reads the config exactly as the proxy would at
 * start or reload (the file, then every allowed-subnets file it names) and
 * binds nothing. For CI and for a unit's `ExecReload=` guard: exit 0 when the
 * proxy would take it, 2 with every mistake, each on its own line.
 */
import { spanSize } from '../base/net/port-span.js';
import { ConfigFileError, loadConfigFile } from './config-file.js';
import { ListenerSubnetsError, loadListenerSubnets } from './listener-subnets.js';
import type { ProxyConfig } from './proxy-config.js';

export const CHECK_OK = 0;
export const CHECK_INVALID = 2;

export interface CheckOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** "52 listeners (40 tcp, 12 udp) on 63 ports". */
export function describeListeners(config: ProxyConfig): string {
  const count = (protocol: string) => config.listeners.filter((listener) => listener.protocol === protocol).length;
  const ports = config.listeners.reduce((sum, listener) => sum + spanSize(listener.listen), 0);
  return `${plural(config.listeners.length, 'listener')} (${count('tcp')} tcp, ${count('udp')} udp) on ${plural(ports, 'port')}`;
}

/**
 * The config and its subnet files as a start would read them, warnings to
 * `err`; null after writing every mistake to `err` (the caller exits
 * CHECK_INVALID). For check-config and for every command that takes `--config`.
 */
export async function readConfigForUse(file: string, err: (line: string) => void): Promise<ProxyConfig | null> {
  try {
    const { config, notes } = await loadConfigFile(file);
    const subnets = await loadListenerSubnets(config);
    for (const note of [...notes, ...subnets.notes]) err(`warning: ${note}`);
    return config;
  } catch (error) {
    if (error instanceof ConfigFileError) {
      for (const line of error.message.split('\n')) err(line);
    } else if (error instanceof ListenerSubnetsError) {
      for (const line of error.lines) err(`${file}: ${line}`);
    } else {
      throw error;
    }
    return null;
  }
}

export async function checkConfig(file: string, output: CheckOutput): Promise<number> {
  const config = await readConfigForUse(file, output.err);
  if (!config) return CHECK_INVALID;
  output.out(`${file}: ok, ${describeListeners(config)}`);
  return CHECK_OK;
}
