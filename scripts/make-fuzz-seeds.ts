/**
 * Writes the fuzzer's seed corpus (native/fuzz/corpus/): one file per shape
 * of header the spec describes, a few broken ones, bare address tokens for
 * the inet_pton() comparison, and headers of the largest size a v2 header can
 * have (65551 bytes) made of long TLV chains, so the fuzzer starts from the
 * far end of the length field too. Run after `npm run build:ts`:
 *   node dist/scripts/make-fuzz-seeds.js
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { encodeProxyHeader, type EncodeOptions, type TlvInput } from '../src/proxy-protocol/encode.js';
import { SSL_SUBTLV_TYPES, TLV_TYPES } from '../src/proxy-protocol/types.js';

const DIRECTORY = join('native', 'fuzz', 'corpus');
const V4 = { source: { address: '192.0.2.1', port: 56324 }, destination: { address: '198.51.100.7', port: 443 } };
const V6 = { source: { address: '2001:db8::1', port: 1 }, destination: { address: '::ffff:192.0.2.9', port: 65535 } };
const UNIX = { source: { path: '/run/a.sock' }, destination: { path: '\0abstract' } };
const FULL_IPV6 = Array(8).fill('ffff').join(':');

// The v2 length field is 16 bits: the body after the 16 fixed bytes is at most 65535 bytes.
const MAX_V2_BODY = 0xffff;
const TLV_HEADER = 3;
const ADDRESS_BYTES = { v4: 12, v6: 36, unix: 216 };
const CRC32C_TLV = TLV_HEADER + 4;
const SSL_FIXED = 5;

/** Sizes of a chain of `bytes`: as many empty TLVs as fit, the last one taking the bytes left over. */
function chainSizes(bytes: number): number[] {
  const count = Math.floor(bytes / TLV_HEADER);
  return [...Array<number>(count - 1).fill(0), bytes - TLV_HEADER * count];
}

const noopChain = (bytes: number): TlvInput[] => chainSizes(bytes).map((size) => ({ noop: size }));

/** An SSL TLV's value of `bytes`: the client and verify fields, then a chain of SSL_VERSION sub-TLVs. */
function sslWithSubTlvChain(bytes: number): Buffer {
  const subTlvs = chainSizes(bytes - SSL_FIXED).map((size) =>
    Buffer.concat([Buffer.from([SSL_SUBTLV_TYPES.ssl_version, size >> 8, size & 0xff]), Buffer.alloc(size, 0x31)]),
  );
  return Buffer.concat([Buffer.from([0x07, 0, 0, 0, 0]), ...subTlvs]);
}

const headers: Record<string, EncodeOptions> = {
  'v1-tcp4': { version: 1, ...V4 },
  'v1-tcp6': { version: 1, ...V6 },
  'v1-unknown': { version: 1 },
  'v1-unknown-addresses': { version: 1, unknown: true, ...V6 },
  'v2-local': { version: 2, command: 'local' },
  'v2-unspec': { version: 2 },
  'v2-tcp4': { version: 2, ...V4 },
  'v2-udp6': { version: 2, transport: 'dgram', ...V6 },
  'v2-unix-stream': { version: 2, ...UNIX },
  'v2-tlvs-crc': {
    version: 2,
    ...V4,
    crc32c: true,
    tlvs: [
      { alpn: 'h2' },
      { authority: 'example.com' },
      { noop: 2 },
      { uniqueId: 'abc' },
      {
        ssl: { client: 7, version: 'TLSv1.3', cn: 'c', cipher: 'x', group: 'x25519', clientCert: Buffer.from([0x30]) },
      },
      { netns: 'ns' },
      { type: 0xe0, value: 'custom' },
    ],
  },
  // 65551 bytes: 21,838 NOOP TLVs and a CRC32C over all of them.
  'v2-max-noop-chain-crc': {
    version: 2,
    ...V4,
    crc32c: true,
    tlvs: noopChain(MAX_V2_BODY - ADDRESS_BYTES.v4 - CRC32C_TLV),
  },
  // 65551 bytes: one SSL TLV whose sub-TLV chain (21,829 of them) fills the header.
  'v2-max-ssl-subtlv-chain': {
    version: 2,
    ...V6,
    tlvs: [{ type: TLV_TYPES.ssl, value: sslWithSubTlvChain(MAX_V2_BODY - ADDRESS_BYTES.v6 - TLV_HEADER) }],
  },
  // 65551 bytes: UNIX addresses and a single custom TLV as long as what is left.
  'v2-max-one-tlv': {
    version: 2,
    ...UNIX,
    tlvs: [{ type: 0xe0, value: Buffer.alloc(MAX_V2_BODY - ADDRESS_BYTES.unix - TLV_HEADER, 0x61) }],
  },
};

/**
 * 65551 bytes of 21,841 empty NOOP TLVs (65523 = 3 × 21841) whose last one claims 1 byte more than is left:
 * the error at the far end of the longest chain.
 */
function lastTlvOverruns(): Buffer {
  const header = encodeProxyHeader({ version: 2, ...V4, tlvs: noopChain(MAX_V2_BODY - ADDRESS_BYTES.v4) });
  header.writeUInt16BE(1, header.length - 2);
  return header;
}

const raw: Record<string, string> = {
  'v1-spec-example': 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n',
  'v1-worst-case': `PROXY UNKNOWN ${FULL_IPV6} ${FULL_IPV6} 65535 65535\r\n`,
  'v1-bad-port': 'PROXY TCP4 1.2.3.4 5.6.7.8 080 1\r\n',
  'v1-too-long': `PROXY UNKNOWN ${'x'.repeat(120)}`,
  'http-request': 'GET / HTTP/1.1\r\n\r\n',
  'token-ipv4': '203.0.113.255',
  'token-ipv6': '2001:db8:0:1:2:3:4:5',
  'token-ipv6-compressed': 'fe80::1:2',
  'token-ipv6-dotted': '::ffff:198.51.100.1',
};

mkdirSync(DIRECTORY, { recursive: true });
for (const [name, options] of Object.entries(headers)) {
  writeFileSync(join(DIRECTORY, name), Buffer.concat([encodeProxyHeader(options), Buffer.from('payload')]));
}
writeFileSync(join(DIRECTORY, 'v2-max-last-tlv-overruns'), lastTlvOverruns());
for (const [name, text] of Object.entries(raw)) writeFileSync(join(DIRECTORY, name), Buffer.from(text, 'latin1'));
console.log(`wrote ${Object.keys(headers).length + Object.keys(raw).length + 1} seeds to ${DIRECTORY}`);
