/**
 * The native probes through their public API, on loopback only (spoofed
 * probes run in namespaces: test/netns/doctor*.test.ts).
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';

import { native } from '../../../src/native/addon.js';

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.on('error', () => undefined));
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

/** A UDP echo server on loopback; `answer: false` reads and stays silent. */
function udpServer(answer: boolean): Promise<{ socket: Socket; port: number }> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.on('message', (message, peer) => {
      if (answer) socket.send(message, peer.port, peer.address);
    });
    socket.bind(0, '127.0.0.1', () => resolve({ socket, port: socket.address().port }));
  });
}

const udpProbe = (port: number, timeoutMs = 2000) =>
  native().probeConnect({
    protocol: 'udp',
    source: null,
    target: { address: '127.0.0.1', port },
    transparent: false,
    mark: 0,
    timeoutMs,
  });

describe('native doctor probes', function () {
  it('UDP: a datagram answered by the target is "connected"', async function () {
    const { socket, port } = await udpServer(true);
    try {
      const result = await udpProbe(port);
      assert.equal(result.outcome, 'connected');
      assert.equal(typeof result.localPort, 'number');
    } finally {
      socket.close();
    }
  });

  it('UDP: a silent app is a timeout, a closed port refused (ICMP port unreachable)', async function () {
    const { socket, port } = await udpServer(false);
    try {
      assert.equal((await udpProbe(port, 200)).outcome, 'timeout');
    } finally {
      socket.close();
    }
    const refused = await udpProbe(port);
    assert.equal(refused.outcome, 'refused');
    assert.equal(refused.code, 'ECONNREFUSED');
  });

  it('connects to a listening port', async function () {
    const { server, port } = await listen();
    try {
      const result = await native().probeConnect({
        source: null,
        target: { address: '127.0.0.1', port },
        transparent: false,
        mark: 0,
        timeoutMs: 2000,
      });
      assert.equal(result.outcome, 'connected');
      assert.equal(result.code, null);
    } finally {
      server.close();
    }
  });

  it('reports a closed port as refused, with its errno name', async function () {
    const { server, port } = await listen();
    await new Promise((resolve) => server.close(resolve));
    const result = await native().probeConnect({
      source: null,
      target: { address: '127.0.0.1', port },
      transparent: false,
      mark: 0,
      timeoutMs: 2000,
    });
    assert.equal(result.outcome, 'refused');
    assert.equal(result.code, 'ECONNREFUSED');
  });

  it('reports a failed bind as an error naming the call', async function () {
    // Not an address of this host, and no IP_TRANSPARENT: the kernel refuses the bind.
    const result = await native().probeConnect({
      source: { address: '192.0.2.1', port: 0 },
      target: { address: '127.0.0.1', port: 9 },
      transparent: false,
      mark: 0,
      timeoutMs: 500,
    });
    assert.equal(result.outcome, 'error');
    assert.equal(result.syscall, 'bind');
    assert.equal(result.code, 'EADDRNOTAVAIL');
  });

  it('tries IP_TRANSPARENT and SO_MARK for real', function () {
    const transparent = native().probeSocketOption({ family: 4, option: 'transparent', mark: 0 });
    const mark = native().probeSocketOption({ family: 4, option: 'mark', mark: 7 });
    if (process.getuid?.() === 0) {
      assert.deepEqual(transparent, { ok: true, errno: 0, code: null });
      assert.deepEqual(mark, { ok: true, errno: 0, code: null });
    } else {
      assert.equal(transparent.code, 'EPERM');
      assert.equal(mark.code, 'EPERM');
    }
  });

  it('refuses a mark SO_MARK cannot hold instead of truncating it into another mark', async function () {
    for (const mark of [2 ** 32, -1, 1.5, Number.NaN]) {
      assert.throws(() => native().probeSocketOption({ family: 4, option: 'mark', mark }), RangeError, `mark ${mark}`);
      await assert.rejects(
        async () =>
          native().probeConnect({
            protocol: 'tcp',
            source: null,
            target: { address: '127.0.0.1', port: 9 },
            transparent: false,
            mark,
            timeoutMs: 100,
          }),
        RangeError,
        `mark ${mark}`,
      );
    }
  });
});
