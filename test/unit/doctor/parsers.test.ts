/** The small readers behind the checks: /proc tables, rules, limits, packets. */
import assert from 'node:assert/strict';

import { decodeTcpFrame } from '../../../src/doctor/capture/pcap-capture.js';
import { sysctlPath } from '../../../src/doctor/context/context.js';
import { parseOpenFileLimit } from '../../../src/base/proc-limits.js';
import { synGiveUpSeconds } from '../../../src/doctor/checks/sysctls.js';
import { freeTable, tableForNewRouting } from '../../../src/doctor/routing/tables.js';

describe('doctor readers', function () {
  it('picks 123 when free, else the first free table from 100', function () {
    assert.equal(freeTable(new Set(['main', 'local'])), '123');
    assert.equal(freeTable(new Set(['123', '100', '101'])), '102');
  });

  it('takes the table setup-routing --table asks for unless this family already routes something else there', function () {
    const local = { type: 'local', dst: 'default', dev: 'lo', table: '200' };
    const other = { dst: '10.0.0.0/8', gateway: '192.0.2.1', dev: 'eth0', table: '200' };
    assert.deepEqual(tableForNewRouting(undefined, [], new Set(['123'])), { table: '100', needsRoute: true });
    assert.deepEqual(tableForNewRouting('200', [], new Set(['200'])), { table: '200', needsRoute: true });
    assert.deepEqual(tableForNewRouting('200', [local], new Set(['200'])), { table: '200', needsRoute: false });
    assert.throws(
      () => tableForNewRouting('200', [local, other], new Set()),
      /^Error: table 200 already holds 10\.0\.0\.0\/8 via 192\.0\.2\.1 dev eth0 table 200; choose another --table$/,
    );
  });

  it('reads the open-file limit', function () {
    const text =
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n';
    assert.deepEqual(parseOpenFileLimit(text), { soft: 1024, hard: 524288 });
  });

  it('computes the SYN give-up time: 7 s for TCP_SYNCNT=2, 127 s for the default 6', function () {
    assert.equal(synGiveUpSeconds(2), 7);
    assert.equal(synGiveUpSeconds(6), 127);
  });

  it('maps sysctl names to /proc/sys paths, keeping dots in interface names', function () {
    assert.equal(sysctlPath('net.ipv4.conf.eth0.100.rp_filter'), '/proc/sys/net/ipv4/conf/eth0.100/rp_filter');
    assert.equal(sysctlPath('net.core.somaxconn'), '/proc/sys/net/core/somaxconn');
  });

  it('decodes an IPv6 SYN-ACK frame', function () {
    const frame = Buffer.alloc(14 + 40 + 20);
    frame.writeUInt16BE(0x86dd, 12);
    frame[14 + 6] = 6;
    frame[14 + 8 + 15] = 1; // source ::1
    Buffer.from([0x20, 0x01, 0x0d, 0xb8]).copy(frame, 14 + 24);
    frame[14 + 24 + 15] = 2; // destination 2001:db8::2
    frame.writeUInt16BE(8080, 54);
    frame.writeUInt16BE(40000, 56);
    frame[54 + 13] = 0x12;
    assert.deepEqual(decodeTcpFrame(frame, 'lo', 5), {
      interface: 'lo',
      atMs: 5,
      family: 6,
      source: '::1',
      sourcePort: 8080,
      destination: '2001:db8::2',
      destinationPort: 40000,
      flags: ['SYN', 'ACK'],
    });
  });
});
