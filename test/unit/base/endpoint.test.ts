import assert, { deepStrictEqual, throws } from 'node:assert/strict';

import { EndpointError, formatEndpoint, parseEndpoint, parseListenAddress } from '../../../src/base/net/endpoint.js';

describe('parseEndpoint: address:port as go-mmproxy takes it', () => {
  it('parses IPv4 and bracketed IPv6 into canonical endpoints', () => {
    deepStrictEqual(parseEndpoint('0.0.0.0:2222'), { family: 4, address: '0.0.0.0', port: 2222 });
    deepStrictEqual(parseEndpoint('[::1]:22'), { family: 6, address: '::1', port: 22 });
    deepStrictEqual(parseEndpoint('[::]:8443'), { family: 6, address: '::', port: 8443 });
    deepStrictEqual(parseEndpoint('[2001:DB8:0::7]:65535'), { family: 6, address: '2001:db8::7', port: 65535 });
  });

  it('prints endpoints the way they are written', () => {
    for (const text of ['192.0.2.1:80', '[2001:db8::1]:443'])
      deepStrictEqual(formatEndpoint(parseEndpoint(text)), text);
  });

  it('says what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['localhost:22', /host names are not resolved/],
      ['example.com:443', /host names are not resolved/],
      ['127.0.0.1', /has no port/],
      ['::1:22', /put an IPv6 address in brackets, e.g. \[::1\]:22/],
      ['[::1]22', /is not \[IPv6\]:port/],
      ['[::1', /is not \[IPv6\]:port/],
      ['127.0.0.1:0', /port must be a number from 1 to 65535/],
      ['127.0.0.1:65536', /port must be/],
      ['127.0.0.1:http', /port must be/],
      ['127.0.0.1:', /port must be/],
      ['[fe80::1%eth0]:22', /zoned IPv6/],
      ['300.1.1.1:22', /is not a numeric IP address"?$/],
      ['', /has no port/],
    ];
    for (const [text, message] of cases) {
      throws(
        () => parseEndpoint(text),
        (error: unknown) => error instanceof EndpointError && message.test(error.message),
        text,
      );
    }
  });

  it('parses listen addresses the way go-mmproxy users write them', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:9100'), { host: '127.0.0.1', port: 9100 });
    assert.deepEqual(parseListenAddress('[::1]:9100'), { host: '::1', port: 9100 });
    assert.deepEqual(parseListenAddress(':9100'), { host: undefined, port: 9100 });
    assert.deepEqual(parseListenAddress('localhost:0'), { host: 'localhost', port: 0 });
    for (const bad of ['9100', '127.0.0.1', '1.2.3.4:99999', '::1:9100', '']) {
      assert.throws(() => parseListenAddress(bad), /expected HOST:PORT/, bad);
    }
  });
});
