/**
 * Which `ip route get` reproduces the kernel's decision for the app's reply
 * (see src/doctor/routing/reply-route.ts). The reply is locally generated:
 * an output lookup, which the kernel runs with iif = lo. In one namespace
 * with a default route out of eth0:
 *
 *   ┌── srv ──────────────────────────┐  veth  ┌── gw ─────────────┐
 *   │ lo 127.0.0.1 ::1, eth0 → gw     ├────────┤ 198.51.100.1      │
 *   └─────────────────────────────────┘        └───────────────────┘
 */
import assert from 'node:assert/strict';

import { assertNoLeaks, type Host, Lab } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import { buildTopology } from './helpers/scenarios.js';

async function routeGet(
  srv: Host,
  args: string[],
): Promise<{ code: number; route?: Record<string, unknown>; error: string }> {
  const result = await srv.exec(['ip', '-j', ...args]);
  const route = result.code === 0 ? (JSON.parse(result.stdout) as Record<string, unknown>[])[0] : undefined;
  return { code: result.code, ...(route ? { route } : {}), error: result.stderr.trim() };
}

describe('the route lookup a reply to a spoofed client undergoes', function () {
  let lab: Lab;
  let srv: Host;
  before(async function () {
    requireNetns(this);
    lab = Lab.create('drroute');
    ({ srv } = await buildTopology(lab));
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  it('without loopback routing: IPv4 is refused (loopback source), IPv6 leaves by the default route', async function () {
    const v4 = await routeGet(srv, ['-4', 'route', 'get', '192.0.2.1', 'from', '127.0.0.1']);
    assert.notEqual(v4.code, 0);
    assert.match(v4.error, /Invalid argument/);
    const v6 = await routeGet(srv, ['-6', 'route', 'get', '2001:db8::1', 'from', '::1']);
    assert.equal(v6.route?.['dev'], 'eth0');
  });

  it('with it: the output lookup (no iif) answers local dev lo; the iif-lo form is refused for IPv4 either way', async function () {
    await srv.addLoopbackRouting();
    const v4 = await routeGet(srv, ['-4', 'route', 'get', '192.0.2.1', 'from', '127.0.0.1']);
    assert.deepEqual([v4.route?.['type'], v4.route?.['dev'], v4.route?.['table']], ['local', 'lo', '123']);
    const v6 = await routeGet(srv, ['-6', 'route', 'get', '2001:db8::1', 'from', '::1']);
    assert.deepEqual([v6.route?.['type'], v6.route?.['dev'], v6.route?.['table']], ['local', 'lo', '123']);
    // An input lookup of a packet "arriving" on lo with a loopback source is a martian:
    // this form cannot tell a working setup from a broken one.
    const input = await routeGet(srv, ['-4', 'route', 'get', '192.0.2.1', 'from', '127.0.0.1', 'iif', 'lo']);
    assert.notEqual(input.code, 0);
    assert.match(input.error, /Invalid argument/);
  });
});
