/**
 * Writes the fuzzer's seed corpus (native/fuzz/corpus/): one file per shape
 * of header the spec describes, a few broken ones, and bare address tokens
 * for the inet_pton() comparison. Run after `npm run build:ts`:
 *   node dist/scripts/make-fuzz-seeds.js
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { encodeProxyHeader, type EncodeOptions } from '../src/proxy-protocol/encode.js';

const DIRECTORY = join('native', 'fuzz', 'corpus');
const V4 = { source: { address: '192.0.2.1', port: 56324 }, destination: { address: '198.51.100.7', port: 443 } };
const V6 = { source: { address: '2001:db8::1', port: 1 }, destination: { address: '::ffff:192.0.2.9', port: 65535 } };
const UNIX = { source: { path: '/run/a.sock' }, destination: { path: '\0abstract' } };
const FULL_IPV6 = Array(8).fill('ffff').join(':');

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
};

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
for (const [name, text] of Object.entries(raw)) writeFileSync(join(DIRECTORY, name), Buffer.from(text, 'latin1'));
console.log(`wrote ${Object.keys(headers).length + Object.keys(raw).length} seeds to ${DIRECTORY}`);
