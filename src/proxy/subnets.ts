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

import type { Cidr } from '../native/dataplane-types.js';
import { formatIp, parseIp, type IpAddress } from './ip.js';

export class SubnetFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubnetFileError';
  }
}

export interface SubnetList {
  /** Canonical, de-duplicated, in file order. */
  subnets: Cidr[];
  /** Lines that were accepted but changed ("file:3: host bits set ..."). */
  notes: string[];
}

/** Clears the bits after the first `length` bits, in place. */
function clearHostBits(address: IpAddress, length: number): void {
  for (let i = 0; i < address.bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, length - i * 8));
    address.bytes[i]! &= (0xff << (8 - keep)) & 0xff;
  }
}

function parsePrefix(text: string, where: string, notes: string[]): Cidr {
  const [addressText = '', lengthText, extra] = text.split('/');
  if (extra !== undefined) throw new SubnetFileError(`${where}: "${text}" is not a prefix like 192.0.2.0/24`);
  const address = parseIp(addressText);
  if (!address) {
    throw new SubnetFileError(`${where}: "${addressText}" is not a numeric IPv4 or IPv6 address`);
  }
  const maxLength = address.family === 4 ? 32 : 128;
  if (lengthText === undefined) return `${formatIp(address)}/${maxLength}`;
  const length = /^[0-9]{1,3}$/.test(lengthText) ? Number(lengthText) : NaN;
  if (!(length >= 0 && length <= maxLength)) {
    throw new SubnetFileError(`${where}: prefix length "/${lengthText}" must be 0 to ${maxLength}`);
  }
  const written = `${formatIp(address)}/${length}`;
  clearHostBits(address, length);
  const cidr = `${formatIp(address)}/${length}`;
  if (cidr !== written) notes.push(`${where}: ${text} has host bits set; using ${cidr}`);
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
    const cidr = parsePrefix(line, where, notes);
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
    // Node's message reads "ENOENT: no such file or directory, open '…'": keep the middle part.
    const { code, message } = error as NodeJS.ErrnoException;
    const reason = /^\w+: ([^,]+)/.exec(message)?.[1] ?? message;
    throw new SubnetFileError(`cannot read allowed-subnets file ${path}: ${reason}${code ? ` (${code})` : ''}`);
  }
  return parseSubnetList(text, path);
}
