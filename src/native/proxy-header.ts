/**
 * Parses a PROXY protocol header with the project's one parser, the native
 * one (native/src/proxy_header/). Feed it every byte received so far: it
 * answers need_more, error (a stable code) or complete (the header's length;
 * bytes after it belong to the application).
 */
import { native } from './addon.js';
import type { ProxyHeaderErrorInfo, ProxyParseResult } from '../proxy-protocol/types.js';

export function parseProxyHeader(data: Uint8Array): ProxyParseResult {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`parseProxyHeader expects a Buffer or Uint8Array, got ${typeof data}`);
  }
  return native().parseProxyHeader(data);
}

/** Every code the parser can reject a header with, and its message (for docs and counters). */
export function proxyHeaderErrorCodes(): ProxyHeaderErrorInfo[] {
  return native().proxyHeaderErrorCodes();
}

/** The native parser's CRC32C (the TypeScript one is in ./crc32c.ts); for cross-checks. */
export function nativeCrc32c(data: Uint8Array): number {
  if (!(data instanceof Uint8Array)) throw new TypeError('nativeCrc32c expects a Buffer or Uint8Array');
  return native().proxyHeaderCrc32c(data);
}
