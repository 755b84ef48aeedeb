/** systemd notifications: what is sent when, the watchdog's pace, and a manager that is not there. */
import assert from 'node:assert/strict';

import {
  createServiceNotifier,
  watchdogIntervalMs,
  type ServiceEnvironment,
} from '../../../src/proxy/service/notify.js';

function notifier(env: ServiceEnvironment, fail = false) {
  const sent: { socket: string; message: string }[] = [];
  const warnings: string[] = [];
  const service = createServiceNotifier({
    env,
    pid: 4242,
    send: (socket, message) => {
      if (fail) throw new Error('connect ECONNREFUSED');
      sent.push({ socket, message });
    },
    maxSocketName: 107,
    warn: (message) => warnings.push(message),
  });
  return { service, sent, warnings };
}

describe('systemd notifications', () => {
  it('sends READY=1 with the status, STATUS= lines and STOPPING=1, to $NOTIFY_SOCKET as given', () => {
    // Given a unit's environment, with an abstract socket
    const { service, sent } = notifier({ NOTIFY_SOCKET: '@/org/freedesktop/systemd1/notify/42' });
    // When the proxy becomes ready, reports and stops
    service.ready('listening on 0.0.0.0:2222 (tcp, 2 listeners),\nforwarding', () => true);
    service.status('draining: 3 open connections');
    service.stopping('SIGTERM: draining');
    service.close();
    // Then each is one datagram of KEY=VALUE lines, the status on one line
    assert.deepEqual(sent, [
      {
        socket: '@/org/freedesktop/systemd1/notify/42',
        message: 'READY=1\nSTATUS=listening on 0.0.0.0:2222 (tcp, 2 listeners), forwarding',
      },
      { socket: '@/org/freedesktop/systemd1/notify/42', message: 'STATUS=draining: 3 open connections' },
      { socket: '@/org/freedesktop/systemd1/notify/42', message: 'STOPPING=1\nSTATUS=SIGTERM: draining' },
    ]);
  });

  it('does nothing outside systemd, and warns once about a socket name that cannot be one', () => {
    const outside = notifier({});
    outside.service.ready('listening', () => true);
    assert.deepEqual(outside.sent, []);
    const odd = notifier({ NOTIFY_SOCKET: 'relative/notify' });
    odd.service.ready('listening', () => true);
    odd.service.stopping('stopping');
    assert.deepEqual(odd.sent, []);
    assert.equal(odd.warnings.length, 1);
    assert.match(odd.warnings[0]!, /NOTIFY_SOCKET=relative\/notify is not a socket path/);
  });

  it('goes on when the manager cannot be reached, with one warning', () => {
    const { service, warnings } = notifier({ NOTIFY_SOCKET: '/run/systemd/notify' }, true);
    service.ready('listening', () => true);
    service.status('draining');
    service.stopping('stopping');
    assert.deepEqual(warnings, ['could not notify systemd at /run/systemd/notify: connect ECONNREFUSED']);
  });

  it('pings the watchdog at half WatchdogSec, only for its own pid, and only while the proxy serves', async () => {
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 4242), 30_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '4242' }, 4242), 30_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 4242), null);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 4242), null);
    assert.equal(watchdogIntervalMs({}, 4242), null);
    // Given a 40 ms watchdog, when ready and alive for a while, then pings come; none once it stops serving
    const { service, sent } = notifier({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '40000' });
    let alive = true;
    service.ready('listening', () => alive);
    const pings = () => sent.filter((datagram) => datagram.message === 'WATCHDOG=1').length;
    for (let i = 0; i < 100 && pings() < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(pings() >= 2, `${pings()} pings`);
    // Each ping asks alive() when its timer fires: none follows once it says no.
    alive = false;
    const settled = pings();
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(pings(), settled);
    service.close();
  });
});
