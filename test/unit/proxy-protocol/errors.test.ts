/**
 * Every error code, each at the earliest byte that proves the header bad:
 * `good` is a prefix that could still become a valid header (need_more),
 * `bad` the byte(s) that settle it, `rest` what a sender might have added.
 */
import assert from 'node:assert/strict';

import { encodeProxyHeader } from '../../../src/proxy-protocol/encode.js';
import { parseProxyHeader, proxyHeaderErrorCodes } from '../../../src/native/proxy-header.js';
import { PROXY_HEADER_ERROR_CODES } from '../../../src/proxy-protocol/types.js';
import { V2_SIGNATURE, ascii, byteAtATime, tlvBytes, v2 } from './helpers.js';

interface Case {
  code: string;
  why: string;
  good: Uint8Array;
  bad: Uint8Array;
  rest?: Uint8Array;
}

const V1_ADDRS = 'PROXY TCP4 192.0.2.1 198.51.100.1 ';
/** inet_pton() accepts these addresses, but the line is 116 bytes, over the spec's 107. */
const LONG_TCP6 = `PROXY TCP6 ${'ffff:'.repeat(6)}255.255.255.255 ${'ffff:'.repeat(6)}255.255.255.255 65535 65535\r\n`;
const INET_BLOCK = Buffer.from([192, 0, 2, 1, 198, 51, 100, 1, 0x13, 0x88, 0x00, 0x50]);
const text = (code: string, why: string, good: string, bad: string, rest = ''): Case => ({
  code,
  why,
  good: ascii(good),
  bad: ascii(bad),
  rest: ascii(rest),
});
/** A v2 case whose fixed part is `prefix` and whose decisive bytes are `bad`. */
const binary = (
  code: string,
  why: string,
  good: Uint8Array,
  bad: Uint8Array,
  rest: Uint8Array = Buffer.alloc(0),
): Case => ({
  code,
  why,
  good,
  bad,
  rest,
});

/** LOCAL/UNSPEC with `body` as its TLV area, split before the byte at `cut`. */
function localWithTlvs(code: string, why: string, body: Buffer, cut: number): Case {
  const whole = v2(0x20, 0x00, body);
  return binary(code, why, whole.subarray(0, cut - 1), whole.subarray(cut - 1, cut), whole.subarray(cut));
}

