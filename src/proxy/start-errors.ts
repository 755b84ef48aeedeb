/** Why the data plane did not start, said so that the user knows what to change. */
import type { DataPlaneConfig } from '../native/dataplane-types.js';
import { formatEndpoint } from './endpoint.js';

export function startFailureMessage(error: unknown, config: DataPlaneConfig): string {
  const code = (error as { code?: unknown } | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  const listen = formatEndpoint(config.listen);
  switch (code) {
    case 'EADDRINUSE':
      return `cannot listen on ${listen}: another program already listens there (${detail}); stop it or pick another -l`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${listen}: no interface has that address (${detail}); use -listen-transparent for non-local addresses`;
    case 'EACCES':
    case 'EPERM':
      return (
        `not permitted (${detail}): IP_TRANSPARENT needs CAP_NET_ADMIN; run as root, or ` +
        '`setcap cap_net_admin,cap_net_bind_service+ep "$(command -v node)"`'
      );
    default:
      return `the data plane did not start: ${detail}`;
  }
}
