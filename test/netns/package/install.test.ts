/*
 * mmproxy as an operator gets it: `npm pack` of this checkout, then `npm install -g` of the tarball into a
 * throwaway prefix, with a PATH that holds only node, npm and sh (no g++, make or python3), then the installed
 * copy run for real:
 *
 *   ┌─ app (one namespace, loopback routing in table 123) ───────────────────────────┐
 *   │ PROXY client ──▶ installed mmproxy 127.0.0.1:8400 ──spoofed──▶ peer-service :7000 │
 *   │                   └ stats socket ◀── installed `mmproxy top --once`              │
 *   │ installed `mmproxy doctor --json --capture` with the proxy's flags               │
 *   └───────────────────────────────────────────────────────────────────────────────┘
 *
 * The install must compile nothing (no build/ appears; the prebuilt addon loads), leave the optional `cap` out
 * (it cannot compile here), and the doctor must then say how to get packet capture.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BUILD_INFO_FILE, packageRoot } from '../../../src/base/package-info.js';
import { assertNoLeaks, type Host, type HostProcess, Lab, startPeerService } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns } from '../support/index.js';
import { proxiedExchange } from './helpers/proxy-client.js';
import { installOnce, type Installed, packOnce, type Packed } from './helpers/packed.js';

const LISTEN_PORT = 8400;
const SERVICE_PORT = 7000;
const CLIENT = { address: '198.51.100.7', port: 40001 };
/** What a package may hold: what runs, the addon's sources for a build where no prebuilt fits, docs. */
const SHIPPED =
  /^(package\.json|README\.md|LICENSE|binding\.gyp|bin\/mmproxy\.js|dist\/src\/.+\.js|dist\/src\/build-info\.json|prebuilds\/linux-x64\/mmproxy\.napi\.glibc\.node|native\/src\/.+\.(cc|h|md)|scripts\/systemd\/[^/]+|docs\/[^/]+\.md|man\/mmproxy\.1)$/;

describe('the npm package: packed, installed without a compiler, run', function () {
  this.timeout(20 * 60_000);
  let packed: Packed;
  let work: string;
  let installed: Installed;
  let lab: Lab | undefined;
  let app: Host;

  before(async function () {
    requireNetns(this);
    packed = await packOnce();
    installed = await installOnce();
    work = await mkdtemp(join(tmpdir(), 'mmproxy-install-'));
    console.log(
      `      packed ${packed.files.length} files, ${packed.size} bytes; ` +
        `installed in ${(installed.elapsedMs / 1000).toFixed(1)}s (timing noted, not asserted)`,
    );
    lab = Lab.create('pkg');
    app = await lab.host('app');
    await app.addLoopbackRouting();
    await startPeerService(app, `127.0.0.1:${SERVICE_PORT}`);
    await app.waitForPort(SERVICE_PORT);
  });

  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });

  after(async function () {
    if (lab) {
      await lab.destroy();
      await assertNoLeaks(lab);
    }
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** The installed CLI, by its bin link, as a user runs it (node found on PATH by its #! line). */
  const installedCli = (): string => join(installed.prefix, 'bin', 'mmproxy');

  it('ships what runs and nothing else: no tests, bench, fuzz corpus, sanitizer scripts or source maps', () => {
    const paths = packed.files.map((file) => file.path);
    assert.deepEqual(
      paths.filter((path) => !SHIPPED.test(path)),
      [],
    );
    for (const needed of [
      'LICENSE',
      'bin/mmproxy.js',
      'dist/src/cli/main.js',
      'dist/src/build-info.json',
      'prebuilds/linux-x64/mmproxy.napi.glibc.node',
      'binding.gyp',
      'scripts/systemd/mmproxy@.service',
      'man/mmproxy.1',
    ])
      assert.ok(paths.includes(needed), `${needed} is in the package`);
  });

  it('installs its manual where man finds it (npm links the package.json "man" entry)', () => {
    assert.ok(existsSync(join(installed.prefix, 'share', 'man', 'man1', 'mmproxy.1')), installed.output);
  });

  it('installed without compiling: no build/, the prebuilt addon, no cap (it needs a compiler)', () => {
    assert.equal(existsSync(join(installed.root, 'build')), false, installed.output);
    assert.ok(existsSync(join(installed.root, 'prebuilds', 'linux-x64', 'mmproxy.napi.glibc.node')));
    assert.equal(existsSync(join(installed.root, 'node_modules', 'cap')), false, installed.output);
  });

  it('says its version and the commit it was packed from', async () => {
    const manifest = JSON.parse(await readFile(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    const recorded = JSON.parse(await readFile(join(packageRoot(), BUILD_INFO_FILE), 'utf8')) as { commit: string };
    const { stdout } = await app.run([installedCli(), '--version']);
    assert.equal(stdout, `mmproxy ${manifest.version} (commit ${recorded.commit}, node ${process.version})\n`);
  });

  describe('the installed proxy, with its doctor and top', () => {
    let proxy: HostProcess;
    const socket = (): string => join(work, 'stats.sock');

    before(async () => {
      proxy = app.spawn([
        installedCli(),
        '-l',
        `127.0.0.1:${LISTEN_PORT}`,
        '-4',
        `127.0.0.1:${SERVICE_PORT}`,
        '-6',
        'none',
        '--stats-socket',
        socket(),
      ]);
      await proxy.waitForOutput(/listening on \S+ \(/, 30_000, 'stderr');
    });

    after(async () => {
      proxy?.kill('SIGTERM');
      await proxy?.exited;
    });

    it("relays a connection from the client's own address", async () => {
      const seen = await proxiedExchange(app, LISTEN_PORT, CLIENT, SERVICE_PORT);
      assert.equal(seen, `PEER ${CLIENT.address} ${CLIENT.port}`);
    });

    it('top --once shows the proxy, read from its stats socket', async () => {
      const { stdout } = await app.run([installedCli(), 'top', '--once', '--socket', socket()]);
      assert.match(stdout, /127\.0\.0\.1:8400/);
    });

    it('doctor --json checks the same flags, with its schema and version, and says how to get capture', async () => {
      const { stdout } = await app.exec([
        installedCli(),
        'doctor',
        '--json',
        '--capture',
        '-4',
        `127.0.0.1:${SERVICE_PORT}`,
        '-6',
        'none',
      ]);
      const report = JSON.parse(stdout) as {
        schemaVersion: number;
        mmproxy: { version: string };
        checks: { id: string; status: string; remediation: { commands: string[] } | null }[];
      };
      assert.equal(report.schemaVersion, 1);
      const capture = report.checks.find((check) => check.id === 'packet-capture');
      assert.equal(capture?.status, 'warn');
      assert.deepEqual(capture?.remediation?.commands, [
        'apt-get install -y libpcap-dev g++ make python3',
        `npm install -g mmproxy@${report.mmproxy.version}`,
      ]);
      const routing = report.checks.find((check) => check.id === 'loopback-routing-v4');
      assert.equal(routing?.status, 'ok');
    });
  });
});
