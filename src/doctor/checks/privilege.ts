/**
 * Can this process set IP_TRANSPARENT (and SO_MARK with -mark)? Tried for
 * real on a throw-away socket: capabilities can be granted or taken away in
 * too many ways (ambient, bounding set, user namespaces) to infer it.
 */
import type { Check, CheckResult } from '../types.js';

const WHY_TRANSPARENT =
  "the proxy binds upstream sockets to the client's own address, which needs IP_TRANSPARENT (CAP_NET_ADMIN or CAP_NET_RAW)";

export const privilege: Check = {
  id: 'privilege',
  title: 'Privilege for spoofed connections',
  groups: ['privilege'],
  reads: (setup) => ({ ipv4: setup.target4 !== null, ipv6: setup.target6 !== null, mark: setup.mark }),
  async run(ctx): Promise<CheckResult> {
    const evidence: string[] = [];
    const missing: string[] = [];
    const families = ([4, 6] as const).filter((family) => (family === 4 ? ctx.setup.target4 : ctx.setup.target6));
    for (const family of families) {
      const result = await ctx.system.probeSocketOption({ family, option: 'transparent', mark: 0 });
      const name = family === 4 ? 'IP_TRANSPARENT' : 'IPV6_TRANSPARENT';
      evidence.push(result.ok ? `setsockopt(${name}) succeeded` : `setsockopt(${name}) failed: ${result.code}`);
      if (!result.ok) missing.push(name);
    }
    if (ctx.setup.mark !== 0) {
      const result = await ctx.system.probeSocketOption({ family: 4, option: 'mark', mark: ctx.setup.mark });
      evidence.push(
        result.ok ? `setsockopt(SO_MARK, ${ctx.setup.mark}) succeeded` : `setsockopt(SO_MARK) failed: ${result.code}`,
      );
      if (!result.ok) missing.push('SO_MARK');
    }
    if (missing.length === 0) {
      return {
        status: 'ok',
        summary: `this process may set ${families.length ? 'IP_TRANSPARENT' : 'nothing'}${ctx.setup.mark ? ' and SO_MARK' : ''}`,
        evidence,
      };
    }
    return {
      status: 'fail',
      summary: `cannot set ${missing.join(', ')}: every upstream connect would fail with EPERM`,
      evidence: [...evidence, WHY_TRANSPARENT],
      remediation: {
        commands: [
          'systemctl enable --now mmproxy@NAME   # scripts/systemd/mmproxy@.service: user mmproxy with AmbientCapabilities=CAP_NET_ADMIN',
          'setpriv --reuid=USER --regid=GROUP --clear-groups --inh-caps=+net_admin --ambient-caps=+net_admin mmproxy …   # from root',
          'sudo mmproxy …',
        ],
        text: 'Give the proxy CAP_NET_ADMIN, best as an unprivileged user holding only that: pick one of these.',
      },
    };
  },
};
