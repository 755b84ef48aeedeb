/**
 * Types of everything the native addon exports, one interface per part,
 * composed into NativeAddon. TypeScript validates arguments before they cross;
 * C++ assumes clean input and throws NativeError on failure.
 */
import type { ProxyHeaderErrorInfo, ProxyParseResult } from '../proxy-protocol/types.js';
import type { DataPlaneConstructor } from './dataplane-types.js';
import type { NativeError } from './errors.js';

export interface ErrorsNative {
  setErrorClass(cls: typeof NativeError): void;
}

/** The PROXY protocol parser (native/src/proxy_header/binding.cc). */
export interface ProxyHeaderNative {
  parseProxyHeader(data: Uint8Array): ProxyParseResult;
  proxyHeaderErrorCodes(): ProxyHeaderErrorInfo[];
  /** The parser's CRC32C, for cross-checks against src/proxy-protocol/crc32c.ts. */
  proxyHeaderCrc32c(data: Uint8Array): number;
}

/** The TCP data plane (native/src/dataplane/). */
export interface DataPlaneNative {
  DataPlane: DataPlaneConstructor;
}

export type NativeAddon = ErrorsNative & ProxyHeaderNative & DataPlaneNative;
