/*
 * scripts/systemd/mmproxy.service (one config file, many listeners), its own lines read from the file and run
 * as systemd would, in a namespace (the template's twin: ./privilege-unit.test.ts):
 *
 *   ExecStartPre=+…  as root: setup-routing --config, twice; the second adds nothing
 *   ExecStart=…      mmproxy --config under setpriv with the unit's User=, capabilities and NoNewPrivileges=
 *   ExecReload=…     in order, each only when the one before succeeded: a bad file fails at check-config, no
 *                    SIGHUP is sent and the proxy keeps serving; a good one adding a listener is taken
 *   KillSignal=      stops it
 *
 *   client ──▶ lb: haproxy ──send-proxy-v2──▶ app: mmproxy --config (a free uid) ──▶ peer-service 127.0.0.1:7000
 *
 * The config file is named by the unit's Environment=MMPROXY_CONFIG=, here set to a file this test writes
 * (as `install-service --config FILE` does).
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { HAPROXY, type Host } from '../../../lab/index.js';
import { MMPROXY_BIN } from '../../../lab/mmproxy/mmproxy-process.js';
import { APP, LB_BACK, ProxyTopology, SERVICE_PORT } from '../../../lab/mmproxy/topology.js';
import { printLabLogOnFailure, requireNetns, requireProgram } from '../support/index.js';
import { type Privileges, setprivArgv, unusedIdentity } from './helpers/privilege/credentials.js';
import { cliRunnableBy, type RunnableCli, runtimeDirectoryFor } from './helpers/privilege/mmproxy-as.js';
import { type ExecCommand, UnitFile } from './helpers/privilege/unit-file.js';

const UNIT = fileURLToPath(new URL('../../../../scripts/systemd/mmproxy.service', import.meta.url));
const PORT = 8490;
const ADDED_PORT = 8491;
const LB_PORT = 8090;
const ADDED_LB_PORT = 8091;

/** The unit's program is the installed mmproxy; here it is this checkout's CLI (or a copy the user can read). */
function local(argv: string[], bin = MMPROXY_BIN): string[] {
  const [program, ...args] = argv;
  assert.equal(basename(program ?? ''), 'mmproxy', `expected the unit to run mmproxy, not ${program}`);
  return [process.execPath, bin, ...args];
}

function listener(name: string, port: number): string {
  return `[[listener]]\nname = "${name}"\nlisten = "${APP}:${port}"\n`;
}

function configText(statsSocket: string, listeners: string): string {
  return (
    `stats-socket = "${statsSocket}"\n\n[defaults]\ntarget4 = "127.0.0.1:${SERVICE_PORT}"\n` +
    `target6 = "[::1]:${SERVICE_PORT}"\nallowed-subnets = ["${LB_BACK}/32"]\n\n${listeners}`
  );
}

