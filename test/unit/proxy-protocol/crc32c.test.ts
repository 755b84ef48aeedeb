/** CRC32C: known vectors for both implementations, and each against the other through real headers. */
import assert from 'node:assert/strict';

import { crc32c } from '../../../src/proxy-protocol/crc32c.js';
import { encodeProxyHeader } from '../../../src/proxy-protocol/encode.js';
import { nativeCrc32c, parseProxyHeader } from '../../../src/native/proxy-header.js';
import { seededRandom } from './helpers.js';

// "123456789" is the check value of the CRC catalogue; the 32-byte ones are
// RFC 3720 (iSCSI) appendix B.4.
const VECTORS: [string, Buffer, number][] = [
  ['"123456789"', Buffer.from('123456789', 'ascii'), 0xe3069283],
  ['empty', Buffer.alloc(0), 0],
  ['32 zero bytes', Buffer.alloc(32), 0x8a9136aa],
  ['32 0xFF bytes', Buffer.alloc(32, 0xff), 0x62a8ab43],
  ['0..31', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
  ['31..0', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
];

describe('CRC32C', () => {
  for (const [name, data, expected] of VECTORS) {
    it(`${name} → 0x${expected.toString(16)} in TypeScript and in C++`, () => {
      assert.equal(crc32c(data), expected);
      assert.equal(nativeCrc32c(data), expected);
    });
  }

  it('continues a checksum across chunks', () => {
    const data = Buffer.from('123456789', 'ascii');
    assert.equal(crc32c(data.subarray(4), crc32c(data.subarray(0, 4))), 0xe3069283);
  });

  it('the parser accepts headers whose CRC32C TypeScript computed, and rejects every single-bit flip', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 20; i++) {
      const uniqueId = Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 100) }, () => Math.floor(random() * 256)),
      );
      const header = encodeProxyHeader({
        version: 2,
        source: { address: '192.0.2.1', port: Math.floor(random() * 65536) },
        destination: { address: '198.51.100.1', port: 443 },
        crc32c: true,
        tlvs: [{ uniqueId }],
      });
      assert.equal(parseProxyHeader(header).status, 'complete');
      // Flips in the 16-byte prefix or the TLV framing fail other checks first; the addresses and values do not.
      for (const offset of [16, 20, 27, 28 + 3, 35 + 3, header.length - 1]) {
        const flipped = Buffer.from(header);
        flipped[offset]! ^= 1 << Math.floor(random() * 8);
        const result = parseProxyHeader(flipped);
        assert.equal(result.status === 'error' && result.code, 'ERR_V2_CRC32C_MISMATCH', `offset ${offset}`);
      }
    }
  });
});