const CASES: Case[] = [
  text('ERR_NOT_PROXY_PROTOCOL', 'HTTP request', '', 'G', 'ET / HTTP/1.1\r\n\r\n'),
  binary('ERR_NOT_PROXY_PROTOCOL', 'TLS ClientHello', Buffer.alloc(0), Buffer.from([0x16]), Buffer.from([3, 1])),
  text('ERR_NOT_PROXY_PROTOCOL', 'SSH banner', '', 'S', 'SH-2.0-OpenSSH\r\n'),
  text('ERR_NOT_PROXY_PROTOCOL', 'misspelt PROXY', 'PRO', 'S', 'Y TCP4'),
  binary('ERR_NOT_PROXY_PROTOCOL', 'v2 signature off by one byte', V2_SIGNATURE.subarray(0, 7), Buffer.from([0x52])),
  text('ERR_V1_TOO_LONG', 'UNKNOWN without CRLF', `PROXY UNKNOWN ${'x'.repeat(92)}`, 'x', 'x\r\n'),
  text(
    'ERR_V1_TOO_LONG',
    'valid grammar still running at byte 107',
    LONG_TCP6.slice(0, 106),
    LONG_TCP6[106]!,
    LONG_TCP6.slice(107),
  ),
  text('ERR_V1_BAD_PROTOCOL', 'TCP5', 'PROXY TCP', '5'),
  text('ERR_V1_BAD_PROTOCOL', 'lower case', 'PROXY ', 't', 'cp4'),
  text('ERR_V1_BAD_PROTOCOL', 'UDP4 is not in v1 (U could still start UNKNOWN)', 'PROXY U', 'D', 'P4 '),
  text('ERR_V1_BAD_PROTOCOL', 'keyword runs on', 'PROXY TCP4', '4', ' '),
  text('ERR_V1_BAD_PROTOCOL', 'keyword cut short', 'PROXY TCP', ' ', '192.0.2.1'),
  text('ERR_V1_BAD_SEPARATOR', 'no space after PROXY', 'PROXY', 'T', 'CP4 '),
  text('ERR_V1_BAD_SEPARATOR', 'tab after PROXY', 'PROXY', '\t', 'TCP4 '),
  text('ERR_V1_BAD_SEPARATOR', 'two spaces', 'PROXY ', ' ', 'TCP4 '),
  text('ERR_V1_BAD_SEPARATOR', 'two spaces between addresses', 'PROXY TCP4 192.0.2.1 ', ' ', '198.51.100.1 1 2\r\n'),
  text('ERR_V1_BAD_SEPARATOR', 'TCP4 without addresses', 'PROXY TCP4', '\r', '\n'),
  text('ERR_V1_BAD_SEPARATOR', 'line ends after the source port', V1_ADDRS + '1', '\r', '\n'),
  text('ERR_V1_BAD_SOURCE_ADDRESS', 'octet above 255', 'PROXY TCP4 192.0.2.25', '6', ' '),
  text('ERR_V1_BAD_SOURCE_ADDRESS', 'heading zero', 'PROXY TCP4 192.0', '1', '.1 '),
  text('ERR_V1_BAD_SOURCE_ADDRESS', 'three octets', 'PROXY TCP4 192.0.2', ' ', '198.51.100.1 1 2\r\n'),
  text('ERR_V1_BAD_SOURCE_ADDRESS', 'five octets', 'PROXY TCP4 192.0.2.1', '.', '5 '),
  text('ERR_V1_BAD_SOURCE_ADDRESS', 'hex IPv4', 'PROXY TCP4 0', 'x', '7f000001 '),
  text('ERR_V1_BAD_SOURCE_ADDRESS', 'IPv6 under TCP4', 'PROXY TCP4 ', ':', ':1 '),
  text('ERR_V1_BAD_SOURCE_ADDRESS', 'IPv4 alone under TCP6', 'PROXY TCP6 1', '.', '2.3.4 '),
  text('ERR_V1_BAD_SOURCE_ADDRESS', 'two "::"', 'PROXY TCP6 2001:db8::1:', ':', '2 '),
  text('ERR_V1_BAD_SOURCE_ADDRESS', 'five hex digits', 'PROXY TCP6 2001:db8::1234', '5', ' '),
  text('ERR_V1_BAD_SOURCE_ADDRESS', 'nine groups', 'PROXY TCP6 1:2:3:4:5:6:7:8', ':', '9 '),
  text('ERR_V1_BAD_SOURCE_ADDRESS', 'seven groups without "::"', 'PROXY TCP6 1:2:3:4:5:6:7', ' ', '::1 1 2\r\n'),
  text('ERR_V1_BAD_SOURCE_ADDRESS', 'IPv6 zone id', 'PROXY TCP6 fe80::1', '%', 'eth0 '),
  text('ERR_V1_BAD_DESTINATION_ADDRESS', 'octet above 255', 'PROXY TCP4 192.0.2.1 99', '9', ' 1 2\r\n'),
  text('ERR_V1_BAD_DESTINATION_ADDRESS', 'families mixed', 'PROXY TCP4 192.0.2.1 ', ':', ':1 1 2\r\n'),
  text('ERR_V1_BAD_SOURCE_PORT', 'heading zero', V1_ADDRS + '0', '1', ' 2\r\n'),
  text('ERR_V1_BAD_SOURCE_PORT', 'above 65535', V1_ADDRS + '6553', '6', ' 2\r\n'),
  text('ERR_V1_BAD_SOURCE_PORT', 'sign', V1_ADDRS, '+', '1 2\r\n'),
  text('ERR_V1_BAD_DESTINATION_PORT', 'junk after the number', V1_ADDRS + '1 80', 'x', '\r\n'),
  text('ERR_V1_BAD_DESTINATION_PORT', 'missing', V1_ADDRS + '1 ', '\r', '\n'),
  text('ERR_V1_BAD_DESTINATION_PORT', 'above 65535', V1_ADDRS + '1 9999', '9', '\r\n'),
  text('ERR_V1_BAD_TERMINATOR', 'LF alone', V1_ADDRS + '1 2', '\n'),
  text('ERR_V1_BAD_TERMINATOR', 'CR alone', V1_ADDRS + '1 2\r', 'G', 'ET /'),
  text('ERR_V1_BAD_TERMINATOR', 'space before CRLF', V1_ADDRS + '1 2', ' ', '\r\n'),
  text('ERR_V1_BAD_TERMINATOR', 'UNKNOWN with LF alone', 'PROXY UNKNOWN', '\n'),
  text('ERR_V1_BAD_TERMINATOR', 'UNKNOWN tail with LF alone', 'PROXY UNKNOWN anything', '\n'),
  binary('ERR_V2_BAD_VERSION', 'version 1 nibble', V2_SIGNATURE, Buffer.from([0x11]), Buffer.from([0x11])),
  binary('ERR_V2_BAD_VERSION', 'version 3 nibble', V2_SIGNATURE, Buffer.from([0x31])),
  binary('ERR_V2_BAD_COMMAND', 'command 2', V2_SIGNATURE, Buffer.from([0x22]), Buffer.from([0x11])),
  binary('ERR_V2_BAD_COMMAND', 'command 15', V2_SIGNATURE, Buffer.from([0x2f])),
  binary('ERR_V2_BAD_FAMILY', 'family 4', Buffer.concat([V2_SIGNATURE, Buffer.from([0x21])]), Buffer.from([0x41])),
  binary(
    'ERR_V2_BAD_TRANSPORT',
    'transport 3',
    Buffer.concat([V2_SIGNATURE, Buffer.from([0x21])]),
    Buffer.from([0x13]),
  ),
  binary(
    'ERR_V2_BAD_FAMILY_TRANSPORT',
    'INET over UNSPEC transport',
    Buffer.concat([V2_SIGNATURE, Buffer.from([0x21])]),
    Buffer.from([0x10]),
  ),
  binary(
    'ERR_V2_BAD_FAMILY_TRANSPORT',
    'UNSPEC family over STREAM',
    Buffer.concat([V2_SIGNATURE, Buffer.from([0x20])]),
    Buffer.from([0x01]),
  ),
  binary(
    'ERR_V2_ADDRESS_TOO_SHORT',
    'INET with 11 bytes',
    v2(0x21, 0x11, INET_BLOCK, 11).subarray(0, 15),
    Buffer.from([11]),
    INET_BLOCK.subarray(0, 11),
  ),
  binary(
    'ERR_V2_ADDRESS_TOO_SHORT',
    "LOCAL still needs its family's block",
    v2(0x20, 0x21, Buffer.alloc(0), 0).subarray(0, 15),
    Buffer.from([0]),
  ),
  binary(
    'ERR_V2_ADDRESS_TOO_SHORT',
    'UNIX with 215 bytes',
    v2(0x21, 0x31, Buffer.alloc(0), 215).subarray(0, 15),
    Buffer.from([215]),
  ),
  binary(
    'ERR_V2_TLV_TRUNCATED',
    'two bytes after the addresses',
    v2(0x21, 0x11, Buffer.alloc(0), 14).subarray(0, 15),
    Buffer.from([14]),
    Buffer.alloc(14),
  ),
  localWithTlvs('ERR_V2_TLV_TRUNCATED', 'TLV longer than the header', Buffer.from([0x04, 0x00, 0x09, 1, 2, 3]), 19),
  localWithTlvs(
    'ERR_V2_TLV_TRUNCATED',
    'one byte left after a TLV',
    Buffer.concat([tlvBytes(0x04, 'ab'), Buffer.from([0])]),
    19,
  ),
  localWithTlvs('ERR_V2_BAD_TLV_LENGTH', 'CRC32C of 3 bytes', tlvBytes(0x03, 'abc'), 19),
  localWithTlvs('ERR_V2_BAD_TLV_LENGTH', 'UNIQUE_ID of 129 bytes', tlvBytes(0x05, Buffer.alloc(129)), 19),
  localWithTlvs('ERR_V2_BAD_TLV_LENGTH', 'empty AUTHORITY', tlvBytes(0x02, ''), 19),
  localWithTlvs('ERR_V2_BAD_TLV_LENGTH', 'AUTHORITY of 256 bytes', tlvBytes(0x02, 'a'.repeat(256)), 19),
  localWithTlvs('ERR_V2_BAD_TLV_LENGTH', 'empty ALPN', tlvBytes(0x01, ''), 19),
  localWithTlvs('ERR_V2_BAD_TLV_LENGTH', 'empty NETNS', tlvBytes(0x30, ''), 19),
  localWithTlvs('ERR_V2_SSL_TLV_MALFORMED', 'SSL shorter than client+verify', tlvBytes(0x20, Buffer.alloc(4)), 19),
  localWithTlvs('ERR_V2_SSL_TLV_MALFORMED', 'one stray byte after client+verify', tlvBytes(0x20, Buffer.alloc(6)), 19),
  localWithTlvs(
    'ERR_V2_SSL_TLV_MALFORMED',
    'sub-TLV longer than the SSL TLV',
    tlvBytes(0x20, Buffer.concat([Buffer.alloc(5), Buffer.from([0x21, 0x00, 0x09]), ascii('TLSv1.3')])),
    27,
  ),
  localWithTlvs(
    'ERR_V2_DUPLICATE_CRC32C',
    'two CRC32C TLVs',
    Buffer.concat([tlvBytes(0x03, Buffer.alloc(4)), tlvBytes(0x03, Buffer.alloc(4))]),
    26,
  ),
];

