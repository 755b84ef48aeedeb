/*
 * Smoke test of the namespace kit: two hosts, one veth, TCP echo across it over IPv4 and IPv6.
 *
 *   ┌─────────── client ───────────┐        ┌─────────── server ───────────┐
 *   │ services/client.js           │        │ services/peer-service.js     │
 *   │ eth0 192.0.2.1/24            ├────────┤ eth0 192.0.2.2/24    :7000   │
 *   │      2001:db8::1/64          │  veth  │      2001:db8::2/64  :7000   │
 *   └──────────────────────────────┘        └──────────────────────────────┘
 */
import assert from 'node:assert/strict';
import {
  assertNoLeaks,
  exchange,
  Host,
  Lab,
  type Link,
  payload,
  sha256,
  startPeerService,
} from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';

const PORT = 7000;
// Larger than a socket buffer, so the echo must flow while the client is still sending.
const BYTES = 1024 * 1024;

describe('netns kit smoke: two hosts, TCP echo over veth', function () {
  let lab: Lab;
  let client: Host;
  let server: Host;
  let link: Link;

  before(async function () {
    requireNetns(this);
    lab = Lab.create('smoke');
    client = await lab.host('client');
    server = await lab.host('server');
    link = await lab.link(client, server, {
      a: { v4: '192.0.2.1/24', v6: '2001:db8::1/64' },
      b: { v4: '192.0.2.2/24', v6: '2001:db8::2/64' },
    });
    await startPeerService(server, `${link.b.v4}:${PORT}`);
    await startPeerService(server, `[${link.b.v6}]:${PORT}`);
    await server.waitForPort(PORT, { proto: 'tcp' });
  });

  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });

  after(async function () {
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  for (const family of ['v4', 'v6'] as const) {
    it(`echoes ${BYTES} bytes over IP${family} and the server sees the client's own address`, async function () {
      const serverAddress = link.b[family] ?? assert.fail(`no ${family} address`);
      const connect = family === 'v6' ? `[${serverAddress}]:${PORT}` : `${serverAddress}:${PORT}`;
      const result = await exchange(client, { connect, sendBytes: BYTES, expectPeer: true });
      assert.equal(result.ok, true, result.error);
      assert.equal(result.peer?.address, link.a[family]);
      assert.equal(result.peer?.port, result.localPort);
      assert.equal(result.receivedBytes, BYTES);
      assert.equal(result.receivedSha256, sha256(payload(BYTES)));
      assert.equal(result.receivedSha256, result.sentSha256);
    });
  }
});
