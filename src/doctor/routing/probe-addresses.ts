/**
 * The fake clients of probes and route lookups: documentation ranges
 * (RFC 5737, RFC 3849), which no real client uses, so nothing the doctor does
 * can reach or impersonate a real host. The capture probe uses its own
 * address so its packets are never confused with the reachability probe's.
 */
export const PROBE_CLIENT = { 4: '192.0.2.1', 6: '2001:db8::1' } as const;
export const CAPTURE_CLIENT = { 4: '192.0.2.2', 6: '2001:db8::2' } as const;
