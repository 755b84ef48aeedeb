import assert from 'node:assert/strict';

import type { Endpoint } from '../../../src/base/net/endpoint.js';
import { wildcardTargetWarnings } from '../../../src/proxy/udp-target.js';

const target4 = { family: 4 as const, address: '127.0.0.1', port: 53 };
const target6 = { family: 6 as const, address: '::1', port: 53 };

describe('UDP target warning at start-up', () => {
  it('says nothing when the target address itself is bound, even beside a wildcard socket', () => {
    const sockets: Endpoint[] = [
      { family: 4, address: '127.0.0.1', port: 53 },
      { family: 4, address: '0.0.0.0', port: 53 },
      { family: 6, address: '::1', port: 53 },
    ];
    assert.deepEqual(wildcardTargetWarnings([target4, target6], sockets), []);
  });

  it('says nothing when nothing listens yet (the app may start later)', () => {
    assert.deepEqual(wildcardTargetWarnings([target4], [{ family: 4, address: '0.0.0.0', port: 54 }]), []);
  });

  it('names each target served only by a wildcard socket, and the fix', () => {
    const warnings = wildcardTargetWarnings([target4, target6], [{ family: 6, address: '::', port: 53 }]);
    assert.equal(warnings.length, 2);
    assert.match(
      warnings[0] ?? '',
      /^the UDP target 127\.0\.0\.1:53 is served by a socket bound to \[::\]:53: .*bind the app to 127\.0\.0\.1:53 itself/,
    );
    assert.match(warnings[1] ?? '', /^the UDP target \[::1\]:53 is served by a socket bound to \[::\]:53/);
  });
});
