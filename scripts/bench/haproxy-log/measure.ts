/** Runs the doctor on an HAProxy log in a child process and measures its time and peak resident memory. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./doctor-child.js', import.meta.url));

export interface DoctorMeasure {
  code: number | null;
  /** The doctor's --json report. */
  stdout: string;
  stderr: string;
  maxRssMiB: number;
  seconds: number;
}

/** `maxOldSpaceMiB` caps the child's JavaScript heap, so reading the whole log into memory fails loudly. */
export function measureDoctor(log: string, maxOldSpaceMiB?: number): Promise<DoctorMeasure> {
  const flags = maxOldSpaceMiB ? [`--max-old-space-size=${maxOldSpaceMiB}`] : [];
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [...flags, CHILD, log], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const last = /\{"maxRssKiB":(\d+)\}\s*$/.exec(stderr);
      const maxRssMiB = last ? Number(last[1]) / 1024 : NaN;
      resolve({ code, stdout, stderr, maxRssMiB, seconds });
    });
  });
}
