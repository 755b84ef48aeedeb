/**
 * A config file as the proxy runs it: the file checked, then every allowed-subnets file it names read. The
 * same at start and at each reload (and as check-config reads it), so a reload takes exactly what a restart
 * would.
 */
import type { Cidr } from '../base/net/cidr.js';
import { ConfigFileError, loadConfigFile } from './config-file.js';
import { ListenerSubnetsError, loadListenerSubnets } from './listener-subnets.js';
import type { ProxyConfig } from './proxy-config.js';

export interface RunnableConfig {
  config: ProxyConfig;
  /** Each listener's allowed subnets by name; empty lets every peer in. */
  subnets: Map<string, Cidr[]>;
  /** Accepted but changed (host bits cleared), one line each. */
  notes: string[];
}

/** Throws ConfigFileError or ListenerSubnetsError (configMistakes() lists either's mistakes). */
export async function loadRunnableConfig(file: string): Promise<RunnableConfig> {
  const { config, notes } = await loadConfigFile(file);
  const subnets = await loadListenerSubnets(config);
  return { config, subnets: subnets.byListener, notes: [...notes, ...subnets.notes] };
}

/** Every mistake of a file loadRunnableConfig() refused, one line each naming the file; null for other errors. */
export function configMistakes(file: string, error: unknown): string[] | null {
  if (error instanceof ConfigFileError) return error.message.split('\n');
  if (error instanceof ListenerSubnetsError) return error.lines.map((line) => `${file}: ${line}`);
  return null;
}
