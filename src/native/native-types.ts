/**
 * Types of everything the native addon exports, one interface per part,
 * composed into NativeAddon. TypeScript validates arguments before they cross;
 * C++ assumes clean input and throws NativeError on failure.
 */
import type { NativeError } from './errors.js';

export interface ErrorsNative {
  setErrorClass(cls: typeof NativeError): void;
}

export type NativeAddon = ErrorsNative;
