/**
 * What a data plane failure most likely means and what to do about it, added
 * to its log line. A connect timeout is raised to a warning: it almost always
 * means replies to spoofed addresses leave by the default route instead of
 * loopback, so every connection fails, and the user should see it at -v 0.
 */
import type { LogLevel } from './log/record.js';

interface Hint {
  text: string;
  /** Shown at this level at least, whatever level the data plane chose. */
  atLeast?: LogLevel;
}

export const FAILURE_HINTS: Readonly<Record<string, Hint>> = {
  connect_timeout: {
    text: "replies to the client's address are probably not routed back over loopback; run `mmproxy doctor`",
    atLeast: 'warn',
  },
  connect_refused: { text: 'nothing listens on the target address; is the service running?' },
  address_in_use: {
    text: "the client's address and port are already connected to this target (a second proxy, or a port reused too soon)",
  },
  not_allowed: { text: 'the peer is not in -allowed-subnets' },
  header_timeout: {
    text: 'no complete PROXY header in --header-timeout; does the load balancer send one (send-proxy)?',
  },
  bad_header: { text: 'the peer did not send a valid PROXY v1/v2 header' },
  too_many_connections: { text: '--max-connections reached' },
  no_target: { text: 'no target for this address family (-4/-6), or no destination in the header' },
};
