/** The version facts: read from package.json and the recorded build, never from git at run time. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { BUILD_INFO_FILE, buildInfo, packageRoot, versionLine } from '../../../src/base/package-info.js';

describe('package info', () => {
  it("reads the version from the package's own package.json and the commit recorded at build time", () => {
    const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    const recorded = JSON.parse(readFileSync(join(packageRoot(), BUILD_INFO_FILE), 'utf8')) as { commit: unknown };
    const info = buildInfo();
    assert.equal(info.version, manifest.version);
    assert.equal(info.commit, recorded.commit);
    assert.equal(info.node, process.version);
  });

  it('prints one line with the version, the commit (or unknown) and node', () => {
    assert.equal(
      versionLine({ version: '1.2.3', commit: '1a2b3c4d5e6f', node: 'v20.19.0' }),
      'mmproxy 1.2.3 (commit 1a2b3c4d5e6f, node v20.19.0)',
    );
    assert.equal(
      versionLine({ version: '1.2.3', commit: null, node: 'v20.19.0' }),
      'mmproxy 1.2.3 (commit unknown, node v20.19.0)',
    );
  });
});
