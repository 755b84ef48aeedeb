/*
 * The unit under a real systemd as PID 1: the packed tarball installed with npm inside a throw-away container,
 * `mmproxy install-service` writing the unit with the installed paths, then systemctl and journalctl as an
 * operator uses them.
 *
 *   ┌─ namespace sd (lo only) ────────────────────────────────────────────────────────────────┐
 *   │ container (helpers/systemd-container.sh): overlay root over tmpfs, own mount/pid/uts/ipc/ │
 *   │   cgroup namespaces; /lib/systemd/systemd as PID 1, booting the journal only             │
 *   │     mmproxy@t    -l 127.0.0.1:8401 → peer-service 127.0.0.1:7000 (started by the test)    │
 *   │     mmproxy@fp   -l 127.0.0.1:8402 --fast-path auto, without and with fast-path.conf      │
 *   │     mmproxy@bad  -l 127.0.0.1:7000: taken, so its start fails                             │
 *   └───────────────────────────────────────────────────────────────────────────────────────────┘
 *
 * Ordering is proven without timing: -allowed-subnets is a FIFO that the test fills when it chooses, and the
 * proxy cannot bind before it has read it. While it waits, the unit must be "activating" and the port closed;
 * once the test lets it go, the unit turns "active" and at that moment the port and the metrics port accept.
 *
 * Why this and not systemd-nspawn: nspawn is not installed by default (systemd-container) and, with no systemd
 * on the host (here PID 1 is not systemd, cgroups are hybrid), needs --register=no --keep-unit and a cgroup set
 * up by hand anyway; unshare + pivot_root + a cgroup of our own is the same isolation with fewer moving parts,
 * using only util-linux and the systemd package CI already installs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { assertNoLeaks, type Host, type HostProcess, Lab, scaled, startPeerService } from '../../../lab/index.js';
import { printLabLogOnFailure, requireNetns, requirePrerequisite, requireProgram } from '../support/index.js';
import { installOnce, packOnce } from './helpers/packed.js';
import { heldConnection, proxiedExchange } from './helpers/proxy-client.js';
import { cgroup2Root, SystemdContainer } from './helpers/systemd-container.js';

const LISTEN_PORT = 8401;
const METRICS_PORT = 9401;
const SERVICE_PORT = 7000;
const CLIENT = { address: '198.51.100.9', port: 40002 };
const GATE = '/etc/mmproxy/lbs.fifo';
const UNIT = 'mmproxy@t.service';
const BAD_UNIT = 'mmproxy@bad.service';
const FAST_PATH_UNIT = 'mmproxy@fp.service';
const FAST_PATH_PORT = 8402;
const POLL_MS = 100;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until check() returns a value (not undefined), bounded in time. */
async function until<T>(what: string, check: () => Promise<T | undefined>, waitMs = 30_000): Promise<T> {
  const deadline = Date.now() + scaled(waitMs);
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`waited ${scaled(waitMs)}ms for ${what}`);
    await sleep(POLL_MS);
  }
}

/** Whether something accepts a TCP connection on 127.0.0.1:port in the namespace. */
async function accepts(host: Host, port: number): Promise<boolean> {
  const script = `const s=require('node:net').connect(${port},'127.0.0.1',()=>{console.log('open');s.destroy()});s.on('error',e=>console.log(e.code))`;
  const { stdout } = await host.exec([process.execPath, '-e', script]);
  return stdout.trim() === 'open';
}

