/** The kernel's socket tables, as the proxy and the doctor read them. */
import assert from 'node:assert/strict';

import { parseProcNetSockets } from '../../../src/base/net/proc-net.js';

describe('base/net/proc-net', function () {
  it('reads /proc/net/udp and udp6 local addresses', function () {
    const v4 =
      '  sl  local_address rem_address   st\n   0: 00000000:14E9 00000000:0000 07\n   1: 0100007F:0035 00000000:0000 07\n';
    assert.deepEqual(parseProcNetSockets(v4, 4), [
      { family: 4, address: '0.0.0.0', port: 5353 },
      { family: 4, address: '127.0.0.1', port: 53 },
    ]);
    const v6 =
      '  sl  local_address                         rem_address\n   0: 00000000000000000000000001000000:14E9 00000000000000000000000000000000:0000 07\n';
    assert.deepEqual(parseProcNetSockets(v6, 6), [{ family: 6, address: '::1', port: 5353 }]);
  });

  it('writes IPv4-mapped addresses the way the data plane does', function () {
    const v6 = 'header\n   0: 0000000000000000FFFF00000100007F:0050 00000000000000000000000000000000:0000 0A\n';
    assert.deepEqual(parseProcNetSockets(v6, 6), [{ family: 6, address: '::ffff:127.0.0.1', port: 80 }]);
  });
});
