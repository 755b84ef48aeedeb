/**
 * fastPathStatus() on a kernel too old for the fast path's way of taking flows back: setarch --uname-2.6 makes
 * uname(2) report a 2.6 release to the process, and the addon must refuse with that reason, before any bpf() call.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { machine } from 'node:os';
import { promisify } from 'node:util';

import { packageRoot } from '../../../src/base/package-info.js';

const SETARCH = '/usr/bin/setarch';

describe('native: fastPathStatus on an old kernel', () => {
  it('says the kernel is older than 6.4 and reports the fast path unavailable', async function () {
    if (!existsSync(SETARCH)) this.skip();
    const addon = `${packageRoot()}/dist/src/native/addon.js`;
    const script = `import(${JSON.stringify(addon)}).then((m) => console.log(JSON.stringify(m.native().fastPathStatus())))`;
    const { stdout } = await promisify(execFile)(SETARCH, [machine(), '--uname-2.6', process.execPath, '-e', script]);
    const status = JSON.parse(stdout) as { available: boolean; reason: string };
    assert.equal(status.available, false);
    assert.match(status.reason, /^kernel 2\.6\.\S+ is older than 6\.4, whose sockmap counts passed bytes right$/);
  });
});
