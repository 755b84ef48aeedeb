/**
 * RLIMIT_NOFILE against the expected load. Each proxied TCP connection holds
 * two sockets and two splice pipes (four descriptors): six in all.
 */
import { parseOpenFileLimit } from '../../base/proc-limits.js';
import type { Check } from '../types.js';

const FDS_PER_CONNECTION = 6;
// Listeners, epoll instances, the stats socket, log files, node's own.
const BASE_FDS = 64;

export const fileLimit: Check = {
  id: 'file-limit',
  title: 'Open-file limit',
  groups: ['privilege'],
  reads: (setup) => setup.expectedConnections,
  async run(ctx) {
    const text = await ctx.system.readFile('/proc/self/limits');
    const limit = text ? parseOpenFileLimit(text) : null;
    if (!limit) return { status: 'skip', summary: 'cannot read /proc/self/limits', evidence: [] };
    const needed = BASE_FDS + FDS_PER_CONNECTION * ctx.setup.expectedConnections;
    const evidence = [
      `soft limit ${limit.soft}, hard limit ${limit.hard} (this process; a systemd unit sets its own with LimitNOFILE=)`,
      `${ctx.setup.expectedConnections} connections × ${FDS_PER_CONNECTION} descriptors + ${BASE_FDS} ≈ ${needed}`,
    ];
    if (limit.soft >= needed)
      return { status: 'ok', summary: `${limit.soft} descriptors allowed, about ${needed} needed`, evidence };
    return {
      status: 'warn',
      summary: `only ${limit.soft} descriptors allowed: past ~${Math.floor((limit.soft - BASE_FDS) / FDS_PER_CONNECTION)} connections accept() fails with EMFILE`,
      evidence,
      remediation: {
        commands: [
          `ulimit -n ${Math.min(needed, limit.hard)}`,
          `LimitNOFILE=${needed}   # in the [Service] section of the unit`,
        ],
        text: 'Raise the limit for the proxy (or lower --expected-connections if the load is smaller).',
      },
    };
  },
};
