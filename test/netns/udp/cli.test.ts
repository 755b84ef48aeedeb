/*
 * `mmproxy -p udp`, the real CLI, in one namespace with loopback routing.
 *
 *   ┌── app (loopback routing, table 123) ─────────────────────────────────────────────────┐
 *   │  udp-sender ──PROXY v2──▶ mmproxy -p udp 127.0.0.1:8110 ──spoofed──▶ 127.0.0.1:7110 │
 *   │                                                                       0.0.0.0:7111   │
 *   └────────────────────────────────────────────────────────────────────────────────────────┘
 */
import assert from 'node:assert/strict';

import { parsePeerReply, proxied, sendDatagrams } from '../dataplane/harness/udp.js';
import { assertNoLeaks, type Host, Lab, startPeerService } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import { startMmproxy, stopMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';

describe('mmproxy -p udp (the CLI, in a namespace)', function () {
  this.timeout(60_000);
  let lab: Lab;
  let app: Host;

  before(async function () {
    requireNetns(this);
    lab = Lab.create('udpcli');
    app = await lab.host('app');
    await app.addLoopbackRouting();
    await startPeerService(app, '127.0.0.1:7110', { udp: true });
    await startPeerService(app, '0.0.0.0:7111', { udp: true });
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  it('relays a client datagram with its address, answers the load balancer, and exits 0 on SIGTERM', async function () {
    const proxy = await startMmproxy(app, [
      '-p',
      'udp',
      '-l',
      '127.0.0.1:8110',
      '-4',
      '127.0.0.1:7110',
      '-6',
      '[::1]:7110',
      '-close-after',
      '5',
      '--max-sessions',
      '100',
      '-listeners',
      '2',
    ]);
    assert.match(proxy.stderr, /listening on 127\.0\.0\.1:8110 \(udp, 2 listeners, --udp-header every\)/);
    assert.doesNotMatch(proxy.stderr, /udp_target/);
    const client = { address: '192.0.2.77', port: 4777 };
    const result = await sendDatagrams(app, {
      from: '127.0.0.1',
      to: '127.0.0.1:8110',
      datagrams: [proxied(client, 'hello')],
      expect: 1,
    });
    assert.deepEqual(parsePeerReply(result.replies[0]?.text ?? ''), {
      address: client.address,
      port: client.port,
      payload: 'hello',
    });
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
  });

  it('warns at start-up when the target is served by a wildcard-bound socket', async function () {
    const proxy = await startMmproxy(app, [
      '-p',
      'udp',
      '-l',
      '127.0.0.1:8111',
      '-4',
      '127.0.0.1:7111',
      '-6',
      '[::1]:7111',
    ]);
    assert.match(
      proxy.stderr,
      /udp_target: the UDP target 127\.0\.0\.1:7111 is served by a socket bound to 0\.0\.0\.0:7111/,
    );
    assert.deepEqual(await stopMmproxy(proxy), { code: 0, signal: null });
  });
});
