/*
 * mmproxy -p udp behind a real sender of PROXY v2 over UDP from the Debian archive: dnsdist with
 * `useProxyProtocol=true` puts a PROXY v2 header on every query it forwards (the `every` mode), naming the
 * client that asked it.
 *
 *   ┌── client ─────────┐        ┌── app (loopback routing, table 123) ───────────────────────────────────────┐
 *   │ 192.0.2.1         │  veth  │ dnsdist 192.0.2.2:53, [2001:db8::2]:53                                     │
 *   │ 2001:db8::1       ├────────┤   └─PROXY v2 + query──▶ mmproxy -p udp 127.0.0.1:8300                      │
 *   │ dns-query         │        │                           └─spoofed client──▶ dns-peer-service :7300        │
 *   └───────────────────┘        │                                               (TXT "PEER <address> <port>") │
 *                                └─────────────────────────────────────────────────────────────────────────────┘
 *
 * dnsdist's own security polling and health checks are turned off: nothing leaves the namespaces.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { assertNoLeaks, type Host, Lab } from '../../../lab/index.js';
import { startMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { printLabLogOnFailure, requireNetns, requireProgram } from '../support/index.js';

const DNSDIST = '/usr/bin/dnsdist';
const service = (name: string) => fileURLToPath(new URL(`../../../lab/services/${name}.js`, import.meta.url));

function dnsdistConfig(backend: string): string {
  return [
    'setLocal("192.0.2.2:53")',
    'addLocal("[2001:db8::2]:53")',
    'setACL({"192.0.2.0/24", "2001:db8::/64"})',
    // No query to the outside world about dnsdist's own version.
    'setSecurityPollSuffix("")',
    // Up for good: no health-check queries (they would carry a header naming dnsdist itself).
    `newServer({address="${backend}", useProxyProtocol=true}):setUp()`,
    '',
  ].join('\n');
}

describe('mmproxy -p udp behind dnsdist (useProxyProtocol: a PROXY v2 header on every query)', function () {
  this.timeout(60_000);
  let lab: Lab;
  let client: Host;
  let configDir: string | undefined;

  before(async function () {
    requireNetns(this);
    requireProgram(this, DNSDIST, 'dnsdist');
    lab = Lab.create('dnsdist');
    client = await lab.host('client');
    const app = await lab.host('app');
    await lab.link(client, app, {
      a: { v4: '192.0.2.1/24', v6: '2001:db8::1/64' },
      b: { v4: '192.0.2.2/24', v6: '2001:db8::2/64' },
    });
    await app.addLoopbackRouting();
    for (const listen of ['127.0.0.1:7300', '[::1]:7300']) {
      await app.node(service('dns-peer-service'), ['--listen', listen]).waitForOutput(/^LISTENING /m);
    }
    await startMmproxy(app, ['-p', 'udp', '-l', '127.0.0.1:8300', '-4', '127.0.0.1:7300', '-6', '[::1]:7300']);
    configDir = mkdtempSync(join(tmpdir(), 'mmproxy-dnsdist-'));
    const config = join(configDir, 'dnsdist.conf');
    writeFileSync(config, dnsdistConfig('127.0.0.1:8300'));
    app.spawn([DNSDIST, '--supervised', '--disable-syslog', '-C', config]);
    await app.waitForPort(53, { proto: 'udp' });
  });
  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });
  after(async function () {
    if (configDir) rmSync(configDir, { recursive: true, force: true });
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  for (const [family, server, seen] of [
    [4, '192.0.2.2:53', '192.0.2.1'],
    [6, '[2001:db8::2]:53', '2001:db8::1'],
  ] as const) {
    it(`IPv${family}: the DNS server behind mmproxy sees the client that asked dnsdist`, async function () {
      const { stdout } = await client.run([process.execPath, service('dns-query'), '--server', server], {
        timeoutMs: 15_000,
      });
      const answer = JSON.parse(stdout) as { text?: string; error?: string };
      assert.equal(answer.error, undefined);
      assert.match(answer.text ?? '', new RegExp(`^PEER ${seen.replace(/[.]/g, '\\.')} \\d+$`));
    });
  }
});
