/** The PROXY protocol codec: native parser, TypeScript encoder and CRC32C. */
export { parseProxyHeader, proxyHeaderErrorCodes } from './parse.js';
export { encodeProxyHeader } from './encode.js';
export type { EncodeOptions, SslInput, TlvInput, V1HeaderOptions, V2HeaderOptions } from './encode.js';
export { crc32c } from './crc32c.js';
export * from './types.js';