describe("the one-config unit's own command lines (scripts/systemd/mmproxy.service), in a namespace", function () {
  this.timeout(90_000);
  let net: ProxyTopology | undefined;
  let unit: UnitFile;
  let privileges: Privileges;
  let env: Record<string, string>;
  let runtimeDir = '';
  let configDir = '';
  let cli: RunnableCli | undefined;

  async function routing(host: Host): Promise<string> {
    const dumps = await Promise.all([
      host.ip(['-j', 'rule']),
      host.ip(['-j', '-6', 'rule']),
      host.ip(['-j', 'route', 'show', 'table', 'all']),
      host.ip(['-j', '-6', 'route', 'show', 'table', 'all']),
    ]);
    return dumps.map((dump) => dump.stdout).join('\n');
  }

  /** A line as systemd runs it: "+" as root, any other as the unit's user with its capabilities. */
  async function runLine(host: Host, command: ExecCommand): Promise<{ code: number; output: string }> {
    // The unit's program is this checkout's CLI; /bin/kill is itself.
    const argv = command.argv[0] === '/bin/kill' ? command.argv : local(command.argv, cli!.bin);
    const wrapped = command.fullPrivileges ? argv : [...setprivArgv(privileges), ...argv];
    const result = await host.exec(wrapped, { timeoutMs: 20_000 });
    return { code: result.code, output: `${result.stdout}${result.stderr}` };
  }

  /** The ExecReload= lines in order, stopping at the first that fails, as systemd does; that one's exit code. */
  async function reload(host: Host, mainPid: number): Promise<{ code: number; ran: number; output: string }> {
    const lines = unit.commands('ExecReload', { ...env, MAINPID: String(mainPid) });
    let output = '';
    for (const [index, command] of lines.entries()) {
      const result = await runLine(host, command);
      output += result.output;
      if (result.code !== 0) return { code: result.code, ran: index + 1, output };
    }
    return { code: 0, ran: lines.length, output };
  }

  before(async function () {
    requireNetns(this);
    requireProgram(this, HAPROXY, 'haproxy');
    unit = await UnitFile.read(UNIT, '');
    const identity = unusedIdentity();
    cli = await cliRunnableBy(identity);
    privileges = {
      identity,
      ambient: unit.list('Service', 'AmbientCapabilities'),
      bounding: unit.list('Service', 'CapabilityBoundingSet'),
      noNewPrivileges: unit.flag('Service', 'NoNewPrivileges'),
    };
    runtimeDir = await runtimeDirectoryFor(identity);
    configDir = await mkdtemp(join(tmpdir(), 'mmproxy-etc-'));
    await chmod(configDir, 0o755);
    const [name, value] = unit.one('Service', 'Environment').split('=');
    assert.equal(name, 'MMPROXY_CONFIG');
    assert.equal(value, '/etc/mmproxy/mmproxy.toml');
    env = { MMPROXY_CONFIG: join(configDir, 'mmproxy.toml') };
    await writeFile(env['MMPROXY_CONFIG']!, configText(join(runtimeDir, 'stats.sock'), listener('web', PORT)));
    net = new ProxyTopology('cfgunit');
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

  it('ExecStartPre, ExecStart, ExecReload (a bad file changes nothing, a good one adds a listener) and KillSignal', async function () {
    const app = net!.app;
    const [startPre] = unit.commands('ExecStartPre', env);
    assert.ok(startPre?.fullPrivileges, 'setup-routing changes ip rules: it needs the "+" prefix');
    const first = await runLine(app, startPre);
    assert.equal(first.code, 0, first.output);
    assert.match(first.output, /ran: ip rule add from 127\.0\.0\.1 iif lo ipproto tcp sport 7000 lookup 123/);
    const routed = await routing(app);
    const second = await runLine(app, startPre);
    assert.equal(second.code, 0, second.output);
    assert.doesNotMatch(second.output, /ran:/);
    assert.equal(await routing(app), routed);

    const [start] = unit.commands('ExecStart', env);
    assert.ok(start && !start.fullPrivileges);
    const proxy = net!.track(
      app.spawn([...setprivArgv(privileges), ...local(start.argv, cli!.bin)], {
        env: { ...process.env, RUNTIME_DIRECTORY: runtimeDir },
      }),
    );
    await proxy.waitForOutput(/listening: 1 listener/, 10_000, 'stderr');
    await net!.haproxy(LB_PORT, [{ address: APP, port: PORT, sendProxy: 'v2' }]);
    await net!.assertClientSeen(LB_PORT, 4);
    await net!.assertClientSeen(LB_PORT, 6);

    // A mistake: check-config (the first line) fails, so neither routing nor SIGHUP runs.
    const good = await readFile(env['MMPROXY_CONFIG']!, 'utf8');
    await writeFile(env['MMPROXY_CONFIG']!, `${good}${listener('added', ADDED_PORT)}bogus = 1\n`);
    const refused = await reload(app, proxy.pid);
    assert.notEqual(refused.code, 0);
    assert.equal(refused.ran, 1, refused.output);
    assert.match(refused.output, /bogus/);
    assert.doesNotMatch(proxy.stderr, /SIGHUP/);
    await net!.assertClientSeen(LB_PORT, 4);

    await writeFile(env['MMPROXY_CONFIG']!, `${good}${listener('added', ADDED_PORT)}`);
    const taken = await reload(app, proxy.pid);
    assert.equal(taken.code, 0, taken.output);
    await proxy.waitForOutput(/reload: SIGHUP: .*added added/, 10_000, 'stderr');
    await net!.haproxy(ADDED_LB_PORT, [{ address: APP, port: ADDED_PORT, sendProxy: 'v2' }]);
    await net!.assertClientSeen(ADDED_LB_PORT, 4);
    await net!.assertClientSeen(LB_PORT, 6);

    proxy.kill(unit.one('Service', 'KillSignal') as NodeJS.Signals);
    assert.deepEqual(await proxy.exited, { code: 0, signal: null });
  });
});
