/** Prefixes: the one parser, text form and containment test every wing uses. */
import assert from 'node:assert/strict';

import { CidrError, formatCidr, parseCidr, prefixContains } from '../../../src/base/net/cidr.js';
import { requireIp } from '../../../src/base/net/ip.js';

const contains = (prefix: string, address: string) => prefixContains(parseCidr(prefix), requireIp(address));

describe('base/net/cidr', function () {
  it('tests containment for both families, never across them', function () {
    assert.ok(contains('127.0.0.1/8', '127.0.0.2'));
    assert.ok(!contains('127.0.0.1/32', '127.0.0.2'));
    assert.ok(contains('2001:db8::/32', '2001:db8:ffff::1'));
    assert.ok(!contains('::1/128', '::2'));
    assert.ok(contains('0.0.0.0/0', '203.0.113.9'));
    assert.ok(!contains('0.0.0.0/0', '::1'));
    assert.ok(!contains('::/0', '127.0.0.1'));
  });

  it('clears host bits as Go does, and says it did', function () {
    const prefix = parseCidr('192.0.2.77/24');
    assert.equal(formatCidr(prefix), '192.0.2.0/24');
    assert.equal(prefix.hostBitsSet, true);
    assert.equal(parseCidr('192.0.2.0/24').hostBitsSet, false);
    assert.equal(formatCidr(parseCidr('2001:DB8::1')), '2001:db8::1/128');
  });

  it('refuses what is not a prefix, saying what', function () {
    assert.throws(() => parseCidr('example.com/24'), CidrError);
    assert.throws(() => parseCidr('192.0.2.0/33'), /must be 0 to 32/);
    assert.throws(() => parseCidr('192.0.2.0/24/1'), /not a prefix/);
    assert.throws(() => parseCidr('::/129'), /must be 0 to 128/);
  });
});
