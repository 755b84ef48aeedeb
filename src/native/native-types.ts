/**
 * Types of everything the native addon exports, one interface per part,
 * composed into NativeAddon. TypeScript validates arguments before they cross;
 * C++ assumes clean input and throws NativeError on failure.
 */
import type { DataPlaneConstructor } from './dataplane-types.js';
import type { NativeError } from './errors.js';

export interface ErrorsNative {
  setErrorClass(cls: typeof NativeError): void;
}

/** The TCP data plane (native/src/dataplane/). */
export interface DataPlaneNative {
  DataPlane: DataPlaneConstructor;
}

export type NativeAddon = ErrorsNative & DataPlaneNative;
