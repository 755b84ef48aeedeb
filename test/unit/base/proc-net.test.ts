/** The kernel's socket tables, as the proxy and the doctor read them. */
import assert from 'node:assert/strict';

import { parseProcNetEntries, parseProcNetSockets, SOCKET_STATE } from '../../../src/base/net/proc-net.js';

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

  it('reads the state and owner of each socket: a TCP listener of uid 1000', function () {
    const tcp =
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
      '   0: 0100007F:1B58 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 41234 1 0000000000000000 100 0 0 10 0\n' +
      '   1: 0100007F:1B58 010011AC:9C40 01 00000000:00000000 00:00000000 00000000     0        0 41235 1 0000000000000000 20 4 30 10 -1\n';
    assert.deepEqual(parseProcNetEntries(tcp, 4), [
      { local: { family: 4, address: '127.0.0.1', port: 7000 }, state: SOCKET_STATE.listen, uid: 1000 },
      { local: { family: 4, address: '127.0.0.1', port: 7000 }, state: 1, uid: 0 },
    ]);
  });
});
