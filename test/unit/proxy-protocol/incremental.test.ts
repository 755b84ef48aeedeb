/**
 * A header may arrive split anywhere: fed the bytes received so far, the
 * parser gives the same verdict whatever the split, at the earliest byte, and
 * `length` points exactly at the application's first byte.
 */
import assert from 'node:assert/strict';

import { encodeProxyHeader } from '../../../src/proxy-protocol/encode.js';
import { parseProxyHeader } from '../../../src/native/proxy-header.js';
import { ascii, byteAtATime, feed, randomSplit, seededRandom, tlvBytes, v2 } from './helpers.js';

const V4 = { source: { address: '203.0.113.9', port: 1234 }, destination: { address: '192.0.2.80', port: 80 } };
const V6 = { source: { address: '2001:db8::9', port: 1234 }, destination: { address: '2001:db8::80', port: 80 } };
const APP = ascii('GET / HTTP/1.1\r\nHost: example\r\n\r\n\x00\x0d\x0a binary tail');

const SAMPLES: [string, Buffer][] = [
  ['v1 TCP4', encodeProxyHeader({ version: 1, ...V4 })],
  ['v1 TCP6', encodeProxyHeader({ version: 1, ...V6 })],
  ['v1 UNKNOWN', encodeProxyHeader({ version: 1 })],
  ['v1 UNKNOWN, longest', encodeProxyHeader({ version: 1, unknown: true, ...V6 })],
  ['v2 LOCAL', encodeProxyHeader({ version: 2, command: 'local' })],
  ['v2 IPv4 stream', encodeProxyHeader({ version: 2, ...V4 })],
  ['v2 IPv6 dgram', encodeProxyHeader({ version: 2, transport: 'dgram', ...V6 })],
  ['v2 UNIX', encodeProxyHeader({ version: 2, source: { path: '/a' }, destination: { path: '/b' } })],
  [
    'v2 with TLVs and CRC32C',
    encodeProxyHeader({
      version: 2,
      ...V6,
      crc32c: true,
      tlvs: [{ alpn: 'h2' }, { ssl: { version: 'TLSv1.3', cn: 'c' } }, { uniqueId: 'id' }, { noop: 0 }],
    }),
  ],
  ['bad: HTTP', ascii('GET / HTTP/1.0\r\n')],
  ['bad: v1 address', ascii('PROXY TCP4 192.0.2.300 192.0.2.1 1 2\r\n')],
  ['bad: v1 without CRLF', ascii(`PROXY UNKNOWN ${'z'.repeat(150)}`)],
  ['bad: v2 TLV overrun', v2(0x21, 0x00, Buffer.from([0x04, 0x00, 0x05, 1]))],
  ['bad: v2 SSL sub-TLV', v2(0x21, 0x00, tlvBytes(0x20, Buffer.concat([Buffer.alloc(5), Buffer.from([0x21, 0, 9])])))],
];

function crcBroken(): Buffer {
  const header = encodeProxyHeader({ version: 2, ...V4, crc32c: true, tlvs: [{ authority: 'a' }] });
  header[20]! ^= 0x80;
  return header;
}
SAMPLES.push(['bad: v2 CRC32C', crcBroken()]);

describe('PROXY parser fed incrementally', () => {
  for (const [name, header] of SAMPLES) {
    const data = Buffer.concat([header, APP]);
    const whole = parseProxyHeader(data);

    it(`${name}: byte at a time gives the whole-buffer verdict at the earliest byte`, () => {
      const fed = byteAtATime(data);
      assert.deepEqual(fed.result, whole);
      if (whole.status === 'complete') {
        assert.equal(whole.length, header.length);
        assert.equal(fed.receivedAt, header.length, 'complete exactly when the last header byte arrives');
        assert.deepEqual(data.subarray(whole.length), APP, 'application bytes start right at length');
      } else {
        assert.equal(whole.status, 'error');
        assert.ok(fed.receivedAt <= header.length);
      }
    });

    it(`${name}: 200 seeded random splits agree`, () => {
      const expected = byteAtATime(data);
      for (let seed = 1; seed <= 200; seed++) {
        const chunks = randomSplit(data.length, seededRandom(seed));
        const fed = feed(data, chunks);
        assert.deepEqual(fed.result, expected.result, `seed ${seed}, chunks ${chunks.join(',')}`);
        // The verdict arrives with the chunk that holds the deciding byte.
        assert.ok(fed.receivedAt >= expected.receivedAt, `seed ${seed}`);
        assert.ok(fed.receivedAt - Math.max(...chunks) < expected.receivedAt, `seed ${seed}`);
      }
    });
  }

  it('answers need_more for every strict prefix of a valid header', () => {
    for (const [name, header] of SAMPLES.filter(([n]) => !n.startsWith('bad'))) {
      for (let n = 0; n < header.length; n++) {
        assert.deepEqual(parseProxyHeader(header.subarray(0, n)), { status: 'need_more' }, `${name} at ${n}`);
      }
    }
  });
});
