/** The fields of `ip -j` output the doctor reads (iproute2 6.x JSON). */

/**
 * One row of `ip -j rule show`, as iproute2 prints it: a selector is present
 * only when the rule has it. Read by ../routing/policy/rule.ts, which also
 * notices keys that are not listed here (selectors newer than this code).
 */
export interface IpRule {
  priority: number;
  /** Present (as null) when the rule is inverted. */
  not?: null;
  /** "all" or an address; `srclen` is absent for a host (/32, /128) or "all". */
  src?: string;
  srclen?: number;
  dst?: string;
  dstlen?: number;
  /** "0x10"; also printed as a name from /etc/iproute2/rt_dsfield. */
  tos?: string;
  /** iproute2 6.13+: DSCP value and mask. */
  dscp?: string | number;
  dscp_mask?: string;
  /** "0x7" form; absent when the rule does not match on marks. */
  fwmark?: string;
  fwmask?: string;
  iif?: string;
  /** Present when the named interface does not exist (the rule then never matches). */
  iif_detached?: null;
  oif?: string;
  oif_detached?: null;
  uid_start?: number;
  uid_end?: number;
  /** A protocol name ("tcp") or number. */
  ipproto?: string;
  sport?: number;
  sport_mask?: string;
  sport_start?: number;
  sport_end?: number;
  dport?: number;
  dport_mask?: string;
  dport_start?: number;
  dport_end?: number;
  tun_id?: number;
  l3mdev?: null;
  /** Table name or number as text: "local", "main", "123". */
  table?: string;
  suppress_prefixlen?: number;
  suppress_ifgroup?: string;
  /** "unreachable", "blackhole", "prohibit"; absent for a lookup, goto and nop. */
  action?: string;
  goto?: number | string;
  unresolved?: null;
  nop?: null;
  /** Realms (classification only: they do not affect matching). */
  flow_from?: string;
  flow_to?: string;
  /** Who added the rule, as a routing protocol name ("kernel", "static"...). */
  protocol?: string;
}

export interface IpRoute {
  type?: string;
  /** "default" or a prefix ("127.0.0.0/8") or an address. */
  dst: string;
  dev?: string;
  table?: string;
  gateway?: string;
  prefsrc?: string;
  from?: string;
  mark?: number;
  metric?: number;
  flags?: string[];
}

export interface IpAddrInfo {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
}

export interface IpLink {
  ifname: string;
  flags: string[];
  /** Interface group, by name ("default") or number: what suppress_ifgroup compares. */
  group?: string;
  addr_info: IpAddrInfo[];
}

/** `ip route get` either answers with a route or refuses with an error. */
export type RouteAnswer = { ok: true; route: IpRoute; command: string } | { ok: false; error: string; command: string };
