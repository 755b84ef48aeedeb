/**
 * The process metrics every Prometheus exporter carries (the names of the client libraries' default collectors:
 * process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds, …), read from /proc/self on each
 * scrape. A file that cannot be read leaves its metric out rather than failing the scrape.
 */
import { readdirSync, readFileSync } from 'node:fs';

import { parseOpenFileLimit } from '../base/proc-limits.js';
import type { MetricFamily } from './prometheus.js';

/** A field of /proc/self/status in kB ("VmRSS:\t  61234 kB"), in bytes; null when absent. */
export function statusBytes(status: string, field: string): number | null {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : null;
}

/** The soft "Max open files" of /proc/self/limits; null when unlimited or absent. */
export function maxOpenFiles(limits: string): number | null {
  const soft = parseOpenFileLimit(limits)?.soft;
  return soft !== undefined && Number.isFinite(soft) ? soft : null;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function openDescriptors(): number | null {
  try {
    // Less the descriptor readdir itself holds open while it lists.
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return null;
  }
}

const gauge = (name: string, help: string, value: number | null): MetricFamily[] =>
  value === null ? [] : [{ name, help, type: 'gauge', samples: [{ value }] }];

export function processFamilies(nowMs: number = Date.now()): MetricFamily[] {
  const cpu = process.cpuUsage();
  const status = read('/proc/self/status') ?? '';
  const limits = read('/proc/self/limits') ?? '';
  return [
    {
      name: 'process_cpu_seconds_total',
      help: 'Total user and system CPU time spent in seconds.',
      type: 'counter',
      samples: [{ value: (cpu.user + cpu.system) / 1e6 }],
    },
    ...gauge(
      'process_start_time_seconds',
      'Start time of the process since unix epoch in seconds.',
      Math.round((nowMs - process.uptime() * 1000) / 10) / 100,
    ),
    ...gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', statusBytes(status, 'VmRSS')),
    ...gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.', statusBytes(status, 'VmSize')),
    ...gauge('process_open_fds', 'Number of open file descriptors.', openDescriptors()),
    ...gauge('process_max_fds', 'Maximum number of open file descriptors.', maxOpenFiles(limits)),
  ];
}
