/**
 * Why the data plane did not start, said so that the user knows what to
 * change: the data plane's own message (it names the address and the failed
 * call), then what to do about that error code.
 */
const ADVICE: Readonly<Record<string, string>> = {
  EADDRINUSE:
    'another program already listens there (another mmproxy?); stop it, pick another -l, or pass --reuse-port ' +
    'to share the port with another mmproxy during a hand-over restart',
  EADDRNOTAVAIL: 'no interface has that address; use -listen-transparent to accept for a non-local address',
  // bind() says EACCES for a port below 1024 (net.ipv4.ip_unprivileged_port_start) without the capability.
  EACCES:
    'listening below port 1024 needs CAP_NET_BIND_SERVICE: give it beside CAP_NET_ADMIN ' +
    '(AmbientCapabilities=CAP_NET_ADMIN CAP_NET_BIND_SERVICE in the systemd unit, or ' +
    '`setpriv … --inh-caps=+net_admin,+net_bind_service --ambient-caps=+net_admin,+net_bind_service`), or pick a port from 1024 with -l',
  // setsockopt(IP_TRANSPARENT / SO_MARK) on a listener says EPERM without the capability.
  EPERM:
    'mmproxy needs CAP_NET_ADMIN (IP_TRANSPARENT, SO_MARK): run it from its systemd unit (AmbientCapabilities=CAP_NET_ADMIN), ' +
    'or as root, or start it from root with `setpriv --reuid=USER --regid=GROUP --clear-groups --inh-caps=+net_admin --ambient-caps=+net_admin`',
};

export function startFailureMessage(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  const advice = typeof code === 'string' ? ADVICE[code] : undefined;
  return advice ? `${detail}: ${advice}` : `the data plane did not start: ${detail}`;
}
