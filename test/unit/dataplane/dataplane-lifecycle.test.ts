/**
 * The DataPlane object's life cycle, in-process and without a namespace:
 * nothing here sends a packet. Listeners bind to 127.0.0.1 port 0 (the
 * kernel picks a free port). Its argument checks: config-checks.test.ts.
 */
import assert from 'node:assert/strict';

import type { DataPlaneEvent } from '../../../src/base/flows.js';
import { NativeError } from '../../../src/native/errors.js';
import { createDataPlane } from '../../../src/proxy/dataplane.js';
import { validConfig as config } from './config.js';

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
    assert.deepEqual(counters.udpHeaders, {
      datagrams: { proxyV2: 0, spp: 0, bare: 0 },
      headerlessDropped: 0,
      sppSessions: 0,
      headerChanges: 0,
    });
    assert.deepEqual(plane.flows(), []);
    plane.stopAccepting();
    plane.close();
    plane.close();
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
      'destination_not_allowed',
      'header_timeout',
      'local_client',
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
    assert.throws(() => plane.setAllowedSubnets(['nonsense']), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
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
