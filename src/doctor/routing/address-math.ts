/** Prefix arithmetic on numeric IPv4/IPv6 addresses, as bigints. */
import { isIP } from 'node:net';

export function addressToBigInt(address: string): bigint {
  if (isIP(address) === 4) {
    return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
  }
  const [head = '', tail] = address.split('::');
  const parts = (text: string) => (text === '' ? [] : text.split(':'));
  const left = parts(head);
  const right = tail === undefined ? [] : parts(tail);
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

/** True when `address` lies inside `prefix`/`length` (same family assumed). */
export function prefixContains(prefix: string, length: number, address: string): boolean {
  const bits = isIP(address) === 4 ? 32 : 128;
  if (isIP(prefix) !== isIP(address)) return false;
  const shift = BigInt(bits - length);
  return addressToBigInt(prefix) >> shift === addressToBigInt(address) >> shift;
}

export function isLoopbackAddress(address: string): boolean {
  return isIP(address) === 4 ? prefixContains('127.0.0.0', 8, address) : address === '::1';
}

export function hostPrefixLength(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}
