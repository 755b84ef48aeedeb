/** SystemAccess on the live machine: child processes, files, native probes, libpcap. */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

import { loadSubnetFile, SubnetFileError } from '../../config/allowed-subnets.js';
import { native } from '../../native/addon.js';
import { capturePackets } from '../capture/pcap-capture.js';
import type { ExecResult, SubnetFileRead, SystemAccess } from './system-access.js';

// `ip`, `nft` and `iptables-save` answer in milliseconds; a hung one must not
// hold up the whole report.
const EXEC_TIMEOUT_MS = 3000;
const EXEC_MAX_BYTES = 16 * 1024 * 1024;

function run(file: string, args: string[]): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: EXEC_TIMEOUT_MS, maxBuffer: EXEC_MAX_BYTES, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolve({ code: 0, stdout, stderr });
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return resolve({ code: 127, stdout: '', stderr: `${file}: not installed` });
        const status = typeof code === 'number' ? code : 1;
        resolve({ code: status, stdout, stderr: stderr || error.message });
      },
    );
  });
}

/** The proxy's own reader; the message of its refusal is the proxy's own too. */
async function loadSubnets(path: string): Promise<SubnetFileRead> {
  try {
    const { subnets, notes } = await loadSubnetFile(path);
    return { ok: true, subnets, notes };
  } catch (error) {
    if (error instanceof SubnetFileError) return { ok: false, message: error.message };
    throw error;
  }
}

export function realSystem(): SystemAccess {
  return {
    exec: run,
    readFile: (path) => readFile(path, 'utf8').catch(() => null),
    listDir: (path) => readdir(path).catch(() => []),
    loadSubnets,
    probeConnect: (options) => native().probeConnect(options),
    probeSocketOption: async (options) => native().probeSocketOption(options),
    capture: (request, during) => capturePackets(request, during, () => performance.now()),
    now: () => performance.now(),
  };
}
