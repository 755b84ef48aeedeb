/*
 * scripts/systemd/mmproxy@.service, run as far as this machine allows without
 * systemd as PID 1: `systemd-analyze verify` checks the whole unit, and the
 * namespace test runs the unit's own lines, read from the file:
 *
 *   ExecStartPre=+…  as root in the app host (the "+"): the policy routing; run twice, the second adds nothing
 *   ExecStart=…      under setpriv with the unit's User=, AmbientCapabilities=, CapabilityBoundingSet=,
 *                    NoNewPrivileges= and RuntimeDirectory= (as $RUNTIME_DIRECTORY), its arguments from the
 *                    EnvironmentFile= this test writes for the instance
 *   ExecReload=…     with $MAINPID; KillSignal= to stop it
 *
 *   client ──▶ lb: haproxy ──send-proxy-v2──▶ app (no loopback routing until ExecStartPre): mmproxy as a free uid
 *                                                  └─▶ peer-service 127.0.0.1:7000 / [::1]:7000
 *
 * The program path of the unit (/usr/local/bin/mmproxy) is this checkout's bin/mmproxy.js. The mount and
 * syscall sandboxing (ProtectSystem=, PrivateTmp=, …) needs systemd itself: only verify sees it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { HAPROXY, type Host } from '../../../lab/index.js';
import { requireNetns, requireProgram, printLabLogOnFailure } from '../support/index.js';
import { MMPROXY_BIN } from '../../../lab/mmproxy/mmproxy-process.js';
import { APP, LB_BACK, ProxyTopology, SERVICE_PORT } from '../../../lab/mmproxy/topology.js';
import {
  capabilityMask,
  type Privileges,
  readCredentials,
  setprivArgv,
  unusedIdentity,
} from './helpers/privilege/credentials.js';
import { cliRunnableBy, type RunnableCli, runtimeDirectoryFor } from './helpers/privilege/mmproxy-as.js';
import { type ExecCommand, parseEnvironmentFile, UnitFile } from './helpers/privilege/unit-file.js';

const run = promisify(execFile);
const SYSTEMD_DIR = fileURLToPath(new URL('../../../../scripts/systemd/', import.meta.url));
const UNIT = join(SYSTEMD_DIR, 'mmproxy@.service');
const INSTANCE = 'netns';
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
/** The proxy's --drain-timeout when MMPROXY_ARGS does not set one (src/proxy/flags.ts). */
const DEFAULT_DRAIN_SECONDS = 10;

/** The unit's program is the installed mmproxy; here it is this checkout's CLI (or a copy the user can read). */
function local(argv: string[], bin = MMPROXY_BIN): string[] {
  const [program, ...args] = argv;
  assert.equal(basename(program ?? ''), 'mmproxy', `expected the unit to run mmproxy, not ${program}`);
  return [process.execPath, bin, ...args];
}

