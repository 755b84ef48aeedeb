/**
 * The doctor on a config file's listeners: each check runs once per distinct
 * part of the setups it reads, so fifty listeners on one address and mark run
 * the mark and privilege checks once, the probes per target, and the fd check
 * is sized for the whole process.
 */
import assert from 'node:assert/strict';

import { parseConfigText } from '../../../src/config/config-file.js';
import { groupsFor, setupsFromConfig } from '../../../src/doctor/config-run.js';
import { probedEndpoints } from '../../../src/doctor/context/probed-ports.js';
import { registry } from '../../../src/doctor/registry.js';
import type { Check } from '../../../src/doctor/types.js';

function checkOf(id: string): Check {
  const found = registry.find((check) => check.id === id);
  assert.ok(found, id);
  return found;
}

/** `count` TCP listeners, each to its own port of 127.0.0.1, under `mark`. */
function manyListeners(count: number, mark: number): string {
  const tables = Array.from({ length: count }, (_, i) =>
    [`[[listener]]`, `name = "svc${i}"`, `listen = "0.0.0.0:${20000 + i}"`, `target4 = "127.0.0.1:${30000 + i}"`].join(
      '\n',
    ),
  );
  return [`[defaults]`, `mark = ${mark}`, `target6 = "none"`, `max-connections = 100`, ...tables, ''].join('\n');
}

const groupCount = (id: string, source: string) =>
  groupsFor(checkOf(id), setupsFromConfig(parseConfigText(source, 'f.toml').config)).length;

describe('doctor --config: one run of each check per distinct input', function () {
  const fifty = manyListeners(50, 7);

  it('runs the privilege, mark, sysctl, fd, persistence and log checks once for fifty listeners', function () {
    for (const id of ['privilege', 'mark-routing', 'sysctls', 'file-limit', 'persistence', 'haproxy-log'])
      assert.equal(groupCount(id, fifty), 1, id);
    // Without a mark, only the targets' addresses matter to the mark check.
    assert.equal(groupCount('mark-routing', manyListeners(50, 0)), 1);
  });

  it('probes and routes each target port: the loopback rule is scoped to it', function () {
    assert.equal(groupCount('target', fifty), 50);
    assert.equal(groupCount('loopback-routing-v4', manyListeners(50, 0)), 50);
    // IPv6 is `none` for all of them: one skip, not fifty.
    assert.equal(groupCount('loopback-routing-v6', fifty), 1);
  });

  it('names every listener of a group, in the file order', function () {
    const groups = groupsFor(checkOf('privilege'), setupsFromConfig(parseConfigText(fifty, 'f.toml').config));
    assert.deepEqual(
      groups[0]?.listeners,
      Array.from({ length: 50 }, (_, i) => `svc${i}`),
    );
  });

  it('sizes the fd check for the whole process', function () {
    const [first] = setupsFromConfig(parseConfigText(fifty, 'f.toml').config);
    assert.equal(first?.setup.expectedConnections, 50 * 100);
  });

  it("keeps a target range whole for the loopback rule, and a config's inline subnets for the security check", function () {
    const source = [
      '[[listener]]',
      'name = "game"',
      'listen = "[::]:25565-25575"',
      'target4 = "127.0.0.1:25565-25575"',
      'target6 = "none"',
      'allowed-subnets = ["192.0.2.0/28"]',
      '',
    ].join('\n');
    const [game] = setupsFromConfig(parseConfigText(source, 'f.toml').config);
    assert.deepEqual(game?.setup.target4, { family: 4, address: '127.0.0.1', port: 25565, lastPort: 25575 });
    assert.deepEqual(game?.setup.allowedSubnets, ['192.0.2.0/28']);
    assert.equal(game?.setup.allowedSubnetsFrom, "the config's allowed-subnets");
  });
});

describe('probed ports of a target range', function () {
  const span = (first: number, last: number) => ({
    family: 4 as const,
    address: '127.0.0.1',
    port: first,
    lastPort: last,
  });

  it('probes every port of a short range', function () {
    assert.deepEqual(
      probedEndpoints(span(9000, 9003)).map((endpoint) => endpoint.port),
      [9000, 9001, 9002, 9003],
    );
  });

  it('spreads eight probes from the first to the last port of a long one', function () {
    const ports = probedEndpoints(span(10000, 10999)).map((endpoint) => endpoint.port);
    assert.equal(ports.length, 8);
    assert.equal(ports[0], 10000);
    assert.equal(ports[7], 10999);
    assert.deepEqual(
      [...ports].sort((a, b) => a - b),
      ports,
    );
    assert.equal(new Set(ports).size, 8);
  });
});
