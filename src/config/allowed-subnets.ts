/**
 * The allowed-subnets file: one prefix a line ("192.0.2.0/24",
 * "2001:db8::/32"), `#` starts a comment, blank lines are skipped. A bare
 * address means that one host (/32 or /128).
 *
 * Host bits are normalised, not refused, because go-mmproxy (Go's
 * net.ParseCIDR) accepts "192.0.2.1/24" as 192.0.2.0/24 and existing files
 * must keep working; each such line is reported as a note so the user sees it.
 * A file with no prefix at all is an error: in go-mmproxy an empty list lets
 * every peer in, which is never what a file of allowed subnets means.
 */
import { readFile } from 'node:fs/promises';

import { readFailure } from '../base/read-failure.js';
import { CidrError, formatCidr, parseCidr, type Cidr } from '../base/net/cidr.js';

export class SubnetFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubnetFileError';
  }
}

/** What the proxy refuses to start with over the file, and what the doctor reports: the flag, then why. */
export function subnetFileRefusal(error: SubnetFileError | string): string {
  return `-allowed-subnets: ${typeof error === 'string' ? error : error.message}`;
}

/**
 * What the proxy logs at start (level warn) and the doctor's security check
 * reports (status warn), in the same words, when a listener beyond loopback
 * has no -allowed-subnets: every peer that reaches the port is trusted.
 */
export function anyPeerWarning(listen: string): string {
  return (
    `listening on ${listen} with no -allowed-subnets: anyone who reaches the port can send a PROXY header ` +
    'naming any client address, and the app will see that address as the client ' +
    '(list the load balancers with -allowed-subnets FILE)'
  );
}

export interface SubnetList {
  /** Canonical, de-duplicated, in file order. */
  subnets: Cidr[];
  /** Lines that were accepted but changed ("file:3: host bits set ..."). */
  notes: string[];
}

/**
 * One prefix, as a line of the file or an entry of a config's inline list;
 * `where` starts the message ("file:3"). Throws SubnetFileError.
 */
export function parseSubnetEntry(text: string, where: string, notes: string[]): Cidr {
  let prefix: ReturnType<typeof parseCidr>;
  try {
    prefix = parseCidr(text);
  } catch (error) {
    if (error instanceof CidrError) throw new SubnetFileError(`${where}: ${error.message}`);
    throw error;
  }
  const cidr = formatCidr(prefix);
  if (prefix.hostBitsSet) notes.push(`${where}: ${text} has host bits set; using ${cidr}`);
  return cidr;
}

/** Parses the file's text; `path` only labels errors ("path:line: ..."). Throws SubnetFileError. */
export function parseSubnetList(text: string, path: string): SubnetList {
  const subnets: Cidr[] = [];
  const notes: string[] = [];
  for (const [index, rawLine] of text.split('\n').entries()) {
    const line = rawLine.replace(/#.*/, '').trim();
    if (line === '') continue;
    const where = `${path}:${index + 1}`;
    if (/\s/.test(line)) throw new SubnetFileError(`${where}: one prefix per line, found "${line}"`);
    const cidr = parseSubnetEntry(line, where, notes);
    if (!subnets.includes(cidr)) subnets.push(cidr);
  }
  if (subnets.length === 0) {
    throw new SubnetFileError(
      `${path}: no prefixes found; list the load balancers' subnets, or drop -allowed-subnets to allow every peer`,
    );
  }
  return { subnets, notes };
}

/** Reads and parses the file; unreadable files become a SubnetFileError naming the path. */
export async function loadSubnetFile(path: string): Promise<SubnetList> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SubnetFileError(`cannot read allowed-subnets file ${path}: ${readFailure(error)}`);
  }
  return parseSubnetList(text, path);
}
