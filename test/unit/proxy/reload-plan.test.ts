/** What a reload does, worked out from the old and the new config file alone (src/proxy/reload-plan.ts). */
import { deepStrictEqual, strictEqual } from 'node:assert/strict';

import { formatEndpoint } from '../../../src/base/net/endpoint.js';
import { spanEndpoints } from '../../../src/base/net/port-span.js';
import { parseConfigText } from '../../../src/config/config-file.js';
import type { NamedListener } from '../../../src/config/proxy-config.js';
import { planProcessReload } from '../../../src/proxy/process-reload.js';
import { planReload } from '../../../src/proxy/reload-plan.js';

function listeners(text: string): NamedListener[] {
  return parseConfigText(text, 'test.toml').config.listeners;
}

const BEFORE = `
[[listener]]
name = "ssh"
listen = "192.0.2.1:2222"
target4 = "127.0.0.1:22"

[[listener]]
name = "game"
listen = "192.0.2.1:25565-25567"
target4 = "127.0.0.1:35565-35567"

[[listener]]
name = "old"
listen = "192.0.2.1:8080"

[[listener]]
name = "dns"
protocol = "udp"
listen = "192.0.2.1:53"
target4 = "127.0.0.1:5353"
`;

const AFTER = `
[defaults]
connect-timeout = "5s"

[[listener]]
name = "dns"
protocol = "udp"
listen = "192.0.2.1:53"
target4 = "127.0.0.1:5353"

[[listener]]
name = "ssh"
target4 = "127.0.0.1:22"
listen = "192.0.2.1:02222"

[[listener]]
name = "game"
listen = "192.0.2.1:25566-25568"
target4 = "127.0.0.1:35566-35568"

[[listener]]
name = "new"
listen = "192.0.2.1:8081"
`;

const ports = (endpoints: { port: number }[]): number[] => endpoints.map((endpoint) => endpoint.port);

describe('reload plan', () => {
  it('matches listeners by name: added, removed, changed and unchanged (settings compared as checked, not as written)', () => {
    const plan = planReload(listeners(BEFORE), listeners(AFTER));
    deepStrictEqual(
      plan.added.map((listener) => listener.name),
      ['new'],
    );
    deepStrictEqual(
      plan.removed.map((listener) => listener.name),
      ['old'],
    );
    deepStrictEqual(
      plan.changed.map((change) => change.after.name),
      ['game'],
    );
    // ssh: its keys in another order, its port written 02222, connect-timeout's default written out.
    deepStrictEqual(
      plan.unchanged.map((listener) => listener.name),
      ['dns', 'ssh'],
    );
  });

  it('a changed range keeps the ports both have, drains the ones it gives up and binds the new ones', () => {
    const [change] = planReload(listeners(BEFORE), listeners(AFTER)).changed;
    deepStrictEqual(ports(change!.adopt), [25566, 25567]);
    deepStrictEqual(ports(change!.drain), [25565]);
    deepStrictEqual(ports(change!.bind), [25568]);
    strictEqual(formatEndpoint(change!.adopt[0]!), '192.0.2.1:25566');
  });

  it('a listener that changes protocol or address takes over no socket', () => {
    const before = listeners('[[listener]]\nname = "a"\nlisten = "192.0.2.1:4000-4001"\n');
    const udp = listeners('[[listener]]\nname = "a"\nprotocol = "udp"\nlisten = "192.0.2.1:4000-4001"\n');
    const moved = listeners('[[listener]]\nname = "a"\nlisten = "192.0.2.2:4000"\n');
    for (const after of [udp, moved]) {
      const [change] = planReload(before, after).changed;
      deepStrictEqual(change!.adopt, []);
      deepStrictEqual(ports(change!.drain), [4000, 4001]);
      deepStrictEqual(ports(change!.bind), ports(spanEndpoints(after[0]!.listen)));
    }
  });

  it('any setting counts: a changed timeout or inline subnet list replaces the listener', () => {
    const before = listeners(
      '[[listener]]\nname = "a"\nlisten = "192.0.2.1:4000"\nallowed-subnets = ["198.51.100.0/24"]\n',
    );
    const subnets = listeners(
      '[[listener]]\nname = "a"\nlisten = "192.0.2.1:4000"\nallowed-subnets = ["203.0.113.0/24"]\n',
    );
    const timeout = listeners(
      '[[listener]]\nname = "a"\nlisten = "192.0.2.1:4000"\nallowed-subnets = ["198.51.100.0/24"]\nheader-timeout = "2s"\n',
    );
    strictEqual(planReload(before, subnets).changed.length, 1);
    strictEqual(planReload(before, timeout).changed.length, 1);
    strictEqual(planReload(before, before).unchanged.length, 1);
  });
});

describe('process settings on reload', () => {
  const process = (text: string) =>
    parseConfigText(`${text}\n[[listener]]\nname = "a"\nlisten = "192.0.2.1:1"\n`, 'f').config.process;

  it('applies verbosity, log format and drain timeout', () => {
    const { applied, needsRestart } = planProcessReload(
      process('workers = 2\nverbose = 0\nlog-format = "text"\ndrain-timeout = "10s"'),
      process('workers = 2\nverbose = 2\nlog-format = "json"\ndrain-timeout = "3s"'),
    );
    deepStrictEqual(needsRestart, []);
    strictEqual(applied.verbosity, 2);
    strictEqual(applied.logFormat, 'json');
    strictEqual(applied.drainTimeoutMs, 3000);
  });

  it('keeps workers, stats socket and metrics endpoint, and says each needs a restart', () => {
    const { applied, needsRestart } = planProcessReload(
      process('workers = 2\nstats-socket = "/run/a.sock"'),
      process('workers = 4\nstats-socket = "/run/b.sock"\nmetrics-listen = ":9100"'),
    );
    strictEqual(applied.listeners, 2);
    strictEqual(applied.statsSocket, '/run/a.sock');
    strictEqual(applied.metricsListen, null);
    deepStrictEqual(needsRestart, [
      'workers changed from 2 to 4: that needs a restart; still 2',
      'stats-socket changed from /run/a.sock to /run/b.sock: that needs a restart; still /run/a.sock',
      'metrics-listen changed from unset to :9100: that needs a restart; still unset',
    ]);
  });
});
