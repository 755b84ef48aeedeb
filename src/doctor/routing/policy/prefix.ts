/**
 * The prefixes of rules and routes as the kernel holds them: a rule added
 * as `from 127.0.0.1/8` keeps its host bits, prints them, and `ip rule del`
 * compares them, so the text is kept as read. The arithmetic is base's.
 */
import { CidrError, parseCidr, prefixContains } from '../../../base/net/cidr.js';
import { isLoopback, parseIp } from '../../../base/net/ip.js';

export interface RulePrefix {
  /** The address as ip printed it, host bits included. */
  address: string;
  length: number;
}

/** "10.0.0.0/8", "::1/128"; null when it is not one. */
export function parsePrefix(text: string): RulePrefix | null {
  try {
    const { length } = parseCidr(text);
    return { address: text.split('/')[0] as string, length };
  } catch (error) {
    if (error instanceof CidrError) return null;
    throw error;
  }
}

export function prefixHas(prefix: RulePrefix, address: string): boolean {
  const ip = parseIp(address);
  return ip !== null && prefixContains(parseCidr(formatPrefix(prefix)), ip);
}

export function formatPrefix(prefix: RulePrefix): string {
  return `${prefix.address}/${prefix.length}`;
}

/** 127.0.0.0/8 or ::1. */
export function isLoopbackText(address: string): boolean {
  const ip = parseIp(address);
  return ip !== null && isLoopback(ip);
}
