/**
 * The native probes through their public API, on loopback only (spoofed
 * probes run in namespaces: test/netns/doctor*.test.ts).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';

import { native } from '../../../src/native/addon.js';

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.on('error', () => undefined));
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('native doctor probes', function () {
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
});
