/**
 * What a running process holds, read from /proc: open descriptors, resident
 * memory and its open-files limit. The figures the flood tests compare
 * before and after.
 */
import { readdir, readFile } from 'node:fs/promises';

import { parseOpenFileLimit } from '../../../../src/base/proc-limits.js';

export interface Usage {
  fds: number;
  rssKiB: number;
}

export async function descriptorCount(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

export async function residentKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

export async function usage(pid: number): Promise<Usage> {
  return { fds: await descriptorCount(pid), rssKiB: await residentKiB(pid) };
}

/** The limit that applies to the process: its soft RLIMIT_NOFILE (Node raises it to the hard one at start). */
export async function openFilesLimit(pid: number): Promise<{ soft: number; hard: number }> {
  const limit = parseOpenFileLimit(await readFile(`/proc/${pid}/limits`, 'utf8'));
  if (!limit) throw new Error(`no "Max open files" in /proc/${pid}/limits`);
  return limit;
}

export const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;

/** Threads of the process (`Threads:` in /proc/PID/status): Node's own, plus the data plane's workers. */
export async function threadCount(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^Threads:\s+(\d+)$/m.exec(status);
  if (!match) throw new Error(`no Threads in /proc/${pid}/status`);
  return Number(match[1]);
}
