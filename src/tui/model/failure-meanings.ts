/**
 * What each failure reason means to someone running the proxy, and when a
 * pattern of failures points at a known cause.
 */
import type { FailureReason } from '../../base/flows.js';
import type { RecentActivity } from '../../stats/schema.js';

/** Short enough to follow the counts on one 80-column line. */
export const FAILURE_MEANINGS: Record<FailureReason, string> = {
  not_allowed: 'load balancer not in -allowed-subnets',
  header_timeout: 'no complete PROXY header in time',
  bad_header: 'bad PROXY/SPP header',
  connect_timeout: 'upstream connect timed out; replies lost?',
  connect_refused: 'target refused: is the app listening?',
  address_in_use: "client's address:port taken (two LBs? --collision)",
  connect_error: 'upstream connect failed',
  relay_error: 'a peer reset the connection while relaying',
  too_many_connections: 'over the connection limit, closed at once',
  no_target: 'no target for this family (-4 / -6 unset)',
  peer_timeout: 'a peer went silent (keepalive), flow ended',
  local_client: 'header named this host as client (--allow-local-clients)',
  destination_not_allowed: 'destination not in --dynamic-destination-allow',
};

/** A run this long is not bad luck. */
const CONNECT_TIMEOUT_RUN = 3;

/**
 * Connect timeouts in a row, with no connect succeeding in between, are the
 * signature of missing loopback policy routing: the app's SYN-ACK leaves by
 * the default route instead of coming back to mmproxy.
 */
export function loopbackRoutingSuspected(recent: RecentActivity): boolean {
  return recent.connectTimeoutRun >= CONNECT_TIMEOUT_RUN;
}

export const LOOPBACK_HINT = 'loopback routing missing? run `mmproxy doctor`';
