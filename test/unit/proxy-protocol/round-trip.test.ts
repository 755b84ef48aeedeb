/** encodeProxyHeader → parseProxyHeader gives back what was encoded, for every shape of header. */
import assert from 'node:assert/strict';

import { encodeProxyHeader, type EncodeOptions } from '../../../src/proxy-protocol/encode.js';
import { crc32c } from '../../../src/proxy-protocol/crc32c.js';
import { parseProxyHeader } from '../../../src/native/proxy-header.js';
import type { ProxyHeader, ProxyParseResult } from '../../../src/proxy-protocol/types.js';
import { ascii } from './helpers.js';

const V4 = { source: { address: '192.0.2.10', port: 40000 }, destination: { address: '198.51.100.20', port: 443 } };
const V6 = { source: { address: '2001:db8::10', port: 1 }, destination: { address: '2001:db8:0:1::20', port: 65535 } };
const MAPPED = {
  source: { address: '::ffff:192.0.2.10', port: 0 },
  destination: { address: '::ffff:198.51.100.1', port: 80 },
};
const UNIX = { source: { path: '/run/haproxy/client.sock' }, destination: { path: '/run/app.sock' } };

function header(result: ProxyParseResult, length: number): ProxyHeader {
  assert.equal(result.status, 'complete', JSON.stringify(result));
  assert.ok(result.status === 'complete');
  assert.equal(result.length, length);
  return result.header;
}

/** Parses `options`' header followed by application bytes, which must stay out of it. */
function roundTrip(options: EncodeOptions): ProxyHeader {
  const encoded = encodeProxyHeader(options);
  return header(parseProxyHeader(Buffer.concat([encoded, ascii('APP DATA')])), encoded.length);
}

