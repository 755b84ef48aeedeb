/**
 * Boot-time configuration for one doctor run, without touching the host's
 * /etc: the doctor runs in the namespace's own mount namespace (`ip netns
 * exec` makes one) with an overlay on /etc, and each directory the
 * persistence check reads replaced by one holding only the test's files, so
 * the host's own units and network files are neither read nor changed.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import type { ExecResult, Host } from '../../../../lab/index.js';
import { MMPROXY_BIN } from './run-doctor.js';

/** The directories under /etc the persistence check reads, each replaced whole. */
const ETC_DIRS = ['systemd/system', 'systemd/network', 'network', 'NetworkManager'];
const RUN_DIRS = ['/run/systemd/system', '/run/systemd/network', '/run/NetworkManager'];
const DOCTOR_TIMEOUT_MS = 20_000;

/**
 * Runs `mmproxy doctor ARGS` in `host` seeing `files` (paths under /etc,
 * e.g. "systemd/system/app.service") as its boot configuration.
 */
export async function runDoctorWithEtc(host: Host, files: Record<string, string>, args: string[]): Promise<ExecResult> {
  const root = await mkdtemp(join(tmpdir(), 'mmproxy-doctor-etc-'));
  try {
    const [upper, work, only] = ['upper', 'work', 'only'].map((name) => join(root, name)) as [string, string, string];
    for (const dir of ETC_DIRS) {
      await mkdir(join(upper, dir), { recursive: true });
      await mkdir(join(only, dir), { recursive: true });
    }
    await mkdir(work);
    for (const [path, text] of Object.entries(files)) {
      // Files in the replaced directories go to their replacement, others (rc.local) into the overlay.
      const base = ETC_DIRS.some((dir) => path.startsWith(`${dir}/`)) ? only : upper;
      await mkdir(dirname(join(base, path)), { recursive: true });
      await writeFile(join(base, path), text, { mode: 0o755 });
    }
    const script = [
      'set -e',
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${upper},workdir=${work} /etc`,
      ...ETC_DIRS.map((dir) => `mount --bind ${join(only, dir)} /etc/${dir}`),
      ...RUN_DIRS.map((dir) => `if [ -d ${dir} ]; then mount -t tmpfs tmpfs ${dir}; fi`),
      'exec "$@"',
    ].join('\n');
    return await host.exec(
      ['sh', '-c', script, 'sh', process.execPath, MMPROXY_BIN, 'doctor', '--color=false', ...args],
      {
        timeoutMs: DOCTOR_TIMEOUT_MS,
      },
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
