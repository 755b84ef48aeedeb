/**
 * What the doctor must say about each broken (and the healthy) setup. Shared
 * by the unit tests, which replay fixtures recorded in these setups, and the
 * namespace tests, which build the setups for real (test/netns/doctor/).
 */
import type { CheckStatus } from '../../../src/doctor/types.js';

export interface Expectation {
  status: CheckStatus;
  /** The exact summary, or a pattern when it carries run-specific details. */
  summary: string | RegExp;
  /** Exact fix commands, when the finding has them. */
  commands?: string[];
}

export interface ScenarioExpectation {
  /** The doctor's arguments (the proxy's flags). */
  args: string[];
  /** Expected results by check id; checks not listed must not fail. */
  checks: Record<string, Expectation>;
  /**
   * Whether `--fix --yes` must turn every failure into success. False where the fix is not an ip rule/route,
   * which --fix never applies: the -mark scenarios' netfilter rules and sysctl are applied as printed, and
   * checked for what they must not break, by test/netns/doctor/mark-fixes.test.ts.
   */
  fixRepairs: boolean;
}

const LOOPBACK_ARGS = ['-4', '127.0.0.1:8080', '-6', '[::1]:8080', '-l', '127.0.0.1:8443'];
const REMOTE_ARGS = ['-4', '198.51.100.1:8080', '-6', 'none', '-l', '127.0.0.1:8443', '-mark', '7'];
const MARK_ARGS = ['-4', '127.0.0.1:8080', '-6', 'none', '-l', '127.0.0.1:8443', '-mark', '7'];

const V4_OK: Expectation = {
  status: 'ok',
  summary: 'replies from 127.0.0.1 to spoofed clients are routed back over lo',
};
const V6_OK: Expectation = { status: 'ok', summary: 'replies from ::1 to spoofed clients are routed back over lo' };
const V4_MISSING: Expectation = {
  status: 'fail',
  summary: 'no rule sends replies from 127.0.0.1 (iif lo) to a table with a local route',
  commands: [
    'ip route add local 0.0.0.0/0 dev lo table 123',
    'ip rule add from 127.0.0.1 iif lo ipproto tcp sport 8080 lookup 123',
  ],
};
const V6_MISSING: Expectation = {
  status: 'fail',
  summary: 'no rule sends replies from ::1 (iif lo) to a table with a local route',
  commands: [
    'ip -6 route add local ::/0 dev lo table 123',
    'ip -6 rule add from ::1 iif lo ipproto tcp sport 8080 lookup 123',
  ],
};
const SPOOFED_TIMEOUT = /answers a plain connect but a spoofed one times out/;

