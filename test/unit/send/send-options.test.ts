/** mmproxy send's options: what it sends for each header mode, read back by the proxy's own parser. */
import assert from 'node:assert/strict';

import { parseProxyHeader } from '../../../src/native/proxy-header.js';
import { UsageError } from '../../../src/base/errors.js';
import { headerBefore } from '../../../src/send/headers.js';
import { sendOptions, type SendArguments } from '../../../src/send/send-options.js';
import { decodeSppDatagram } from '../../../src/proxy-protocol/spp.js';

const base: SendArguments = { to: '127.0.0.1:8443', protocol: 'tcp', client: '192.0.2.7:5000', local: false, wait: 3 };

function parsed(args: Partial<SendArguments>, index = 0) {
  return parseProxyHeader(headerBefore(sendOptions({ ...base, ...args }), index));
}

describe('mmproxy send: options and headers', function () {
  it('TCP v2 by default, naming the client and TO as the destination', function () {
    const result = parsed({});
    assert.equal(result.status, 'complete');
    assert.ok(result.status === 'complete');
    assert.equal(result.header.version, 2);
    assert.equal(result.header.transport, 'stream');
    assert.deepEqual(result.header.source, { address: '192.0.2.7', port: 5000 });
    assert.deepEqual(result.header.destination, { address: '127.0.0.1', port: 8443 });
  });

  it('TCP v1, and UNKNOWN / LOCAL for --local', function () {
    assert.equal(
      headerBefore(sendOptions({ ...base, header: 'v1' })).toString(),
      'PROXY TCP4 192.0.2.7 127.0.0.1 5000 8443\r\n',
    );
    const local = { ...base, client: undefined, local: true };
    assert.equal(headerBefore(sendOptions({ ...local, header: 'v1' })).toString(), 'PROXY UNKNOWN\r\n');
    const v2 = parseProxyHeader(headerBefore(sendOptions(local)));
    assert.ok(v2.status === 'complete');
    assert.equal(v2.header.command, 'local');
  });

  it('UDP every: a DGRAM header before each datagram; first: before the first only; spp: SPP before each', function () {
    const udp = { protocol: 'udp', count: 3 } as const;
    for (const index of [0, 1, 2]) {
      const every = parsed({ ...udp, header: 'every' }, index);
      assert.ok(every.status === 'complete');
      assert.equal(every.header.transport, 'dgram');
    }
    assert.equal(parsed({ ...udp, header: 'first' }, 0).status, 'complete');
    assert.equal(headerBefore(sendOptions({ ...base, ...udp, header: 'first' }), 1).length, 0);
    const spp = decodeSppDatagram(headerBefore(sendOptions({ ...base, ...udp, header: 'spp' }), 2));
    assert.deepEqual(spp?.client, { address: '192.0.2.7', port: 5000 });
  });

  it('SPP names an IPv6 client beside an IPv4 proxy address (both are 16 bytes there)', function () {
    const options = sendOptions({ ...base, protocol: 'udp', header: 'spp', client: '[2001:db8::7]:5000' });
    assert.deepEqual(decodeSppDatagram(headerBefore(options))?.client, { address: '2001:db8::7', port: 5000 });
  });

  const refused: [string, Partial<SendArguments>, RegExp][] = [
    ['a UDP mode with TCP', { header: 'first' }, /UDP mode/],
    ['a TCP header with UDP', { protocol: 'udp', header: 'v1' }, /for TCP/],
    ['--count with TCP', { count: 2 }, /--count is for -p udp/],
    ['neither --client nor --local', { client: undefined }, /--client/],
    ['both --client and --local', { local: true }, /--client/],
    ['--local with first', { protocol: 'udp', header: 'first', client: undefined, local: true }, /no first form/],
    ['a host name', { client: 'example.com:80' }, /not a numeric IP address/],
    ['mixed families', { client: '[2001:db8::1]:5' }, /--destination/],
    ['--expect above --count', { protocol: 'udp', count: 2, expect: 3 }, /--expect/],
    ['--count 0', { protocol: 'udp', count: 0 }, /--count/],
    ['an unknown protocol', { protocol: 'sctp' }, /tcp or udp/],
  ];
  for (const [what, args, message] of refused) {
    it(`refuses ${what} with a usage error`, function () {
      assert.throws(
        () => sendOptions({ ...base, ...args }),
        (error: unknown) => error instanceof UsageError && message.test(error.message),
      );
    });
  }
});
