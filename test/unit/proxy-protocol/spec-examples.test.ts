/** The examples and listed cases of HAProxy's doc/proxy-protocol.txt, one by one. */
import assert from 'node:assert/strict';

import { parseProxyHeader } from '../../../src/native/proxy-header.js';
import type { ProxyParseResult } from '../../../src/proxy-protocol/types.js';
import { ascii, tlvBytes, v2 } from './helpers.js';

function complete(result: ProxyParseResult) {
  assert.equal(result.status, 'complete', JSON.stringify(result));
  return result;
}

const FULL_IPV6 = Array(8).fill('ffff').join(':');

describe('PROXY spec examples', () => {
  describe('2.1 version 1', () => {
    it('parses the example line before an HTTP request and leaves the request alone', () => {
      const line = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n';
      const request = 'GET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n';
      const result = complete(parseProxyHeader(ascii(line + request)));
      assert.equal(result.length, line.length);
      assert.deepEqual(result.header, {
        version: 1,
        command: 'proxy',
        family: 'inet',
        transport: 'stream',
        source: { address: '192.168.0.1', port: 56324 },
        destination: { address: '192.168.0.11', port: 443 },
        tlvs: [],
      });
    });

    const longest: [string, string, number][] = [
      ['TCP/IPv4', 'PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n', 56],
      ['TCP/IPv6', `PROXY TCP6 ${FULL_IPV6} ${FULL_IPV6} 65535 65535\r\n`, 104],
      ['unknown connection (short form)', 'PROXY UNKNOWN\r\n', 15],
      ['worst case', `PROXY UNKNOWN ${FULL_IPV6} ${FULL_IPV6} 65535 65535\r\n`, 107],
    ];
    for (const [name, line, size] of longest) {
      it(`accepts the maximum line for ${name} (${size} chars)`, () => {
        assert.equal(line.length, size);
        assert.equal(complete(parseProxyHeader(ascii(line))).length, size);
      });
    }

    it('treats UNKNOWN as "use the real connection" and ignores what follows it', () => {
      const header = complete(parseProxyHeader(ascii('PROXY UNKNOWN whatever\tthe sender\rsays\r\n'))).header;
      assert.deepEqual(header, { version: 1, command: 'proxy', family: 'unspec', transport: 'unspec', tlvs: [] });
    });

    it('accepts IPv6 with upper and lower case hex and one "::"', () => {
      const header = complete(
        parseProxyHeader(ascii('PROXY TCP6 2001:DB8::a 2001:0db8:0:0:0:0:0:B 0 65535\r\n')),
      ).header;
      assert.deepEqual(header.source, { address: '2001:db8::a', port: 0 });
      assert.deepEqual(header.destination, { address: '2001:db8::b', port: 65535 });
    });
  });

  describe('2.2 version 2', () => {
    const ipv4Block = Buffer.from([192, 0, 2, 1, 198, 51, 100, 7, 0xdc, 0x04, 0x01, 0xbb]);
    const ipv6Block = Buffer.concat([
      Buffer.from('20010db8000000000000000000000001', 'hex'),
      Buffer.from('20010db8000000000000000000000002', 'hex'),
      Buffer.from([0xdc, 0x04, 0x01, 0xbb]),
    ]);
    const unixBlock = Buffer.alloc(216);
    unixBlock.write('/run/client.sock', 0);
    unixBlock.write('/run/server.sock', 108);

    const listed: [number, string, string, Buffer][] = [
      [0x11, 'inet', 'stream', ipv4Block],
      [0x12, 'inet', 'dgram', ipv4Block],
      [0x21, 'inet6', 'stream', ipv6Block],
      [0x22, 'inet6', 'dgram', ipv6Block],
      [0x31, 'unix', 'stream', unixBlock],
      [0x32, 'unix', 'dgram', unixBlock],
    ];
    for (const [byte, family, transport, block] of listed) {
      it(`decodes protocol byte 0x${byte.toString(16)} (${family} ${transport}, ${block.length}-byte block)`, () => {
        const result = complete(parseProxyHeader(v2(0x21, byte, block)));
        assert.equal(result.length, 16 + block.length);
        assert.equal(result.header.family, family);
        assert.equal(result.header.transport, transport);
        if (family === 'unix') {
          assert.deepEqual(result.header.source, { path: '/run/client.sock' });
          assert.deepEqual(result.header.destination, { path: '/run/server.sock' });
        } else {
          assert.equal((result.header.source as { port: number }).port, 56324);
          assert.equal((result.header.destination as { port: number }).port, 443);
        }
      });
    }

    it('accepts UNSPEC (0x00) with PROXY and carries no addresses', () => {
      const header = complete(parseProxyHeader(v2(0x21, 0x00))).header;
      assert.equal(header.family, 'unspec');
      assert.equal(header.source, undefined);
    });

    it('accepts LOCAL with length 0, as senders should send it', () => {
      const result = complete(parseProxyHeader(v2(0x20, 0x00)));
      assert.equal(result.length, 16);
      assert.equal(result.header.command, 'local');
    });

    it('skips per length for LOCAL: an address block is still skipped and TLVs after it read', () => {
      const result = complete(parseProxyHeader(v2(0x20, 0x11, Buffer.concat([ipv4Block, tlvBytes(0x04, 'pad')]))));
      assert.equal(result.length, 16 + 12 + 6);
      assert.equal(result.header.command, 'local');
      assert.deepEqual(
        result.header.tlvs.map((t) => t.name),
        ['noop'],
      );
    });

    it('reads the 16 + len bytes of the sample code and leaves the rest', () => {
      const data = Buffer.concat([v2(0x21, 0x11, ipv4Block), ascii('SSH-2.0-x\r\n')]);
      assert.equal(complete(parseProxyHeader(data)).length, 28);
    });

    it('decodes each registered TLV type (2.2.1-2.2.7) and keeps unknown ones raw', () => {
      const ssl = Buffer.concat([
        Buffer.from([0x07, 0, 0, 0, 0]),
        tlvBytes(0x21, 'TLSv1.3'),
        tlvBytes(0x22, 'example.com'),
        tlvBytes(0x23, 'ECDHE-RSA-AES128-GCM-SHA256'),
        tlvBytes(0x24, 'RSA-SHA256'),
        tlvBytes(0x25, 'RSA2048'),
        tlvBytes(0x26, 'secp256r1'),
        tlvBytes(0x27, 'rsa_pss_rsae_sha256'),
        tlvBytes(0x28, Buffer.from([0x30, 0x82])),
        tlvBytes(0x29, 'future'),
      ]);
      const body = Buffer.concat([
        ipv4Block,
        tlvBytes(0x01, 'h2'),
        tlvBytes(0x02, 'example.com'),
        tlvBytes(0x04, Buffer.alloc(3)),
        tlvBytes(0x05, Buffer.from([1, 2, 3])),
        tlvBytes(0x20, ssl),
        tlvBytes(0x30, 'blue'),
        tlvBytes(0xe0, 'custom'),
      ]);
      const { tlvs } = complete(parseProxyHeader(v2(0x21, 0x11, body))).header;
      assert.deepEqual(
        tlvs.map((t) => [t.type, t.name]),
        [
          [0x01, 'alpn'],
          [0x02, 'authority'],
          [0x04, 'noop'],
          [0x05, 'unique_id'],
          [0x20, 'ssl'],
          [0x30, 'netns'],
          [0xe0, 'unknown'],
        ],
      );
      const [alpn, authority, , uniqueId, sslTlv, netns, custom] = tlvs;
      assert.equal(alpn?.name === 'alpn' && alpn.alpn, 'h2');
      assert.equal(authority?.name === 'authority' && authority.authority, 'example.com');
      assert.deepEqual(uniqueId?.name === 'unique_id' && uniqueId.uniqueId, Buffer.from([1, 2, 3]));
      assert.equal(netns?.name === 'netns' && netns.netns, 'blue');
      assert.deepEqual(custom?.value, ascii('custom'));
      assert.ok(sslTlv?.name === 'ssl');
      const { tlvs: subs, ...info } = sslTlv.ssl;
      assert.deepEqual(info, {
        client: 7,
        verify: 0,
        clientSsl: true,
        clientCertConn: true,
        clientCertSess: true,
        version: 'TLSv1.3',
        cn: 'example.com',
        cipher: 'ECDHE-RSA-AES128-GCM-SHA256',
        sigAlg: 'RSA-SHA256',
        keyAlg: 'RSA2048',
        group: 'secp256r1',
        sigScheme: 'rsa_pss_rsae_sha256',
        clientCert: Buffer.from([0x30, 0x82]),
      });
      assert.deepEqual(
        subs.map((s) => s.name),
        [
          'ssl_version',
          'ssl_cn',
          'ssl_cipher',
          'ssl_sig_alg',
          'ssl_key_alg',
          'ssl_group',
          'ssl_sig_scheme',
          'ssl_client_cert',
          'unknown',
        ],
      );
    });

    it('accepts the TLV length limits: UNIQUE_ID of 128, AUTHORITY of 255, empty NOOP', () => {
      const body = Buffer.concat([
        tlvBytes(0x05, Buffer.alloc(128)),
        tlvBytes(0x02, 'a'.repeat(255)),
        tlvBytes(0x04, ''),
        tlvBytes(0x05, ''),
      ]);
      assert.equal(complete(parseProxyHeader(v2(0x20, 0x00, body))).header.tlvs.length, 4);
    });
  });
});
