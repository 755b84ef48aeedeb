/**
 * Where `-dynamic-destination` may relay (`--dynamic-destination-allow`): a
 * prefix and a range of ports, written "PREFIX[:PORTS]" and separated by
 * commas: "192.0.2.0/24", "198.51.100.7:443", "10.0.0.0/8:8000-8100",
 * "2001:db8::/32:443", "[2001:db8::7]:443". A bare address is one host; no
 * ports means every port. The data plane takes the parsed form as it is
 * (DataPlaneConfig.dynamicDestinationAllow).
 */
import { CidrError, formatCidr, parseCidr, type Cidr } from './cidr.js';

export interface DestinationRule {
  /** Canonical "ADDRESS/LENGTH". */
  prefix: Cidr;
  firstPort: number;
  lastPort: number;
}

export class DestinationRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DestinationRuleError';
  }
}

const PORTS = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/;

function parsePorts(text: string, entry: string): { firstPort: number; lastPort: number } {
  const match = PORTS.exec(text);
  const firstPort = match ? Number(match[1]) : NaN;
  const lastPort = match?.[2] === undefined ? firstPort : Number(match[2]);
  if (!(firstPort >= 1 && lastPort <= 65535 && firstPort <= lastPort)) {
    throw new DestinationRuleError(
      `"${entry}": ports must be one port or a range from 1 to 65535, like 443 or 8000-8100`,
    );
  }
  return { firstPort, lastPort };
}

/** "PREFIX" and "PORTS" of one entry; PORTS undefined when none is written. */
function split(entry: string): [string, string | undefined] {
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close < 0) throw new DestinationRuleError(`"${entry}": a "[" without its "]"`);
    const rest = entry.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new DestinationRuleError(`"${entry}": ":PORTS" goes after "]"`);
    return [entry.slice(1, close), rest === '' ? undefined : rest.slice(1)];
  }
  const slash = entry.indexOf('/');
  if (slash >= 0) {
    const colon = entry.indexOf(':', slash);
    return colon < 0 ? [entry, undefined] : [entry.slice(0, colon), entry.slice(colon + 1)];
  }
  // IPv4 "a.b.c.d:PORTS"; a bare IPv6 address has no ports (write [ADDRESS]:PORTS).
  const colons = entry.split(':').length - 1;
  if (colons === 1) {
    const [address = '', ports] = entry.split(':');
    return [address, ports];
  }
  return [entry, undefined];
}

/** Parses one "PREFIX[:PORTS]"; throws DestinationRuleError. */
export function parseDestinationRule(entry: string): DestinationRule {
  const [prefixText, portsText] = split(entry);
  let prefix;
  try {
    prefix = parseCidr(prefixText);
  } catch (error) {
    if (error instanceof CidrError) throw new DestinationRuleError(`"${entry}": ${error.message}`);
    throw error;
  }
  const ports = portsText === undefined ? { firstPort: 1, lastPort: 65535 } : parsePorts(portsText, entry);
  return { prefix: formatCidr(prefix), ...ports };
}

/** Parses a comma-separated list (at least one entry); throws DestinationRuleError. */
export function parseDestinationRules(text: string): DestinationRule[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) {
    throw new DestinationRuleError('the list is empty; give destinations like 192.0.2.0/24:443');
  }
  return entries.map(parseDestinationRule);
}

/** "192.0.2.0/24:443", "[2001:db8::/32]:8000-8100", "10.0.0.0/8" (every port). */
export function formatDestinationRule(rule: DestinationRule): string {
  if (rule.firstPort === 1 && rule.lastPort === 65535) return rule.prefix;
  const ports = rule.firstPort === rule.lastPort ? `${rule.firstPort}` : `${rule.firstPort}-${rule.lastPort}`;
  return rule.prefix.includes(':') ? `[${rule.prefix}]:${ports}` : `${rule.prefix}:${ports}`;
}