describe('PROXY encoder → parser round trips', () => {
  it('v1 TCP4', () => {
    assert.equal(
      encodeProxyHeader({ version: 1, ...V4 }).toString('latin1'),
      'PROXY TCP4 192.0.2.10 198.51.100.20 40000 443\r\n',
    );
    assert.deepEqual(roundTrip({ version: 1, ...V4 }), {
      version: 1,
      command: 'proxy',
      family: 'inet',
      transport: 'stream',
      ...V4,
      tlvs: [],
    });
  });

  it('v1 TCP6, also with mapped IPv4 addresses', () => {
    assert.deepEqual(roundTrip({ version: 1, ...V6 }), {
      version: 1,
      command: 'proxy',
      family: 'inet6',
      transport: 'stream',
      ...V6,
      tlvs: [],
    });
    assert.deepEqual(roundTrip({ version: 1, ...MAPPED }).source, MAPPED.source);
  });

  it('v1 UNKNOWN, short and with addresses', () => {
    assert.equal(encodeProxyHeader({ version: 1 }).toString('latin1'), 'PROXY UNKNOWN\r\n');
    const unspec = { version: 1, command: 'proxy', family: 'unspec', transport: 'unspec', tlvs: [] };
    assert.deepEqual(roundTrip({ version: 1 }), unspec);
    assert.deepEqual(roundTrip({ version: 1, unknown: true, ...V6 }), unspec);
  });

  for (const transport of ['stream', 'dgram'] as const) {
    it(`v2 PROXY ${transport} over IPv4, IPv6 and UNIX`, () => {
      for (const endpoints of [V4, V6, UNIX]) {
        const parsed = roundTrip({ version: 2, transport, ...endpoints });
        assert.equal(parsed.transport, transport);
        assert.deepEqual([parsed.source, parsed.destination], [endpoints.source, endpoints.destination]);
      }
    });
  }

  it('v2 LOCAL and v2 PROXY UNSPEC', () => {
    assert.deepEqual(roundTrip({ version: 2, command: 'local' }), {
      version: 2,
      command: 'local',
      family: 'unspec',
      transport: 'unspec',
      tlvs: [],
    });
    assert.equal(encodeProxyHeader({ version: 2, command: 'local' }).length, 16);
    assert.equal(roundTrip({ version: 2 }).family, 'unspec');
  });

  it('v2 with every kind of TLV, SSL sub-TLVs included, and a CRC32C', () => {
    const parsed = roundTrip({
      version: 2,
      ...V6,
      crc32c: true,
      tlvs: [
        { alpn: 'h2' },
        { authority: 'www.example.com' },
        { noop: 5 },
        { uniqueId: Buffer.from('0123456789abcdef', 'hex') },
        {
          ssl: {
            client: 0x05,
            verify: 1,
            version: 'TLSv1.3',
            cn: 'client.example',
            cipher: 'TLS_AES_128_GCM_SHA256',
            sigAlg: 'ECDSA-SHA256',
            keyAlg: 'EC256',
            group: 'x25519',
            sigScheme: 'ecdsa_secp256r1_sha256',
            clientCert: Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]),
            tlvs: [{ type: 0x2a, value: 'later' }],
          },
        },
        { netns: 'tenant-a' },
        { type: 0xe7, value: Buffer.from([0, 1, 2]) },
      ],
    });
    assert.deepEqual(
      parsed.tlvs.map((t) => t.name),
      ['crc32c', 'alpn', 'authority', 'noop', 'unique_id', 'ssl', 'netns', 'unknown'],
    );
    const ssl = parsed.tlvs[5]!;
    assert.ok(ssl.name === 'ssl');
    assert.equal(ssl.ssl.client, 0x05);
    assert.equal(ssl.ssl.verify, 1);
    assert.equal(ssl.ssl.clientSsl && !ssl.ssl.clientCertConn && ssl.ssl.clientCertSess, true);
    assert.equal(ssl.ssl.group, 'x25519');
    assert.deepEqual(ssl.ssl.tlvs.at(-1), { type: 0x2a, name: 'unknown', value: ascii('later') });
    assert.deepEqual(parsed.tlvs.at(-1), { type: 0xe7, name: 'unknown', value: Buffer.from([0, 1, 2]) });
  });

  it('v2 CRC32C: the stored value is the checksum of the header with the field zeroed', () => {
    const encoded = encodeProxyHeader({ version: 2, ...V4, crc32c: true, tlvs: [{ authority: 'example.com' }] });
    const field = 16 + 12 + 3;
    const stored = encoded.readUInt32BE(field);
    const zeroed = Buffer.from(encoded);
    zeroed.writeUInt32BE(0, field);
    assert.equal(stored, crc32c(zeroed));
    const parsed = roundTrip({ version: 2, ...V4, crc32c: true, tlvs: [{ authority: 'example.com' }] });
    assert.equal(parsed.tlvs[0]?.name === 'crc32c' && parsed.tlvs[0].crc32c, stored);
  });

  it('feeds parsed TLVs back into the encoder unchanged', () => {
    const first = roundTrip({ version: 2, ...V4, tlvs: [{ alpn: 'http/1.1' }, { ssl: { version: 'TLSv1.2' } }] });
    const again = roundTrip({ version: 2, ...V4, tlvs: first.tlvs });
    assert.deepEqual(again, first);
  });

  it('refuses options that cannot make a valid header, saying why', () => {
    assert.throws(() => encodeProxyHeader({ version: 1, source: V4.source }), /both source and destination/);
    assert.throws(
      () => encodeProxyHeader({ version: 1, source: V4.source, destination: V6.destination }),
      /same family/,
    );
    assert.throws(
      () => encodeProxyHeader({ version: 2, ...V4, source: { address: '192.0.2.1', port: 70000 } }),
      /port must be an integer/,
    );
    assert.throws(
      () => encodeProxyHeader({ version: 2, source: { path: 'x'.repeat(109) }, destination: UNIX.destination }),
      /longer than 108 bytes/,
    );
    assert.throws(
      () => encodeProxyHeader({ version: 2, source: UNIX.source, destination: V4.destination }),
      /cannot be mixed/,
    );
    assert.throws(
      () => encodeProxyHeader({ version: 2, tlvs: [{ type: 0x99, value: Buffer.alloc(65536) }] }),
      /exceeds 65535/,
    );
  });
});
