/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78, RFC 4960 appendix B),
 * the checksum of the v2 CRC32C TLV. Written independently of the C++ one in
 * native/src/proxy_header/crc32c.cc so each can check the other.
 */
const POLYNOMIAL = 0x82f63b78;

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    table[byte] = crc >>> 0;
  }
  return table;
})();

/** Unsigned 32-bit CRC32C of `data`; pass a previous result as `crc` to continue it. */
export function crc32c(data: Uint8Array, crc = 0): number {
  let state = ~crc >>> 0;
  for (const byte of data) state = (state >>> 8) ^ TABLE[(state ^ byte) & 0xff]!;
  return ~state >>> 0;
}