function crcMismatch(): Case {
  const header = encodeProxyHeader({
    version: 2,
    source: { address: '192.0.2.1', port: 5000 },
    destination: { address: '198.51.100.1', port: 80 },
    crc32c: true,
  });
  header[header.length - 1]! ^= 0x01;
  return binary('ERR_V2_CRC32C_MISMATCH', 'last byte flipped', header.subarray(0, -1), header.subarray(-1));
}
CASES.push(crcMismatch());

describe('PROXY header errors', () => {
  for (const c of CASES) {
    const input = Buffer.concat([c.good, c.bad, c.rest ?? Buffer.alloc(0)]);
    const at = c.good.length + c.bad.length;

    it(`${c.code}: ${c.why}, at byte ${at}`, () => {
      assert.deepEqual(parseProxyHeader(c.good), { status: 'need_more' }, 'the good prefix could still be valid');
      const whole = parseProxyHeader(input);
      assert.equal(whole.status, 'error');
      assert.equal(whole.status === 'error' && whole.code, c.code);
      const fed = byteAtATime(input);
      assert.deepEqual(fed.result, whole, 'byte-at-a-time feeding gives the same error');
      assert.equal(fed.receivedAt, at, 'the error comes at the first byte that proves it');
    });
  }

  it('covers every code the parser exports, each with its message', () => {
    const exported = proxyHeaderErrorCodes();
    assert.deepEqual(
      exported.map((e) => e.code),
      [...PROXY_HEADER_ERROR_CODES],
      'the TypeScript list matches C++',
    );
    assert.deepEqual([...new Set(CASES.map((c) => c.code))].sort(), exported.map((e) => e.code).sort());
    for (const { code, message } of exported) {
      assert.match(code, /^ERR_[A-Z0-9_]+$/);
      assert.ok(message.length > 10, `${code} has a message`);
      const sample = CASES.find((c) => c.code === code)!;
      const result = parseProxyHeader(Buffer.concat([sample.good, sample.bad]));
      assert.equal(result.status === 'error' && result.message, message);
    }
  });

  it('rejects arguments that are not bytes before they reach C++', () => {
    assert.throws(() => parseProxyHeader('PROXY UNKNOWN\r\n' as unknown as Buffer), TypeError);
  });
});
