/*
 * The trust boundaries through the real `mmproxy` CLI: the start-up warning without -allowed-subnets (level warn,
 * the doctor's words), a local client refused and counted in the stats, `--allow-local-clients` letting it through,
 * and `--dynamic-destination-allow`.
 *
 *   ┌── app (lo: loopback routing, table 123; eth0 198.51.100.2) ────────────────────────────────────────┐
 *   │  proxy-client (the LB, 127.0.0.1) ──▶ mmproxy 0.0.0.0:87xx ──spoofed──▶ service 127.0.0.1:7700     │
 *   │                                      --stats-socket $TMP/…, --log-format json                      │
 *   └────────────────────────────────────────────────────────────────────────────────────────────────────┘
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { anyPeerWarning } from '../../../src/config/allowed-subnets.js';
import { requestSnapshot } from '../../../src/stats/client.js';
import { v2 } from '../dataplane/harness/headers.js';
import { runClient, StreamService } from '../dataplane/harness/peers.js';
import { assertNoLeaks, type Host, type HostProcess, Lab } from '../../../lab/index.js';
import { startMmproxy, stopMmproxy } from '../../../lab/mmproxy/mmproxy-process.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';

const SERVICE = 7700;

interface LogLine {
  level: string;
  kind: string;
  msg: string;
}

describe('hardening: trust boundaries through the mmproxy CLI', function () {
  this.timeout(60_000);
  let lab: Lab;
  let app: Host;
  let dir = '';
  let port = 8700;
  let proxy: HostProcess | undefined;

  before(async function () {
    requireNetns(this);
    lab = Lab.create('trustcli');
    app = await lab.host('app');
    const other = await lab.host('other');
    await lab.link(app, other, { a: { v4: '198.51.100.2/24' }, b: { v4: '198.51.100.1/24' } });
    await app.addLoopbackRouting();
    await StreamService.start(app, `127.0.0.1:${SERVICE}`);
    dir = await mkdtemp(join(tmpdir(), 'mmproxy-trust-cli-'));
  });
  beforeEach(function () {
    port++;
  });
  afterEach(async function () {
    printLabLogOnFailure(this, lab);
    if (proxy?.running) await proxy.stop();
    proxy = undefined;
  });
  after(async function () {
    if (dir) await rm(dir, { recursive: true, force: true });
    if (!lab) return;
    await lab.destroy();
    await assertNoLeaks(lab);
  });

  const socket = (): string => join(dir, `${port}.sock`);

  async function mmproxy(flags: string[]): Promise<HostProcess> {
    proxy = await startMmproxy(app, [
      '-l',
      `0.0.0.0:${port}`,
      '-4',
      `127.0.0.1:${SERVICE}`,
      '-listeners',
      '1',
      '--log-format',
      'json',
      '--stats-socket',
      socket(),
      ...flags,
    ]);
    return proxy;
  }

  const header = (source: string, destination = '192.0.2.10', destinationPort = 443): Buffer =>
    v2({ source, sourcePort: 42000 + port, destination, destinationPort });

  async function logLines(child: HostProcess): Promise<LogLine[]> {
    assert.deepEqual(await stopMmproxy(child), { code: 0, signal: null });
    return child.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LogLine);
  }

  it('without -allowed-subnets: a warning says what anyone who reaches the port can do; a local client is refused and counted', async function () {
    const child = await mmproxy([]);
    const refused = await runClient(app, { connect: `127.0.0.1:${port}`, header: header('127.0.0.1'), sendBytes: 10 });
    assert.equal(refused.peer, null);
    const own = await runClient(app, { connect: `127.0.0.1:${port}`, header: header('198.51.100.2'), sendBytes: 10 });
    assert.equal(own.peer, null);
    const snapshot = await requestSnapshot(socket());
    assert.equal(snapshot.counters.failures.local_client, 2);
    const lines = await logLines(child);
    const warning = lines.find((line) => line.kind === 'any_peer');
    assert.equal(warning?.level, 'warn');
    assert.equal(warning?.msg, anyPeerWarning(`0.0.0.0:${port}`));
    assert.match(warning.msg, /anyone who reaches the port can send a PROXY header naming any client address/);
  });

  it('--allow-local-clients relays a local client; with -allowed-subnets there is no warning', async function () {
    const subnets = join(dir, 'lbs');
    await writeFile(subnets, '127.0.0.0/8\n');
    const child = await mmproxy(['--allow-local-clients', '-allowed-subnets', subnets]);
    const relayed = await runClient(app, { connect: `127.0.0.1:${port}`, header: header('127.0.0.1'), sendBytes: 10 });
    assert.equal(relayed.peer?.address, '127.0.0.1');
    assert.equal(relayed.peer?.port, 42000 + port);
    const lines = await logLines(child);
    assert.equal(
      lines.find((line) => line.kind === 'any_peer'),
      undefined,
    );
  });

  it('--dynamic-destination-allow: a destination outside the list is refused as destination_not_allowed', async function () {
    await mmproxy(['-dynamic-destination', '--dynamic-destination-allow', `127.0.0.1:${SERVICE}`]);
    const allowed = await runClient(app, {
      connect: `127.0.0.1:${port}`,
      header: header('192.0.2.70', '127.0.0.1', SERVICE),
      sendBytes: 10,
    });
    assert.equal(allowed.peer?.address, '192.0.2.70');
    const refused = await runClient(app, {
      connect: `127.0.0.1:${port}`,
      header: header('192.0.2.71', '198.51.100.1', 22),
      sendBytes: 10,
    });
    assert.equal(refused.peer, null);
    const snapshot = await requestSnapshot(socket());
    assert.equal(snapshot.counters.failures.destination_not_allowed, 1);
  });
});
