/**
 * The allowed subnets of every listener of a config, read as the proxy runs
 * them: written inline, read from a file (each file once per load, however
 * many listeners name it), or none (every peer). Used at start, at each
 * reload and by check-config, so all three read the same.
 */
import type { Cidr } from '../base/net/cidr.js';
import { loadSubnetFile, SubnetFileError, type SubnetList } from './allowed-subnets.js';
import type { NamedListener, ProxyConfig } from './proxy-config.js';

export interface ListenerSubnets {
  /** By listener name; an empty list lets every peer in. */
  byListener: Map<string, Cidr[]>;
  /** Lines accepted but changed (host bits cleared), each once. */
  notes: string[];
}

/** Listeners whose subnet file cannot be used: one line each, the file's own message with the listener. */
export class ListenerSubnetsError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'ListenerSubnetsError';
  }
}

/** Every listener's subnets; throws ListenerSubnetsError naming every listener that fails. */
export async function loadListenerSubnets(config: ProxyConfig): Promise<ListenerSubnets> {
  const files = new Map<string, Promise<SubnetList>>();
  const byListener = new Map<string, Cidr[]>();
  const notes = new Set<string>();
  const failures: string[] = [];
  const readFile = (path: string): Promise<SubnetList> => {
    let pending = files.get(path);
    if (!pending) {
      pending = loadSubnetFile(path);
      files.set(path, pending);
    }
    return pending;
  };
  const subnetsOf = async (listener: NamedListener): Promise<Cidr[]> => {
    if (listener.allowedSubnets) return listener.allowedSubnets;
    if (!listener.allowedSubnetsFile) return [];
    const list = await readFile(listener.allowedSubnetsFile);
    for (const note of list.notes) notes.add(note);
    return list.subnets;
  };
  for (const listener of config.listeners) {
    try {
      byListener.set(listener.name, await subnetsOf(listener));
    } catch (error) {
      if (!(error instanceof SubnetFileError)) throw error;
      failures.push(`listener "${listener.name}": allowed-subnets: ${error.message}`);
    }
  }
  if (failures.length > 0) throw new ListenerSubnetsError(failures);
  return { byListener, notes: [...notes] };
}
