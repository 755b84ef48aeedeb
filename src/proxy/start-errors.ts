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
  EACCES:
    'mmproxy needs CAP_NET_ADMIN (IP_TRANSPARENT), and CAP_NET_BIND_SERVICE below port 1024; run it as root or ' +
    'grant them with setcap to the node binary',
};

export function startFailureMessage(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  const advice = typeof code === 'string' ? (ADVICE[code] ?? (code === 'EPERM' ? ADVICE['EACCES'] : undefined)) : undefined;
  return advice ? `${detail}: ${advice}` : `the data plane did not start: ${detail}`;
}
