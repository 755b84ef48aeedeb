/** The unit as install-service writes it: the template's program replaced by node and the real script path. */
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { packageRoot } from '../../../src/base/package-info.js';
import { runInstallService } from '../../../src/install-service/install-service.js';
import {
  installedUnitText,
  TEMPLATE_PROGRAM,
  unusableProgramPath,
  withConfigFile,
} from '../../../src/install-service/unit-text.js';

const SYSTEMD = join(packageRoot(), 'scripts', 'systemd');
const readUnit = (name: string) => readFile(join(SYSTEMD, name), 'utf8');
const NODE = '/usr/bin/node';
const SCRIPT = '/usr/local/lib/node_modules/mmproxy/bin/mmproxy.js';

describe('install-service: the unit text', () => {
  it("runs node and the installed script in every Exec line that ran the template's program, prefixes kept", async () => {
    const template = await readFile(join(packageRoot(), 'scripts', 'systemd', 'mmproxy@.service'), 'utf8');
    const unit = installedUnitText(template, NODE, SCRIPT, '# header');
    assert.ok(unit.startsWith('# header\n'));
    const exec = unit.split('\n').filter((line) => line.startsWith('Exec'));
    assert.deepEqual(exec, [
      `ExecStartPre=+${NODE} ${SCRIPT} setup-routing $MMPROXY_ARGS`,
      `ExecStart=${NODE} ${SCRIPT} $MMPROXY_ARGS`,
      'ExecReload=/bin/kill -HUP $MAINPID',
    ]);
    assert.ok(!exec.some((line) => line.includes(TEMPLATE_PROGRAM)));
    // Everything else as in the template: the hardening stays.
    assert.equal(unit.split('\n').length, template.split('\n').length + 1);
    assert.match(unit, /^Type=notify$/m);
    assert.match(unit, /^ProtectHome=yes$/m);
  });

  it('refuses a template that does not run the program', () => {
    assert.throws(() => installedUnitText('[Service]\nExecStart=/bin/true\n', NODE, SCRIPT, '#'), /runs no/);
  });

  it('refuses program paths the unit could not run as written', () => {
    assert.equal(unusableProgramPath(SCRIPT), null);
    assert.match(unusableProgramPath('/root/.nvm/versions/node/v20/bin/node') ?? '', /ProtectHome=yes hides/);
    assert.match(unusableProgramPath('/home/me/mmproxy/bin/mmproxy.js') ?? '', /ProtectHome=yes hides/);
    assert.match(unusableProgramPath('/opt/my node/bin/node') ?? '', /would not take literally/);
    assert.match(unusableProgramPath('/opt/100%/node') ?? '', /would not take literally/);
    assert.match(unusableProgramPath('node') ?? '', /not an absolute path/);
  });
});

/** The [Service] lines from User= on (user, capabilities, runtime directory, limits, sandbox), comments left out. */
function sandboxOf(unit: string): string[] {
  const lines = unit.split('\n');
  const from = lines.findIndex((line) => line.startsWith('User='));
  const to = lines.findIndex((line, index) => index > from && line.startsWith('['));
  return lines.slice(from, to).filter((line) => line !== '' && !line.startsWith('#'));
}

describe('install-service --config: mmproxy.service, one config file', () => {
  it('runs setup-routing, the proxy and the reload guard on the config the Environment= line names', async () => {
    const unit = withConfigFile(
      installedUnitText(await readUnit('mmproxy.service'), NODE, SCRIPT, '# header'),
      '/srv/proxy.toml',
    );
    assert.match(unit, /^Environment=MMPROXY_CONFIG=\/srv\/proxy\.toml$/m);
    assert.deepEqual(
      unit.split('\n').filter((line) => line.startsWith('Exec')),
      [
        `ExecStartPre=+${NODE} ${SCRIPT} setup-routing --config \${MMPROXY_CONFIG}`,
        `ExecStart=${NODE} ${SCRIPT} --config \${MMPROXY_CONFIG}`,
        `ExecReload=${NODE} ${SCRIPT} check-config \${MMPROXY_CONFIG}`,
        `ExecReload=+${NODE} ${SCRIPT} setup-routing --config \${MMPROXY_CONFIG}`,
        'ExecReload=/bin/kill -HUP $MAINPID',
      ],
    );
    assert.throws(() => withConfigFile('[Service]\n', '/x.toml'), /no Environment=MMPROXY_CONFIG=/);
  });

  it("has the template's type, user, capabilities and sandbox, line for line", async () => {
    const [template, single] = await Promise.all([readUnit('mmproxy@.service'), readUnit('mmproxy.service')]);
    assert.ok(sandboxOf(template).length > 20);
    assert.deepEqual(sandboxOf(single), sandboxOf(template));
    for (const key of ['Type', 'NotifyAccess', 'WatchdogSec', 'KillSignal', 'TimeoutStopSec', 'Restart']) {
      const line = new RegExp(`^${key}=.*$`, 'm');
      assert.equal(line.exec(single)?.[0], line.exec(template)?.[0], key);
    }
  });

  it('writes mmproxy.service with the file it is given (--dry-run), and refuses a relative path', async function () {
    const refused: string[] = [];
    assert.equal(await runInstallService({ dryRun: true, config: 'mmproxy.toml' }, (l) => refused.push(l)), 1);
    assert.match(refused.join('\n'), /--config mmproxy\.toml is not an absolute path/);

    // A node or a clone the unit could not run (under /root or /home, which ProtectHome=yes hides) is refused
    // with the reason: that is what the command must do from such a clone.
    const programs = [realpathSync(process.execPath), realpathSync(join(packageRoot(), 'bin', 'mmproxy.js'))];
    const programProblem = programs.map(unusableProgramPath).find((why) => why !== null);
    const lines: string[] = [];
    const code = await runInstallService({ dryRun: true, config: '/etc/mmproxy/edge.toml' }, (l) => lines.push(l));
    const output = lines.join('\n');
    if (programProblem) {
      assert.equal(code, 1, output);
      assert.ok(output.includes(programProblem), output);
      assert.match(output, /Install node and mmproxy system-wide/);
      return;
    }
    assert.equal(code, 0, output);
    assert.match(output, /would write \/etc\/systemd\/system\/mmproxy\.service:/);
    assert.match(output, /^Environment=MMPROXY_CONFIG=\/etc\/mmproxy\/edge\.toml$/m);
    assert.doesNotMatch(output, /example\.conf/);
  });
});
