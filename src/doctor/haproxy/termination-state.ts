/**
 * HAProxy's termination state, the two first characters of its
 * `termination_state` log field, in words. Meanings follow the "Session state
 * at disconnection" section of HAProxy's doc/configuration.txt.
 */

const FIRST_EVENT: Record<string, string> = {
  C: 'the client aborted the session unexpectedly',
  S: 'the server side aborted the session unexpectedly, or explicitly refused it',
  P: 'HAProxy aborted the session prematurely (connection limit, deny rule, or a security check on the response)',
  L: 'HAProxy handled the session locally without passing it to a server',
  R: 'a resource on the proxy ran out (memory, sockets, source ports)',
  I: 'HAProxy detected an internal error during a self-check',
  D: 'HAProxy killed the session because the server was detected as down',
  U: 'HAProxy killed the session on this backup server because an active server came up',
  K: 'an administrator killed the session on HAProxy',
  c: 'the client-side timeout expired while waiting for the client to send or receive data',
  s: 'the server-side timeout expired while waiting for the server to send or receive data',
  '-': 'normal end: both sides closed with nothing left in the buffers',
};

const SESSION_PHASE: Record<string, string> = {
  R: 'while waiting for a complete, valid request from the client',
  Q: 'while waiting in the queue for a connection slot',
  C: 'while waiting for the connection to the server to be established',
  H: 'while waiting for complete, valid response headers from the server',
  D: 'during the data phase',
  L: 'while still sending the last data to the client after the server had finished',
  T: 'while the request was tarpitted',
  '-': 'after the end of the data transfer',
};

/** "SD" → "the server side aborted … during the data phase". */
export function explainTerminationState(state: string): string {
  const first = state[0] ?? '?';
  const second = state[1] ?? '?';
  if (first === '-' && second === '-') return FIRST_EVENT['-'] as string;
  const event = FIRST_EVENT[first] ?? `unknown event code ${JSON.stringify(first)}`;
  const phase = SESSION_PHASE[second] ?? `in unknown state ${JSON.stringify(second)}`;
  return `${event}, ${phase}`;
}

/** True when the first event came from the server side (abort or timeout). */
export function isServerSideEnd(state: string): boolean {
  return state[0] === 'S' || state[0] === 's';
}
