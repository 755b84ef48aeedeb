/**
 * The PROXY protocol in TypeScript: the header model, an encoder and CRC32C.
 * The one parser is the native one (src/native/proxy-header.ts).
 */
export { encodeProxyHeader } from './encode.js';
export type { EncodeOptions, SslInput, TlvInput, V1HeaderOptions, V2HeaderOptions } from './encode.js';
export { crc32c } from './crc32c.js';
export * from './types.js';
