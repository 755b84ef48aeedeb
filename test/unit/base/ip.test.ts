import { deepStrictEqual, strictEqual } from 'node:assert/strict';

import { formatIp, parseIp } from '../../../src/base/net/ip.js';

function canonical(text: string): string | null {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : null;
}

describe('ip: numeric addresses, strictly parsed, printed in RFC 5952 form', () => {
  it('parses IPv4 dotted quads', () => {
    deepStrictEqual(parseIp('192.0.2.7'), { family: 4, bytes: Uint8Array.from([192, 0, 2, 7]) });
    strictEqual(canonical('0.0.0.0'), '0.0.0.0');
  });

  it('refuses what Go netip refuses: leading zeros, short forms, out of range, names', () => {
    for (const bad of ['01.2.3.4', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.-4', 'localhost', '', ' 1.2.3.4']) {
      strictEqual(parseIp(bad), null, bad);
    }
  });

  it('compresses the longest zero run, first of equals, lower-case', () => {
    strictEqual(canonical('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
    strictEqual(canonical('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    strictEqual(canonical('2001:db8:0:1:0:0:0:1'), '2001:db8:0:1::1');
    strictEqual(canonical('0:0:0:0:0:0:0:0'), '::');
    strictEqual(canonical('::1'), '::1');
    strictEqual(canonical('fe80::'), 'fe80::');
  });

  it('does not compress a single zero group', () => {
    strictEqual(canonical('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  });

  it('reads embedded IPv4 and prints mapped addresses as ::ffff:a.b.c.d', () => {
    strictEqual(canonical('::FFFF:192.0.2.1'), '::ffff:192.0.2.1');
    strictEqual(canonical('::ffff:c000:0201'), '::ffff:192.0.2.1');
  });

  it('refuses malformed IPv6', () => {
    for (const bad of [
      '1::2::3',
      '12345::',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '::1:2:3:4:5:6:7:8',
      'g::1',
      '::ffff:1.2.3',
      '1.2.3.4::',
      'fe80::1%eth0',
    ]) {
      strictEqual(parseIp(bad), null, bad);
    }
  });
});
