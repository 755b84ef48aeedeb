/**
 * The kernel's decision for the app's reply. The app answers from the target
 * address to the spoofed client: a locally generated packet, so the lookup is
 * an *output* lookup, and the kernel runs output lookups with iif = lo (which
 * is why `iif lo` rules catch them). `ip route get CLIENT from TARGET` (no
 * `iif`) asks exactly that; adding `iif lo` would ask for an *input* lookup of
 * a packet arriving on lo, which the kernel rejects for loopback sources
 * whatever the rules say. Verified in namespaces (test/netns/doctor-route-get.test.ts).
 */
import type { DoctorContext } from '../context/context.js';
import type { Family, RouteQuery } from '../context/ip-reader.js';
import type { RouteAnswer } from '../context/ip-types.js';
import { isLoopback, requireIp } from '../../base/net/ip.js';
import { PROBE_CLIENT } from './probe-addresses.js';
import { formatRoute } from './tables.js';

export function replyRouteQuery(family: Family, target: string, mark = 0): RouteQuery {
  return { family, destination: PROBE_CLIENT[family], from: target, mark };
}

/**
 * A reply from a target on another host is not locally generated: it
 * arrives on the interface facing the target and undergoes an *input*
 * lookup, which `iif` asks for.
 */
export async function remoteReplyRouteQuery(
  ctx: DoctorContext,
  family: Family,
  target: string,
  mark: number,
): Promise<RouteQuery> {
  const toward = await ctx.ip.routeGet({ family, destination: target });
  const iif = toward.ok ? toward.route.dev : undefined;
  return { ...replyRouteQuery(family, target, mark), ...(iif ? { iif } : {}) };
}

/** True when the reply is delivered locally over lo, i.e. back to mmproxy. */
export function deliveredLocally(answer: RouteAnswer): boolean {
  return answer.ok && answer.route.type === 'local' && answer.route.dev === 'lo';
}

/** One line saying what the kernel would do with the SYN-ACK, and what that means. */
export function describeReplyRoute(answer: RouteAnswer, target: string): string {
  if (!answer.ok) {
    const meaning = isLoopback(requireIp(target))
      ? 'the kernel will not send a packet with a loopback source out of a non-loopback interface, so the SYN-ACK is never sent'
      : 'the SYN-ACK cannot be routed at all';
    return `\`${answer.command}\` → ${answer.error}: ${meaning}`;
  }
  const route = formatRoute(answer.route);
  if (deliveredLocally(answer)) return `\`${answer.command}\` → ${route}: replies come back to mmproxy over lo`;
  return `\`${answer.command}\` → ${route}: the SYN-ACK leaves by ${answer.route.dev ?? 'another route'} and never reaches mmproxy`;
}

/** True when the target is an address of this host (so the reply is locally generated here). */
export async function targetIsLocal(ctx: DoctorContext, family: Family, target: string): Promise<boolean> {
  const answer = await ctx.ip.routeGet({ family, destination: target });
  return answer.ok && answer.route.type === 'local';
}