export const SCENARIOS: Record<string, ScenarioExpectation> = {
  healthy: {
    args: LOOPBACK_ARGS,
    checks: {
      privilege: { status: 'ok', summary: 'this process may set IP_TRANSPARENT' },
      'loopback-routing-v4': V4_OK,
      'loopback-routing-v6': V6_OK,
      target: {
        status: 'ok',
        summary:
          '127.0.0.1:8080 answers plain and spoofed connections; [::1]:8080 answers plain and spoofed connections',
      },
      'mark-routing': { status: 'skip', summary: 'no -mark, and every target is on this host' },
    },
    fixRepairs: true,
  },
  'no-routing': {
    args: LOOPBACK_ARGS,
    checks: {
      'loopback-routing-v4': V4_MISSING,
      'loopback-routing-v6': V6_MISSING,
      target: { status: 'fail', summary: SPOOFED_TIMEOUT },
    },
    fixRepairs: true,
  },
  'no-routing-capture': {
    args: [...LOOPBACK_ARGS, '--capture'],
    checks: {
      'loopback-routing-v4': V4_MISSING,
      'loopback-routing-v6': V6_MISSING,
      target: { status: 'fail', summary: SPOOFED_TIMEOUT },
      'packet-capture': {
        status: 'fail',
        summary:
          'the SYN crossed lo and no SYN-ACK followed: the SYN was dropped on its way in (PREROUTING, INPUT) or the SYN-ACK before it left (routing, OUTPUT)',
      },
    },
    fixRepairs: true,
  },
  'healthy-capture': {
    args: [...LOOPBACK_ARGS, '--capture'],
    checks: {
      'loopback-routing-v4': V4_OK,
      'packet-capture': { status: 'ok', summary: 'the SYN-ACK came back and the handshake completed' },
    },
    fixRepairs: true,
  },
  'missing-v4': {
    args: LOOPBACK_ARGS,
    checks: {
      'loopback-routing-v4': {
        status: 'fail',
        summary: 'no rule sends replies from 127.0.0.1 (iif lo) to a table with a local route',
        // Table 123 serves the IPv6 loopback rule only: the IPv4 rule joins it, as in the recipe.
        commands: [
          'ip route add local 0.0.0.0/0 dev lo table 123',
          'ip rule add from 127.0.0.1 iif lo ipproto tcp sport 8080 lookup 123',
        ],
      },
      'loopback-routing-v6': V6_OK,
      target: { status: 'fail', summary: /^127\.0\.0\.1:8080 answers a plain connect but a spoofed one times out/ },
    },
    fixRepairs: true,
  },
  'missing-v6': {
    args: LOOPBACK_ARGS,
    checks: {
      'loopback-routing-v4': V4_OK,
      'loopback-routing-v6': {
        status: 'fail',
        summary: 'no rule sends replies from ::1 (iif lo) to a table with a local route',
        commands: [
          'ip -6 route add local ::/0 dev lo table 123',
          'ip -6 rule add from ::1 iif lo ipproto tcp sport 8080 lookup 123',
        ],
      },
      target: { status: 'fail', summary: /^\[::1\]:8080 answers a plain connect but a spoofed one times out/ },
    },
    fixRepairs: true,
  },
  'empty-table': {
    args: LOOPBACK_ARGS,
    checks: {
      'loopback-routing-v4': {
        status: 'fail',
        summary:
          'rule "32765: from 127.0.0.1/8 iif lo lookup 123" catches replies from 127.0.0.1, but table 123 has no `local 0.0.0.0/0 dev lo` route',
        commands: ['ip route add local 0.0.0.0/0 dev lo table 123'],
      },
      'loopback-routing-v6': V6_OK,
      target: { status: 'fail', summary: SPOOFED_TIMEOUT },
    },
    fixRepairs: true,
  },
  'rule-after-main': {
    args: LOOPBACK_ARGS,
    checks: {
      'loopback-routing-v4': {
        status: 'fail',
        summary:
          'rule "40000: from 127.0.0.1/8 iif lo lookup 123" comes after main (priority 32766), so main\'s routes win',
        commands: [
          'ip rule add priority 32765 from 127.0.0.1/8 iif lo lookup 123',
          'ip rule del priority 40000 from 127.0.0.1/8 iif lo lookup 123',
        ],
      },
      'loopback-routing-v6': V6_OK,
      target: { status: 'fail', summary: SPOOFED_TIMEOUT },
    },
    fixRepairs: true,
  },
  'wrong-source': {
    args: ['-4', '127.0.0.2:8080', '-6', '[::1]:8080', '-l', '127.0.0.1:8443'],
    checks: {
      'loopback-routing-v4': {
        status: 'fail',
        summary:
          'rule "32765: from 127.0.0.1 iif lo lookup 123" does not cover the target 127.0.0.2: replies from 127.0.0.2 miss it',
        commands: ['ip rule add from 127.0.0.2 iif lo ipproto tcp sport 8080 lookup 123'],
      },
      'loopback-routing-v6': V6_OK,
      target: { status: 'fail', summary: SPOOFED_TIMEOUT },
    },
    fixRepairs: true,
  },
  'mark-no-connmark': {
    args: MARK_ARGS,
    checks: {
      'mark-routing': {
        status: 'fail',
        summary:
          "no rule saves mark 7 on the connection where the SYN passes (OUTPUT, POSTROUTING, PREROUTING or INPUT); no rule restores mark 7 on the reply in an OUTPUT chain that routes again (iptables' mangle, nftables type route)",
        commands: [
          'iptables -t mangle -A OUTPUT -m mark --mark 7 -j CONNMARK --save-mark',
          'iptables -t mangle -A OUTPUT -m connmark --mark 7 -j CONNMARK --restore-mark',
        ],
      },
      'loopback-routing-v4': {
        status: 'skip',
        summary: /^no loopback rule for 127\.0\.0\.1; with -mark 7 replies are meant to follow the mark/,
      },
      target: { status: 'fail', summary: SPOOFED_TIMEOUT },
    },
    fixRepairs: false,
  },
  'mark-no-localnet': {
    args: MARK_ARGS,
    checks: {
      'mark-routing': {
        status: 'fail',
        summary:
          'route_localnet is off on eth0: the unmarked reply from 127.0.0.1 is refused before its mark is restored',
        commands: [
          'iptables -I INPUT -i eth0 -d 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
          'sysctl -w net.ipv4.conf.eth0.route_localnet=1',
        ],
      },
      target: { status: 'fail', summary: SPOOFED_TIMEOUT },
    },
    fixRepairs: false,
  },
  'mark-healthy': {
    args: MARK_ARGS,
    checks: {
      privilege: { status: 'ok', summary: 'this process may set IP_TRANSPARENT and SO_MARK' },
      'mark-routing': { status: 'ok', summary: 'replies to connections marked 7 are routed back locally' },
      target: { status: 'ok', summary: '127.0.0.1:8080 answers plain and spoofed connections' },
    },
    fixRepairs: true,
  },
  'mark-healthy-nft': {
    args: MARK_ARGS,
    checks: {
      'mark-routing': { status: 'ok', summary: 'replies to connections marked 7 are routed back locally' },
      target: { status: 'ok', summary: '127.0.0.1:8080 answers plain and spoofed connections' },
    },
    fixRepairs: true,
  },
  'mark-remote-healthy': {
    args: REMOTE_ARGS,
    checks: {
      'mark-routing': { status: 'ok', summary: 'replies to connections marked 7 are routed back locally' },
      'loopback-routing-v4': {
        status: 'skip',
        summary:
          'target 198.51.100.1 is not an address of this host: its replies arrive over the network (see mark-based routing)',
      },
      target: { status: 'ok', summary: '198.51.100.1:8080 answers plain and spoofed connections' },
    },
    fixRepairs: true,
  },
  'mark-remote-no-restore': {
    args: REMOTE_ARGS,
    checks: {
      'mark-routing': {
        status: 'fail',
        summary: 'no rule restores mark 7 on the reply in PREROUTING',
        commands: ['iptables -t mangle -A PREROUTING -m connmark --mark 7 -j CONNMARK --restore-mark'],
      },
      target: { status: 'fail', summary: /^198\.51\.100\.1:8080 answers a plain connect but a spoofed one times out/ },
    },
    fixRepairs: false,
  },
  'mark-remote-no-clear': {
    args: REMOTE_ARGS,
    checks: {
      'mark-routing': {
        status: 'fail',
        summary:
          "packets marked 7 keep their mark after the save: the fwmark rule delivers the proxy's own SYN to 198.51.100.1 locally",
        commands: ['iptables -t mangle -A OUTPUT -m mark --mark 7 -j MARK --set-mark 0   # after the --save-mark rule'],
      },
      target: { status: 'fail', summary: /^198\.51\.100\.1:8080 answers a plain connect but a spoofed one/ },
    },
    fixRepairs: false,
  },
  'mark-remote-no-restore-capture': {
    args: [...REMOTE_ARGS, '--capture'],
    checks: {
      'mark-routing': { status: 'fail', summary: 'no rule restores mark 7 on the reply in PREROUTING' },
      'packet-capture': {
        status: 'fail',
        summary: 'the SYN-ACK from 198.51.100.1 arrived on eth0 but never reached the spoofed socket',
      },
      target: { status: 'fail', summary: /^198\.51\.100\.1:8080 answers a plain connect but a spoofed one times out/ },
    },
    fixRepairs: false,
  },
  'no-privilege': {
    args: LOOPBACK_ARGS,
    checks: {
      privilege: {
        status: 'fail',
        summary: 'cannot set IP_TRANSPARENT, IPV6_TRANSPARENT: every upstream connect would fail with EPERM',
      },
      'loopback-routing-v4': V4_OK,
      target: {
        status: 'fail',
        summary:
          'spoofed connect to 127.0.0.1:8080 not permitted (see privilege); spoofed connect to [::1]:8080 not permitted (see privilege)',
      },
    },
    fixRepairs: false,
  },
  'no-privilege-capture': {
    args: [...LOOPBACK_ARGS, '--capture', 'privilege', 'capture'],
    checks: {
      privilege: {
        status: 'fail',
        summary: 'cannot set IP_TRANSPARENT, IPV6_TRANSPARENT: every upstream connect would fail with EPERM',
      },
      'packet-capture': {
        status: 'skip',
        summary: /^no packet evidence: libpcap could not open a capture \(.+\); capturing needs root or CAP_NET_RAW$/,
      },
    },
    fixRepairs: false,
  },
  'udp-wildcard': {
    args: ['-p', 'udp', '-4', '127.0.0.1:5353', '-6', 'none', '-l', '127.0.0.1:8443'],
    checks: {
      'udp-wildcard': {
        status: 'fail',
        summary:
          "the app's UDP socket for 127.0.0.1:5353 is bound to a wildcard address: its replies miss the loopback routing (a plain datagram was answered, the spoofed one was not)",
      },
      'loopback-routing-v4': V4_OK,
    },
    fixRepairs: false,
  },
};