describe('the unit under systemd as PID 1 (installed from the package)', function () {
  this.timeout(20 * 60_000);
  let lab: Lab | undefined;
  let host: Host;
  let work: string | undefined;
  let container: SystemdContainer | undefined;

  before(async function () {
    requireNetns(this);
    requireProgram(this, '/lib/systemd/systemd', 'systemd');
    requireProgram(this, '/usr/bin/nsenter', 'util-linux');
    requirePrerequisite(
      this,
      cgroup2Root()
        ? null
        : 'no cgroup v2 hierarchy is mounted (systemd in the container needs one): mount -t cgroup2 none /sys/fs/cgroup',
    );
    // The tarball, and npm's cache filled by an install on the host: the container has no network.
    const packed = await packOnce();
    await installOnce();
    lab = Lab.create('sd');
    host = await lab.host('sd');
    await startPeerService(host, `127.0.0.1:${SERVICE_PORT}`);
    work = await mkdtemp(join(tmpdir(), 'mmproxy-systemd-'));
    container = await SystemdContainer.boot(host.ns, work, (line) => host.log.note(line));
    await container.run(['sh', '-c', 'cat > /root/mmproxy.tgz'], await readFile(packed.tarball));
    await container.run([
      'npm',
      'install',
      '-g',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--allow-scripts=/root/mmproxy.tgz',
      '/root/mmproxy.tgz',
    ]);
  });

  afterEach(function () {
    printLabLogOnFailure(this, lab);
  });

  after(async function () {
    await container?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
    if (lab) {
      await lab.destroy();
      await assertNoLeaks(lab);
    }
  });

  const sd = (): SystemdContainer => container!;
  /** Writes the subnet list into the FIFO if a reader has it open (a non-blocking open fails ENXIO if not). */
  const feedGate = async (): Promise<void> => {
    const script = `const fs=require('node:fs');try{const fd=fs.openSync('${GATE}',fs.constants.O_WRONLY|fs.constants.O_NONBLOCK);fs.writeSync(fd,'127.0.0.0/8\\n');fs.closeSync(fd)}catch(e){if(e.code!=='ENXIO')throw e}`;
    await sd().run(['node', '-e', script]);
  };
  const state = async (unit: string) => sd().show(unit, ['ActiveState', 'SubState', 'StatusText', 'Result']);

  it('install-service writes the unit with the installed paths, verifies it and creates the user', async () => {
    const { stdout } = await sd().run(['mmproxy', 'install-service']);
    assert.match(stdout, /systemd-analyze verify: \/etc\/systemd\/system\/mmproxy@\.service is valid/);
    assert.match(stdout, /systemctl daemon-reload: done/);
    const { stdout: unit } = await sd().run(['cat', '/etc/systemd/system/mmproxy@.service']);
    const { stdout: prefix } = await sd().run(['npm', 'prefix', '-g']);
    const script = `${prefix.trim()}/lib/node_modules/mmproxy/bin/mmproxy.js`;
    assert.match(unit, new RegExp(`^ExecStart=/usr/bin/node ${script} \\$MMPROXY_ARGS$`, 'm'));
    assert.match(unit, /^Type=notify$/m);
    await sd().run(['id', 'mmproxy']);
  });

  it('is "activating" with the port closed until every listener is bound, then "active" and accepting', async () => {
    await sd().run(['mkfifo', '-m', '0644', GATE]);
    await sd().writeFile(
      '/etc/mmproxy/t.conf',
      `MMPROXY_ARGS=-l 127.0.0.1:${LISTEN_PORT} -4 127.0.0.1:${SERVICE_PORT} -6 none -allowed-subnets ${GATE} ` +
        `--metrics-listen 127.0.0.1:${METRICS_PORT} --drain-timeout 25s\n`,
    );
    // A short watchdog, to see the pings within the test.
    await sd().run(['mkdir', '-p', `/etc/systemd/system/${UNIT}.d`]);
    await sd().writeFile(`/etc/systemd/system/${UNIT}.d/watchdog.conf`, '[Service]\nWatchdogSec=2s\n');
    await sd().run(['systemctl', 'daemon-reload']);
    await sd().run(['systemctl', 'start', '--no-block', UNIT]);
    // Until ExecStart runs, whoever reads the subnet file (ExecStartPre might) is fed; the proxy is not.
    const seen = await until('ExecStart', async () => {
      const now = await state(UNIT);
      if (now['SubState'] === 'start-pre') await feedGate();
      return now['SubState'] === 'start' ? now : undefined;
    });
    // The proxy runs and cannot have bound: nothing has been written for it to read.
    assert.equal(seen['ActiveState'], 'activating');
    assert.equal(await accepts(host, LISTEN_PORT), false, 'nothing listens before the subnet file is read');
    assert.equal((await state(UNIT))['ActiveState'], 'activating');
    const active = await until('the unit to become active', async () => {
      await feedGate();
      const now = await state(UNIT);
      if (now['ActiveState'] === 'failed') throw new Error(`the unit failed: ${JSON.stringify(now)}`);
      return now['ActiveState'] === 'active' ? now : undefined;
    });
    assert.equal(await accepts(host, LISTEN_PORT), true, 'the proxy accepts once systemd calls it active');
    assert.equal(await accepts(host, METRICS_PORT), true, 'and so does its metrics listener');
    assert.match(active['StatusText'] ?? '', /^listening on 127\.0\.0\.1:8401 \(tcp, /);
  });

  it("serves under the unit's sandbox, from the client's own address", async () => {
    assert.equal(
      await proxiedExchange(host, LISTEN_PORT, CLIENT, SERVICE_PORT),
      `PEER ${CLIENT.address} ${CLIENT.port}`,
    );
  });

  it('with --fast-path auto, the shipped fast-path.conf drop-in gives the unit the CAP_BPF the fast path needs', async () => {
    await sd().writeFile(
      '/etc/mmproxy/fp.conf',
      `MMPROXY_ARGS=-l 127.0.0.1:${FAST_PATH_PORT} -4 127.0.0.1:${SERVICE_PORT} -6 none --fast-path auto\n`,
    );
    /** The last `fast path:` line the unit logged. */
    const fastPathLine = async (): Promise<string> => {
      const { stdout } = await sd().run(['journalctl', '-u', FAST_PATH_UNIT, '-o', 'cat', '--no-pager']);
      return stdout.split('\n').findLast((line) => line.includes('fast path:')) ?? '';
    };
    // The unit as shipped holds CAP_NET_ADMIN alone: the proxy starts and says why the fast path is off.
    await sd().run(['systemctl', 'start', FAST_PATH_UNIT]);
    assert.match(await fastPathLine(), /info {2}fast_path: fast path: off \(.*EPERM.*\); flows use the relay/);
    await sd().run(['systemctl', 'stop', FAST_PATH_UNIT]);

    const { stdout: root } = await sd().run(['npm', 'root', '-g']);
    const dropIn = `/etc/systemd/system/${FAST_PATH_UNIT}.d/fast-path.conf`;
    await sd().run(['install', '-D', '-m', '0644', `${root.trim()}/mmproxy/scripts/systemd/fast-path.conf`, dropIn]);
    await sd().run(['systemctl', 'daemon-reload']);
    await sd().run(['systemctl', 'start', FAST_PATH_UNIT]);
    assert.match(await fastPathLine(), /info {2}fast_path: fast path: on, experimental/);
    const { stdout: capabilities } = await sd().run(['systemctl', 'show', FAST_PATH_UNIT, '-p', 'AmbientCapabilities']);
    assert.match(capabilities, /cap_net_admin/);
    assert.match(capabilities, /cap_bpf/);
    assert.equal(
      await proxiedExchange(host, FAST_PATH_PORT, { ...CLIENT, port: CLIENT.port + 2 }, SERVICE_PORT),
      `PEER ${CLIENT.address} ${CLIENT.port + 2}`,
    );
    await sd().run(['systemctl', 'stop', FAST_PATH_UNIT]);
  });

  it('pings the watchdog the unit asks for', async () => {
    const first = (await sd().show(UNIT, ['WatchdogTimestampMonotonic']))['WatchdogTimestampMonotonic'];
    await until('a second watchdog ping', async () => {
      const now = (await sd().show(UNIT, ['WatchdogTimestampMonotonic']))['WatchdogTimestampMonotonic'];
      return now !== first ? now : undefined;
    });
  });

  it('logs with journald priorities: info lines are not errors', async () => {
    const { stdout: info } = await sd().run(['journalctl', '-u', UNIT, '-p', 'info', '-o', 'cat', '--no-pager']);
    assert.match(info, /info {2}listening: listening on 127\.0\.0\.1:8401/);
    const { stdout: warnings } = await sd().run(['journalctl', '-u', UNIT, '-p', 'warning', '-o', 'cat', '--no-pager']);
    assert.doesNotMatch(warnings, /listening/);
  });

  it('on stop: STOPPING and a draining status with the open connection, then inactive once it closes', async () => {
    const held: HostProcess = await heldConnection(
      host,
      LISTEN_PORT,
      { ...CLIENT, port: CLIENT.port + 1 },
      SERVICE_PORT,
    );
    await sd().run(['systemctl', 'stop', '--no-block', UNIT]);
    const draining = await until('the draining status', async () => {
      const now = await state(UNIT);
      return /^draining: 1 open connection\b/.test(now['StatusText'] ?? '') ? now : undefined;
    });
    assert.equal(draining['ActiveState'], 'deactivating');
    held.kill('SIGTERM');
    await held.exited;
    const stopped = await until('the unit to stop', async () => {
      const now = await state(UNIT);
      return now['ActiveState'] === 'inactive' ? now : undefined;
    });
    assert.equal(stopped['Result'], 'success');
  });

  it('a start that fails is a failed systemctl start, and journalctl -p err finds its start_failed line', async () => {
    await sd().writeFile(
      '/etc/mmproxy/bad.conf',
      `MMPROXY_ARGS=-l 127.0.0.1:${SERVICE_PORT} -4 127.0.0.1:${SERVICE_PORT} -6 none\n`,
    );
    const start = await sd().exec(['systemctl', 'start', BAD_UNIT]);
    assert.notEqual(start.code, 0, 'systemctl start waits for READY=1, which never comes');
    const { stdout } = await sd().run(['journalctl', '-u', BAD_UNIT, '-p', 'err', '-o', 'cat', '--no-pager']);
    assert.match(stdout, /error start_failed: cannot listen on 127\.0\.0\.1:7000: bind: Address already in use/);
    await sd().run(['systemctl', 'stop', BAD_UNIT]);
  });
});
