/** The fields of `ip -j` output the doctor reads (iproute2 6.x JSON). */

export interface IpRule {
  priority: number;
  /** "all" or an address; `srclen` is absent for a host (/32, /128) or "all". */
  src?: string;
  srclen?: number;
  iif?: string;
  /** "0x7" form; absent when the rule does not match on marks. */
  fwmark?: string;
  fwmask?: string;
  /** Table name or number as text: "local", "main", "123". */
  table?: string;
  /** "unreachable", "blackhole", "goto"... absent for a plain lookup. */
  action?: string;
  not?: null;
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
}

export interface IpAddrInfo {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
}

export interface IpLink {
  ifname: string;
  flags: string[];
  addr_info: IpAddrInfo[];
}

/** `ip route get` either answers with a route or refuses with an error. */
export type RouteAnswer = { ok: true; route: IpRoute; command: string } | { ok: false; error: string; command: string };
