/**
 * The probe's own conntrack entry (/proc/net/nf_conntrack, or `conntrack -L`
 * where the proc file is not built in), read after a failed probe. Its state
 * says how far the handshake got past conntrack's hook in OUTPUT: SYN_SENT
 * means the app's SYN-ACK never reached it (the SYN was lost on its way in,
 * or the app never answered), SYN_RECV that the app did answer and the
 * SYN-ACK was lost on its way back.
 */
import { formatIp, parseIp, type IpAddress } from '../../base/net/ip.js';

export interface ConntrackEntry {
  protocol: string;
  /** TCP's state (SYN_SENT, SYN_RECV, ESTABLISHED...); null for UDP. */
  state: string | null;
  /** No packet seen in the reply direction. */
  unreplied: boolean;
  mark: number;
  sport: number;
  /** Seconds left before the entry expires: the newest entry has the most. */
  timeout: number;
}

export interface ConntrackQuery {
  protocol: 'tcp' | 'udp';
  client: IpAddress;
  /** The probe's own port when known; otherwise the newest entry of the client wins. */
  clientPort: number | null;
  target: IpAddress;
  targetPort: number;
}

function parseLine(line: string): (ConntrackEntry & { src: string; dst: string; dport: number }) | null {
  const tokens = line.trim().split(/\s+/);
  // /proc/net/nf_conntrack starts with the layer-3 name and number; `conntrack -L` does not.
  const start = tokens[0] === 'ipv4' || tokens[0] === 'ipv6' ? 2 : 0;
  const protocol = tokens[start];
  const timeout = Number(tokens[start + 2]);
  if (!protocol || !Number.isFinite(timeout)) return null;
  const rest = tokens.slice(start + 3);
  const state = rest[0] && !rest[0].includes('=') && !rest[0].startsWith('[') ? rest[0] : null;
  const original = new Map<string, string>();
  let mark = 0;
  for (const token of rest) {
    const [key, value] = token.split('=');
    if (key === undefined || value === undefined) continue;
    if (key === 'mark') mark = Number(value);
    // The first src/dst/sport/dport are the original direction's.
    else if (!original.has(key)) original.set(key, value);
  }
  const canonical = (text: string | undefined) => {
    const address = text === undefined ? null : parseIp(text);
    return address ? formatIp(address) : '';
  };
  return {
    protocol,
    state,
    unreplied: rest.includes('[UNREPLIED]'),
    mark,
    timeout,
    src: canonical(original.get('src')),
    dst: canonical(original.get('dst')),
    sport: Number(original.get('sport')),
    dport: Number(original.get('dport')),
  };
}

export function findConntrackEntry(text: string, query: ConntrackQuery): ConntrackEntry | null {
  const client = formatIp(query.client);
  const target = formatIp(query.target);
  const matches = text
    .split('\n')
    .map(parseLine)
    .filter(
      (entry): entry is NonNullable<ReturnType<typeof parseLine>> =>
        entry !== null &&
        entry.protocol === query.protocol &&
        entry.src === client &&
        entry.dst === target &&
        entry.dport === query.targetPort &&
        (query.clientPort === null || entry.sport === query.clientPort),
    )
    .sort((a, b) => b.timeout - a.timeout);
  const [newest] = matches;
  if (!newest) return null;
  const { protocol, state, unreplied, mark, sport, timeout } = newest;
  return { protocol, state, unreplied, mark, sport, timeout };
}

/** What the entry says about where the handshake stopped. */
export function describeConntrackEntry(entry: ConntrackEntry | null, protocol: 'tcp' | 'udp'): string {
  if (!entry) {
    return 'conntrack holds no entry for the probe (conntrack not in use, the packet was untracked, or dropped before conntrack saw it)';
  }
  const mark = entry.mark ? `, connection mark ${entry.mark}` : '';
  if (protocol === 'udp') {
    return entry.unreplied
      ? `conntrack entry UNREPLIED${mark}: no reply passed conntrack in OUTPUT`
      : `conntrack entry with a reply${mark}: the app answered, the reply was lost after conntrack's hook`;
  }
  switch (entry.state) {
    case 'SYN_SENT':
      return `conntrack entry SYN_SENT${mark}: the SYN passed conntrack, no SYN-ACK did (the SYN was lost on its way to the app, or the app never answered)`;
    case 'SYN_RECV':
      return `conntrack entry SYN_RECV${mark}: the app answered with a SYN-ACK, which was lost after conntrack's hook in OUTPUT`;
    default:
      return `conntrack entry ${entry.state ?? '?'}${mark}`;
  }
}
