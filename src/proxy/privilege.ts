/**
 * Before listening: may this process spoof client addresses? Tried for real
 * on a throw-away socket (IP_TRANSPARENT, and SO_MARK with -mark), exactly
 * what every upstream connect will need, because capabilities reach a
 * process in too many ways (root, ambient set, file capabilities, user
 * namespaces) to infer. Without it every connection would be accepted only to
 * be reset, so the proxy refuses to start and says which capability to give.
 */
import type { SocketOptionProbeResult } from '../native/native-types.js';

export type SocketOptionProbe = (options: {
  family: 4 | 6;
  option: 'transparent' | 'mark';
  mark: number;
}) => SocketOptionProbeResult;

/** errno names that mean "not allowed", as opposed to "not supported here" (IPv6 off: EAFNOSUPPORT). */
const DENIED = new Set(['EPERM', 'EACCES']);

const HOW_TO_GRANT =
  'run mmproxy from its systemd unit (AmbientCapabilities=CAP_NET_ADMIN, see scripts/systemd/), or as root, or ' +
  'start it from root as another user keeping just that capability: `setpriv --reuid=USER --regid=GROUP --clear-groups ' +
  '--inh-caps=+net_admin --ambient-caps=+net_admin mmproxy …`';

/** Null when the proxy may spoof; else the one-line reason, naming the capability and how to grant it. */
export function missingPrivilege(probe: SocketOptionProbe, mark: number): string | null {
  const denied: string[] = [];
  for (const family of [4, 6] as const) {
    const result = probe({ family, option: 'transparent', mark: 0 });
    if (!result.ok && DENIED.has(result.code ?? ''))
      denied.push(`${family === 4 ? 'IP_TRANSPARENT' : 'IPV6_TRANSPARENT'} (${result.code})`);
  }
  if (mark !== 0) {
    const result = probe({ family: 4, option: 'mark', mark });
    if (!result.ok && DENIED.has(result.code ?? '')) denied.push(`SO_MARK ${mark} (${result.code})`);
  }
  if (denied.length === 0) return null;
  return `cannot set ${denied.join(', ')}: connecting to the target from the client's address needs CAP_NET_ADMIN; ${HOW_TO_GRANT}`;
}