describe('the systemd units (scripts/systemd/mmproxy@.service, mmproxy.service)', function () {
  this.timeout(60_000);

  // The template as an instance, and the one-config unit (mmproxy.service) as it is.
  for (const [file, copyName] of [
    ['mmproxy@.service', `mmproxy@${INSTANCE}.service`],
    ['mmproxy.service', 'mmproxy.service'],
  ] as const) {
    it(`passes systemd-analyze verify without a warning: ${file}`, async function () {
      requireProgram(this, SYSTEMD_ANALYZE, 'systemd');
      // verify insists the programs exist: a copy with this checkout's CLI as the program.
      const dir = await mkdtemp(join(tmpdir(), 'mmproxy-unit-'));
      try {
        const copy = join(dir, copyName);
        const text = await readFile(join(SYSTEMD_DIR, file), 'utf8');
        await writeFile(copy, text.replaceAll('/usr/local/bin/mmproxy', MMPROXY_BIN));
        const { stdout, stderr } = await run(SYSTEMD_ANALYZE, ['verify', copy], { timeout: 30_000 });
        assert.equal(`${stdout}${stderr}`, '');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('runs as the user that mmproxy.sysusers creates, with a stop timeout above the drain timeout', async function () {
    const unit = await UnitFile.read(UNIT, INSTANCE);
    const sysusers = await readFile(join(SYSTEMD_DIR, 'mmproxy.sysusers'), 'utf8');
    assert.equal(/^u\s+(\S+)/m.exec(sysusers)?.[1], unit.one('Service', 'User'));
    assert.ok(unit.seconds('Service', 'TimeoutStopSec') > DEFAULT_DRAIN_SECONDS);
    assert.equal(unit.one('Service', 'Restart'), 'on-failure');
  });
});

describe("the systemd unit's own command lines, in a namespace", function () {
  this.timeout(60_000);
  let net: ProxyTopology | undefined;
  let unit: UnitFile;
  let privileges: Privileges;
  let env: Record<string, string>;
  let runtimeDir = '';
  let configDir = '';
  let cli: RunnableCli | undefined;
  const port = 8480;
  const lbPort = 8080;

  /** What the unit's EnvironmentFile= holds for this instance: written here, as an administrator would. */
  async function writeInstanceConfig(): Promise<Record<string, string>> {
    const path = unit.specifiers(unit.one('Service', 'EnvironmentFile')).replace(/^-/, '');
    assert.equal(path, `/etc/mmproxy/${INSTANCE}.conf`);
    configDir = await mkdtemp(join(tmpdir(), 'mmproxy-etc-'));
    await chmod(configDir, 0o755);
    await writeFile(join(configDir, 'lbs.txt'), `${LB_BACK}/32\n`);
    const conf = join(configDir, basename(path));
    await writeFile(
      conf,
      `MMPROXY_ARGS=-l ${APP}:${port} -4 127.0.0.1:${SERVICE_PORT} -6 [::1]:${SERVICE_PORT} -allowed-subnets ${join(configDir, 'lbs.txt')}\n`,
    );
    return parseEnvironmentFile(await readFile(conf, 'utf8'));
  }

  async function routing(host: Host): Promise<string> {
    const dumps = await Promise.all([
      host.ip(['-j', 'rule']),
      host.ip(['-j', '-6', 'rule']),
      host.ip(['-j', 'route', 'show', 'table', 'all']),
      host.ip(['-j', '-6', 'route', 'show', 'table', 'all']),
    ]);
    return dumps.map((dump) => dump.stdout).join('\n');
  }

  /** A "+" line runs as root; any other would run with the unit's privileges, which routing changes cannot. */
  async function runAsRoot(host: Host, command: ExecCommand): Promise<string> {
    assert.equal(command.fullPrivileges, true, `${command.argv.join(' ')} changes ip rules: it needs the "+" prefix`);
    const result = await host.exec(local(command.argv), { timeoutMs: 20_000 });
    assert.equal(result.code, 0, `${command.argv.join(' ')}: ${result.stdout}${result.stderr}`);
    return result.stdout;
  }

  /** Every ExecStartPre= line in order, as systemd runs them; their output. */
  async function startPre(host: Host): Promise<string> {
    let output = '';
    for (const command of unit.commands('ExecStartPre', env)) output += await runAsRoot(host, command);
    return output;
  }

  before(async function () {
    requireNetns(this);
    requireProgram(this, HAPROXY, 'haproxy');
    unit = await UnitFile.read(UNIT, INSTANCE);
    const identity = unusedIdentity();
    cli = await cliRunnableBy(identity);
    privileges = {
      identity,
      ambient: unit.list('Service', 'AmbientCapabilities'),
      bounding: unit.list('Service', 'CapabilityBoundingSet'),
      noNewPrivileges: unit.flag('Service', 'NoNewPrivileges'),
    };
    assert.equal(unit.one('Service', 'RuntimeDirectory'), 'mmproxy');
    runtimeDir = await runtimeDirectoryFor(identity);
    env = await writeInstanceConfig();
    net = new ProxyTopology('privunit');
    await net.build({ loopbackRouting: false });
  });
  afterEach(async function () {
    if (!net) return;
    printLabLogOnFailure(this, net.lab);
    await net.stopStarted();
  });
  after(async function () {
    for (const dir of [runtimeDir, configDir]) if (dir) await rm(dir, { recursive: true, force: true });
    await cli?.remove();
    await net?.destroy();
  });

  it('ExecStartPre adds the loopback routing as root, and a second run adds nothing', async function () {
    const app = net!.app;
    const before = await routing(app);
    assert.doesNotMatch(before, /"table":"123"/);
    const first = await startPre(app);
    assert.match(first, /ran: ip rule add from 127\.0\.0\.1 iif lo ipproto tcp sport \d+ lookup 123/);
    assert.match(first, /ran: ip -6 route add local ::\/0 dev lo table 123/);
    const after = await routing(app);
    assert.notEqual(after, before);

    const second = await startPre(app);
    assert.doesNotMatch(second, /ran:/);
    assert.match(second, /already in place: replies from 127\.0\.0\.1 to spoofed clients are routed back over lo/);
    assert.match(second, /already in place: replies from ::1 to spoofed clients are routed back over lo/);
    assert.equal(await routing(app), after);
  });

  it("after ExecStartPre, ExecStart serves HAProxy's clients from their own addresses with the unit's privileges; ExecReload and KillSignal work", async function () {
    // As systemd starts the unit: ExecStartPre (idempotent, so whether the test above ran does not matter), then ExecStart.
    await startPre(net!.app);
    const [start] = unit.commands('ExecStart', env);
    assert.ok(start && !start.fullPrivileges);
    const proxy = net!.track(
      net!.app.spawn([...setprivArgv(privileges), ...local(start.argv, cli!.bin)], {
        env: { ...process.env, RUNTIME_DIRECTORY: runtimeDir },
      }),
    );
    await proxy.waitForOutput(/listening on \S+ \(/, 10_000, 'stderr');
    const held = await readCredentials(proxy.pid);
    assert.equal(held.uids[0], privileges.identity.uid);
    assert.equal(held.effective, capabilityMask(privileges.ambient));
    assert.equal(held.bounding, capabilityMask(privileges.bounding));
    assert.equal(held.noNewPrivileges, true);
    assert.match(proxy.stderr, new RegExp(`stats_socket=${join(runtimeDir, `${proxy.pid}.sock`)}`));

    await net!.haproxy(lbPort, [{ address: APP, port, sendProxy: 'v2' }]);
    await net!.assertClientSeen(lbPort, 4);
    await net!.assertClientSeen(lbPort, 6);

    await writeFile(join(configDir, 'lbs.txt'), `${LB_BACK}/32\n198.51.100.0/24\n`);
    for (const command of unit.commands('ExecReload', { ...env, MAINPID: String(proxy.pid) })) {
      await run(command.argv[0]!, command.argv.slice(1), { timeout: 10_000 });
    }
    await proxy.waitForOutput(/SIGHUP: now allowing 2 subnets from/, 10_000, 'stderr');
    await net!.assertClientSeen(lbPort, 4);

    proxy.kill(unit.one('Service', 'KillSignal') as NodeJS.Signals);
    assert.deepEqual(await proxy.exited, { code: 0, signal: null });
  });
});
