/** The unit as install-service writes it: the template's program replaced by node and the real script path. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { packageRoot } from '../../../src/base/package-info.js';
import { installedUnitText, TEMPLATE_PROGRAM, unusableProgramPath } from '../../../src/install-service/unit-text.js';

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
