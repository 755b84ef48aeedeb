import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

let netnsProblem: string | null | undefined;

/** Why namespace tests cannot run here, or null when they can. Probed once per process. */
export function netnsUnavailableReason(): string | null {
  netnsProblem ??= probeNetns();
  return netnsProblem;
}

function probeNetns(): string | null {
  if (process.getuid?.() !== 0)
    return 'needs root (network namespaces, veth pairs); run the tests as root, e.g. sudo npm test';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore', timeout: 5_000 });
  } catch {
    return 'the `ip` command is missing: apt-get install iproute2';
  }
  const probe = `mmp-probe-${process.pid}-${randomBytes(2).toString('hex')}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5_000 });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    return `\`ip netns add\` is not permitted here (${stderr || (error as Error).message}); a container needs CAP_SYS_ADMIN and CAP_NET_ADMIN`;
  }
  execFileSync('ip', ['netns', 'delete', probe], { stdio: 'ignore', timeout: 5_000 });
  return null;
}
