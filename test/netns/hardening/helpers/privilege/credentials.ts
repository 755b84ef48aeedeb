/**
 * An unprivileged identity for the proxy, setpriv's argv to become it with
 * only the capabilities asked for, and what the kernel says a process holds
 * (/proc/PID/status), so a test proves the privileges rather than assumes them.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export interface Identity {
  uid: number;
  gid: number;
}

/** Capabilities by their systemd name (CAP_NET_ADMIN); the bit numbers are linux/capability.h's. */
const CAPABILITY_BITS: Readonly<Record<string, number>> = {
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_BPF: 39,
};

export interface Privileges {
  identity: Identity;
  /** Inheritable and ambient: what the exec'd proxy holds (AmbientCapabilities=). */
  ambient: string[];
  /** The bounding set (CapabilityBoundingSet=): nothing outside it can ever be regained. */
  bounding: string[];
  noNewPrivileges: boolean;
}

// systemd's range for DynamicUser=; no account of a Debian system lives there.
const FREE_ID_RANGE = { first: 61184, count: 4000 };

function idsInUse(path: string): Set<number> {
  return new Set(
    readFileSync(path, 'utf8')
      .split('\n')
      .map((line) => Number(line.split(':')[2]))
      .filter(Number.isInteger),
  );
}

/** A uid and gid that no account or group uses: as bare as a fresh system user, with nothing to inherit. */
export function unusedIdentity(): Identity {
  const users = idsInUse('/etc/passwd');
  const groups = idsInUse('/etc/group');
  const start = process.pid % FREE_ID_RANGE.count;
  for (let step = 0; step < FREE_ID_RANGE.count; step++) {
    const id = FREE_ID_RANGE.first + ((start + step) % FREE_ID_RANGE.count);
    if (!users.has(id) && !groups.has(id)) return { uid: id, gid: id };
  }
  throw new Error(`no free uid in ${FREE_ID_RANGE.first}..${FREE_ID_RANGE.first + FREE_ID_RANGE.count - 1}`);
}

/** CAP_NET_ADMIN -> net_admin, as setpriv spells it. */
function setprivName(capability: string): string {
  if (!(capability in CAPABILITY_BITS)) throw new Error(`unknown capability ${capability}`);
  return capability.replace(/^CAP_/, '').toLowerCase();
}

function capabilityList(capabilities: string[]): string {
  return ['-all', ...capabilities.map((capability) => `+${setprivName(capability)}`)].join(',');
}

/** `setpriv …` that execs the rest of the argv as `identity`, holding exactly `ambient` (within `bounding`). */
export function setprivArgv(privileges: Privileges): string[] {
  const { identity, ambient, bounding, noNewPrivileges } = privileges;
  return [
    'setpriv',
    `--reuid=${identity.uid}`,
    `--regid=${identity.gid}`,
    '--clear-groups',
    `--inh-caps=${capabilityList(ambient)}`,
    `--ambient-caps=${capabilityList(ambient)}`,
    `--bounding-set=${capabilityList(bounding)}`,
    ...(noNewPrivileges ? ['--no-new-privs'] : []),
  ];
}

export function capabilityMask(capabilities: string[]): bigint {
  return capabilities.reduce((mask, capability) => {
    const bit = CAPABILITY_BITS[capability];
    if (bit === undefined) throw new Error(`unknown capability ${capability}`);
    return mask | (1n << BigInt(bit));
  }, 0n);
}

export interface Credentials {
  /** Real, effective, saved and filesystem uids. */
  uids: number[];
  effective: bigint;
  permitted: bigint;
  ambient: bigint;
  bounding: bigint;
  noNewPrivileges: boolean;
}

export async function readCredentials(pid: number): Promise<Credentials> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): string => {
    const value = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1];
    if (value === undefined) throw new Error(`/proc/${pid}/status has no ${name}`);
    return value.trim();
  };
  const hex = (name: string) => BigInt(`0x${field(name)}`);
  return {
    uids: field('Uid').split(/\s+/).map(Number),
    effective: hex('CapEff'),
    permitted: hex('CapPrm'),
    ambient: hex('CapAmb'),
    bounding: hex('CapBnd'),
    noNewPrivileges: field('NoNewPrivs') === '1',
  };
}
