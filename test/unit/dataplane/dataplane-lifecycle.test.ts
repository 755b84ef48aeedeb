/**
 * The DataPlane object's life cycle and argument checks, in-process and
 * without a namespace: nothing here sends a packet. Listeners bind to
 * 127.0.0.1 port 0 (the kernel picks a free port).
 */
import assert from 'node:assert/strict';

import type { DataPlaneConfig } from '../../../src/native/dataplane-types.js';
import type { DataPlaneEvent } from '../../../src/base/flows.js';
import { NativeError } from '../../../src/native/errors.js';
import { createDataPlane } from '../../../src/proxy/dataplane.js';

function config(overrides: Partial<DataPlaneConfig> = {}): DataPlaneConfig {
  return {
    protocol: 'tcp',
    listen: { family: 4, address: '127.0.0.1', port: 0 },
    target4: { family: 4, address: '127.0.0.1', port: 9 },
    target6: null,
    mark: 0,
    allowedSubnets: [],
    listeners: 2,
    headerTimeoutMs: 1000,
    connectTimeoutMs: 1000,
    maxConnections: 0,
    dynamicDestination: false,
    listenTransparent: false,
    closeAfterSeconds: 0,
    maxSessions: 0,
    ...overrides,
  };
}

function nativeError(code: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof NativeError, `a NativeError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

describe('DataPlane life cycle', function () {
  it('starts and closes a UDP data plane: every listener bound, no session open', function () {
    const plane = createDataPlane(config({ protocol: 'udp', closeAfterSeconds: 60, maxSessions: 10 }), () => {});
    plane.start();
    const counters = plane.counters();
    assert.equal(counters.active, 0);
    assert.equal(counters.sessionsEvicted, 0);
    assert.equal(counters.datagramsDropped, 0);
    assert.deepEqual(plane.flows(), []);
    plane.stopAccepting();
    plane.close();
    plane.close();
  });

  it('rejects a UDP config without its UDP fields', function () {
    const { closeAfterSeconds: _dropped, ...rest } = config({ protocol: 'udp' });
    assert.throws(() => createDataPlane(rest as DataPlaneConfig, () => {}), nativeError('ERR_INVALID_CONFIG'));
  });

  it('rejects a config TypeScript should have caught', function () {
    const invalid = nativeError('ERR_INVALID_CONFIG');
    assert.throws(() => createDataPlane(config({ allowedSubnets: ['192.0.2.0/33'] }), () => {}), invalid);
    assert.throws(() => createDataPlane(config({ listeners: 0 }), () => {}), invalid);
    assert.throws(() => createDataPlane(config({ keepAliveSeconds: -1 }), () => {}), invalid);
    assert.throws(
      () => createDataPlane({ ...config(), relayMode: 'fast' } as unknown as DataPlaneConfig, () => {}),
      invalid,
    );
    assert.throws(
      () => createDataPlane({ ...config(), collision: 'reuse' } as unknown as DataPlaneConfig, () => {}),
      invalid,
    );
    assert.throws(
      () => createDataPlane(config({ listen: { family: 4, address: 'localhost', port: 1 } }), () => {}),
      invalid,
    );
  });

  it('starts, says where it listens, and closes idempotently', async function () {
    const events: DataPlaneEvent[] = [];
    const plane = createDataPlane(config(), (batch) => events.push(...batch));
    plane.start();
    assert.throws(() => plane.start(), nativeError('ERR_ALREADY_STARTED'));
    const counters = plane.counters();
    assert.equal(counters.active, 0);
    assert.equal(counters.collisionFallbacks, 0);
    assert.deepEqual(Object.keys(counters.failures).sort(), [
      'address_in_use',
      'bad_header',
      'connect_error',
      'connect_refused',
      'connect_timeout',
      'header_timeout',
      'no_target',
      'not_allowed',
      'peer_timeout',
      'relay_error',
      'too_many_connections',
    ]);
    const { boundsMs, counts, count, sumSeconds } = counters.connectDurations;
    assert.ok(
      boundsMs.length > 0 && boundsMs.every((bound, i) => i === 0 || bound > boundsMs[i - 1]!),
      'bounds ascend',
    );
    assert.deepEqual(counts, new Array(boundsMs.length + 1).fill(0), 'one zero count per bound, plus +Inf');
    assert.equal(count, 0);
    assert.equal(sumSeconds, 0);
    assert.deepEqual(plane.flows(), []);
    plane.setAllowedSubnets(['198.51.100.0/24']);
    assert.throws(() => plane.setAllowedSubnets(['nonsense']), nativeError('ERR_INVALID_CONFIG'));
    plane.stopAccepting();
    plane.close();
    plane.close();
    assert.throws(() => plane.start(), nativeError('ERR_CLOSED'));
    assert.equal(plane.counters().accepted, 0, 'counters stay readable after close()');
    await new Promise((resolve) => setImmediate(resolve));
    const listening = events.find((event) => event.kind === 'listening');
    assert.match(listening?.message ?? '', /^listening on 127\.0\.0\.1:\d+ with 2 worker thread\(s\)$/);
  });

  it('throws a NativeError with syscall and errno when the address cannot be bound', function () {
    const plane = createDataPlane(config({ listen: { family: 4, address: '192.0.2.77', port: 0 } }), () => {});
    assert.throws(
      () => plane.start(),
      (error: unknown) => {
        assert.ok(error instanceof NativeError);
        assert.equal(error.code, 'EADDRNOTAVAIL');
        assert.equal(error.syscall, 'bind');
        assert.match(error.message, /^cannot listen on 192\.0\.2\.77:0: bind: /);
        return true;
      },
    );
    plane.close();
  });
});
