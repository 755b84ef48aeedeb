/**
 * Prefixes ("192.0.2.0/24", "2001:db8::/32"): one parser, one text form, one
 * containment test, for the allowed-subnets file, the doctor's rule
 * evaluation and anything else that matches addresses against prefixes.
 */
import { addressBits, formatIp, ipToBigInt, parseIp, type IpAddress } from './ip.js';

/** A prefix in its canonical text form, as the data plane takes it ("192.0.2.0/24"). */
export type Cidr = string;

export interface Prefix {
  address: IpAddress;
  length: number;
}

/** Why a prefix did not parse; the caller adds where it came from. */
export class CidrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CidrError';
  }
}

/** Clears the bits after the first `length` bits. */
function withoutHostBits(address: IpAddress, length: number): IpAddress {
  const bytes = Uint8Array.from(address.bytes, (byte, i) => {
    const keep = Math.max(0, Math.min(8, length - i * 8));
    return byte & (0xff << (8 - keep)) & 0xff;
  });
  return { family: address.family, bytes };
}

/**
 * Parses "ADDRESS/LENGTH", or a bare address (a single host). Host bits are
 * cleared, as Go's net.ParseCIDR does; `hostBitsSet` says whether there were any.
 */
export function parseCidr(text: string): Prefix & { hostBitsSet: boolean } {
  const [addressText = '', lengthText, extra] = text.split('/');
  if (extra !== undefined) throw new CidrError(`"${text}" is not a prefix like 192.0.2.0/24`);
  const address = parseIp(addressText);
  if (!address) throw new CidrError(`"${addressText}" is not a numeric IPv4 or IPv6 address`);
  const maxLength = addressBits(address.family);
  if (lengthText === undefined) return { address, length: maxLength, hostBitsSet: false };
  const length = /^[0-9]{1,3}$/.test(lengthText) ? Number(lengthText) : NaN;
  if (!(length >= 0 && length <= maxLength)) {
    throw new CidrError(`prefix length "/${lengthText}" must be 0 to ${maxLength}`);
  }
  const network = withoutHostBits(address, length);
  return { address: network, length, hostBitsSet: formatIp(network) !== formatIp(address) };
}

export function formatCidr(prefix: Prefix): Cidr {
  return `${formatIp(prefix.address)}/${prefix.length}`;
}

/** True when `address` lies inside the prefix; an address of the other family never does. */
export function prefixContains(prefix: Prefix, address: IpAddress): boolean {
  if (prefix.address.family !== address.family) return false;
  const shift = BigInt(addressBits(address.family) - prefix.length);
  return ipToBigInt(prefix.address) >> shift === ipToBigInt(address) >> shift;
}
