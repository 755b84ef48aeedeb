/** The SPP codec (mmproxy send's side) against the layout of Cloudflare's spec, written out byte by byte. */
import assert from 'node:assert/strict';

import { SPP_LENGTH, decodeSppDatagram, encodeSppHeader } from '../../../src/proxy-protocol/spp.js';

describe('SPP header (Cloudflare Simple Proxy Protocol)', function () {
  it('writes the magic, IPv4-mapped addresses and both ports in network order', function () {
    const header = encodeSppHeader({ address: '192.0.2.7', port: 5000 }, { address: '198.51.100.1', port: 443 });
    const expected = Buffer.from(
      '56ec' +
        '00000000000000000000ffff' +
        'c0000207' + // 192.0.2.7
        '00000000000000000000ffff' +
        'c6336401' + // 198.51.100.1
        '1388' + // 5000
        '01bb', // 443
      'hex',
    );
    assert.equal(header.length, SPP_LENGTH);
    assert.deepEqual(header, expected);
  });

  it('writes IPv6 addresses as they are', function () {
    const header = encodeSppHeader({ address: '2001:db8::7', port: 1 }, { address: '2001:db8::ff', port: 65535 });
    assert.equal(header.subarray(2, 18).toString('hex'), '20010db8000000000000000000000007');
    assert.equal(header.subarray(18, 34).toString('hex'), '20010db80000000000000000000000ff');
    assert.equal(header.readUInt16BE(34), 1);
    assert.equal(header.readUInt16BE(36), 65535);
  });

  it('reads a reply back: header, then the payload; IPv4-mapped addresses come back as IPv4', function () {
    const header = encodeSppHeader({ address: '192.0.2.7', port: 5000 }, { address: '198.51.100.1', port: 443 });
    const decoded = decodeSppDatagram(Buffer.concat([header, Buffer.from('pong')]));
    assert.deepEqual(decoded?.client, { address: '192.0.2.7', port: 5000 });
    assert.deepEqual(decoded?.proxy, { address: '198.51.100.1', port: 443 });
    assert.equal(decoded?.payload.toString(), 'pong');
  });

  it('is null for a datagram without the magic or shorter than the header', function () {
    assert.equal(decodeSppDatagram(Buffer.from('hello, no header here at all, 38 bytes+')), null);
    assert.equal(decodeSppDatagram(Buffer.from([0x56, 0xec, 0, 0])), null);
  });

  it('refuses a host name', function () {
    assert.throws(() => encodeSppHeader({ address: 'example.com', port: 1 }, { address: '::1', port: 1 }), /numeric/);
  });
});
