/**
 * The hostile TCP inputs, one class per way of attacking the header reader, each with the counters it must
 * move. Every connection also counts once in `accepted`, unless it never reaches accept() (`neverAccepted`).
 */
import { v1, v2, v2Raw } from '../../dataplane/harness/headers.js';
import {
  type Client,
  destinationFor,
  INET_DGRAM,
  NOT_UNICAST_CLIENTS,
  TLV_NOOP,
  TLV_SSL,
  TLV_SSL_VERSION,
  V2_MAX_LENGTH,
  V2_PROXY,
  sslTlv,
  tinyTlvs,
  tinyTlvsFilling,
  tlv,
  v2Inet,
  v2WithCrc32c,
  withDeclaredLength,
} from './hostile-bytes.js';
import { BLACK_HOLED_CLIENT } from './hostile-lab.js';
import { badHeader } from './proxy-watch.js';
import { randomInputs } from './random-headers.js';
import type { Delivery } from './tcp-hostile-sender.js';

export interface TcpConnection {
  bytes: Buffer;
  /** For 'echo': what must come back after the service's banner. */
  echo?: Buffer;
  /** The counters this connection moves, besides `accepted`. */
  counts: string[];
  /**
   * Reset before sending a byte: the listener's TCP_DEFER_ACCEPT keeps it in the kernel, which drops it on the
   * reset, so it is never accepted and moves no counter at all.
   */
  neverAccepted?: boolean;
}

export interface TcpCase {
  name: string;
  delivery: Delivery;
  /** Written in pieces of `bytes`, `ms` apart (else at once). */
  pieces?: { bytes: number; ms: number };
  /** The proxy must end every connection before its bytes are all out (slowloris). */
  cutShort?: boolean;
  /** Connections open at once; all of them for the slow classes. */
  concurrency?: number;
  connections: TcpConnection[];
}

const HEADER_TIMEOUT = ['failures.header_timeout'];
const RELAYED = ['established', 'completed'];

/** Spoofed clients with ports unique across the suite: a 4-tuple in TIME_WAIT is never reused. */
let nextPort = 20_000;
function client(address = '198.51.100.7'): Client {
  return { address, port: nextPort++ };
}

function v1For(from: Client): Buffer {
  return v1({ source: from.address, sourcePort: from.port, destination: '192.0.2.2', destinationPort: 8443 });
}

function times(count: number, make: () => TcpConnection): TcpConnection[] {
  return Array.from({ length: count }, make);
}

/** Bytes after a header that the service must get verbatim (and echo back). */
const AFTER = Buffer.from('bytes after the header, for the application\n');

function relayed(header: Buffer, after = AFTER): TcpConnection {
  return { bytes: Buffer.concat([header, after]), echo: after, counts: RELAYED };
}

/** Every prefix of a header, cut before its last byte. */
function prefixes(header: Buffer): TcpConnection[] {
  return Array.from({ length: header.length - 1 }, (_, i) => ({
    bytes: header.subarray(0, i + 1),
    counts: badHeader('ERR_HEADER_TRUNCATED'),
  }));
}

export function tcpCases(): TcpCase[] {
  const longLine = (length: number): Buffer => Buffer.from(`PROXY UNKNOWN ${'x'.repeat(length - 14)}`, 'latin1');
  const claimsMax = (sent: number): Buffer => {
    const header = withDeclaredLength(v2Inet(client()), V2_MAX_LENGTH - 16);
    return Buffer.concat([header, Buffer.alloc(Math.max(0, sent - header.length), TLV_NOOP)]);
  };
  const crcOverBomb = (): Buffer => v2WithCrc32c(client(), tinyTlvsFilling(V2_MAX_LENGTH, 7), true);
  const sslBomb = (): Buffer => {
    const versions = Array.from({ length: 5_000 }, () => tlv(TLV_SSL_VERSION, Buffer.from('TLSv1.3')));
    // An SSL TLV inside the SSL TLV, itself full of sub-TLVs: sub-TLVs are framed, never descended into.
    const nested = sslTlv(Array.from({ length: 1_000 }, () => tlv(TLV_SSL, Buffer.alloc(0))));
    return v2Inet(client(), [sslTlv([...versions, nested])]);
  };
  // Tiny TLVs up to `offset`, then a NOOP TLV claiming more than the 65535 declared bytes leave, then padding.
  const overrunAt = (offset: number, sent: number): Buffer => {
    const head = v2Inet(client(), tinyTlvs(Math.floor((offset - 28) / 3)));
    const bytes = Buffer.concat([head, tlv(TLV_NOOP, Buffer.alloc(0), 0xffff)]);
    return withDeclaredLength(Buffer.concat([bytes, Buffer.alloc(sent - bytes.length)]), V2_MAX_LENGTH - 16);
  };
  const inKib = { bytes: 1024, ms: 1 };
  return [
    {
      name: 'slowloris: a valid v1 header, one byte every 300 ms (header timeout 1 s)',
      delivery: 'hold',
      pieces: { bytes: 1, ms: 300 },
      cutShort: true,
      concurrency: 100,
      connections: times(100, () => ({ bytes: v1For(client()), counts: HEADER_TIMEOUT })),
    },
    {
      name: 'slowloris: a valid v2 header, one byte every 300 ms',
      delivery: 'hold',
      pieces: { bytes: 1, ms: 300 },
      cutShort: true,
      concurrency: 50,
      connections: times(50, () => ({ bytes: v2Inet(client()), counts: HEADER_TIMEOUT })),
    },
    {
      name: 'v1 line of 300 bytes without CRLF, then silence',
      delivery: 'hold',
      connections: times(20, () => ({ bytes: longLine(300), counts: badHeader('ERR_V1_TOO_LONG') })),
    },
    {
      name: 'v1 line of 64 KiB without CRLF, then FIN',
      delivery: 'fin',
      connections: times(10, () => ({ bytes: longLine(64 * 1024), counts: badHeader('ERR_V1_TOO_LONG') })),
    },
    {
      name: 'v2 claiming 65535 bytes, 28 sent, then silence',
      delivery: 'hold',
      concurrency: 20,
      connections: times(20, () => ({ bytes: claimsMax(28), counts: HEADER_TIMEOUT })),
    },
    {
      name: 'v2 claiming 65535 bytes, 32 KiB sent, then FIN',
      delivery: 'fin',
      connections: times(20, () => ({ bytes: claimsMax(32 * 1024), counts: badHeader('ERR_HEADER_TRUNCATED') })),
    },
    {
      name: 'v2 of the maximum 65551 bytes: 21,841 tiny TLVs, then application bytes',
      delivery: 'echo',
      connections: times(5, () => relayed(v2Inet(client(), tinyTlvsFilling(V2_MAX_LENGTH)))),
    },
    {
      name: 'v2 of the maximum size, tiny TLVs, and a wrong CRC32C at the end',
      delivery: 'fin',
      connections: times(10, () => ({ bytes: crcOverBomb(), counts: badHeader('ERR_V2_CRC32C_MISMATCH') })),
    },
    {
      name: 'v2 of the maximum size (tiny TLVs) in 1 KiB pieces, then application bytes',
      delivery: 'echo',
      pieces: inKib,
      concurrency: 5,
      connections: times(5, () => relayed(v2Inet(client(), tinyTlvsFilling(V2_MAX_LENGTH)))),
    },
    {
      name: 'v2 claiming 65535 bytes in 1 KiB pieces, a TLV overrun at 40 KB, then silence',
      delivery: 'hold',
      pieces: inKib,
      concurrency: 10,
      connections: times(10, () => ({ bytes: overrunAt(40_000, 41_000), counts: badHeader('ERR_V2_TLV_TRUNCATED') })),
    },
    {
      name: 'v2 claiming 65535 bytes in 1 KiB pieces, a TLV overrun at 40 KB, then FIN',
      delivery: 'fin',
      pieces: inKib,
      concurrency: 10,
      connections: times(10, () => ({ bytes: overrunAt(40_000, 41_000), counts: badHeader('ERR_V2_TLV_TRUNCATED') })),
    },
    {
      name: 'SSL TLV of 5,000 sub-TLVs and an SSL TLV nested in it, then application bytes',
      delivery: 'echo',
      connections: times(5, () => relayed(sslBomb())),
    },
    {
      name: 'SSL sub-TLV longer than its SSL TLV',
      delivery: 'fin',
      connections: times(10, () => ({
        bytes: v2Inet(client(), [sslTlv([tlv(TLV_SSL_VERSION, Buffer.from('TLSv1.3'), 50)])]),
        counts: badHeader('ERR_V2_SSL_TLV_MALFORMED'),
      })),
    },
    {
      name: 'truncated then FIN: every prefix of a v1 and a v2 header',
      delivery: 'fin',
      connections: [...prefixes(v1For(client())), ...prefixes(v2Inet(client()))],
    },
    {
      name: 'part of a header, then a reset (SO_LINGER 0)',
      delivery: 'reset',
      connections: [
        ...times(10, () => ({ bytes: v1For(client()).subarray(0, 20), counts: badHeader('ERR_HEADER_TRUNCATED') })),
        ...times(10, () => ({ bytes: v2Inet(client()).subarray(0, 14), counts: badHeader('ERR_HEADER_TRUNCATED') })),
      ],
    },
    {
      name: 'nothing, then a reset: a health check gone wrong, never accepted (TCP_DEFER_ACCEPT)',
      delivery: 'reset',
      connections: times(20, () => ({ bytes: Buffer.alloc(0), counts: [], neverAccepted: true })),
    },
    {
      name: 'v2 length lie: declares 100 bytes, sends 28, then FIN',
      delivery: 'fin',
      connections: times(20, () => ({
        bytes: withDeclaredLength(v2Inet(client()), 100),
        counts: badHeader('ERR_HEADER_TRUNCATED'),
      })),
    },
    {
      name: 'v2 TLV length runs past the header',
      delivery: 'fin',
      connections: times(20, () => ({
        bytes: v2Inet(client(), [tlv(TLV_NOOP, Buffer.alloc(10), 200)]),
        counts: badHeader('ERR_V2_TLV_TRUNCATED'),
      })),
    },
    {
      name: 'v2 address block shorter than its family needs (INET 8, INET6 20, UNIX 100 bytes)',
      delivery: 'fin',
      connections: [0x11, 0x21, 0x31].flatMap((family) => {
        const length = { 0x11: 8, 0x21: 20, 0x31: 100 }[family]!;
        return times(10, () => ({
          bytes: v2Raw(V2_PROXY, family, Buffer.alloc(length)),
          counts: badHeader('ERR_V2_ADDRESS_TOO_SHORT'),
        }));
      }),
    },
    {
      name: 'CRC32C TLVs: wrong checksum, 3-byte value, two of them',
      delivery: 'fin',
      connections: [
        ...times(10, () => ({ bytes: v2WithCrc32c(client(), [], true), counts: badHeader('ERR_V2_CRC32C_MISMATCH') })),
        ...times(10, () => ({
          bytes: v2Inet(client(), [tlv(0x03, Buffer.alloc(3))]),
          counts: badHeader('ERR_V2_BAD_TLV_LENGTH'),
        })),
        ...times(10, () => ({
          bytes: v2Inet(client(), [tlv(0x03, Buffer.alloc(4)), tlv(0x03, Buffer.alloc(4))]),
          counts: badHeader('ERR_V2_DUPLICATE_CRC32C'),
        })),
      ],
    },
    {
      name: 'v2 DGRAM header over TCP',
      delivery: 'fin',
      connections: times(10, () => ({
        bytes: v2Inet(client(), [], INET_DGRAM),
        counts: badHeader('ERR_V2_WRONG_TRANSPORT'),
      })),
    },
    {
      name: 'a valid header, then at once a reset (SO_LINGER 0), while the upstream connect hangs',
      delivery: 'reset',
      concurrency: 20,
      connections: times(20, () => ({ bytes: v2Inet(client(BLACK_HOLED_CLIENT)), counts: ['failures.relay_error'] })),
    },
    {
      name: 'a valid header, the upstream connect done (banner read), then a reset',
      delivery: 'reset-after-banner',
      connections: times(20, () => ({ bytes: v2Inet(client()), counts: ['established', 'failures.relay_error'] })),
    },
    {
      // This host's own addresses: refused before any connect (local_client), not left to the bind to collide.
      name: "a client address and port that is the target's own or the listener's own (this host: local_client)",
      delivery: 'fin',
      connections: [
        { address: '127.0.0.1', port: 7000 },
        { address: '192.0.2.2', port: 8443 },
      ].flatMap((own) => times(5, () => ({ bytes: v2Inet(own), counts: ['failures.local_client'] }))),
    },
    {
      name: 'client addresses no client connects from: unspecified, multicast, broadcast, port 0 (v1 and v2)',
      delivery: 'fin',
      connections: NOT_UNICAST_CLIENTS.flatMap(([source, sourcePort]) =>
        [v1, v2].map((encode) => ({
          bytes: encode({ source, sourcePort, ...destinationFor(source) }),
          counts: badHeader('ERR_CLIENT_NOT_UNICAST'),
        })),
      ),
    },
    {
      name: 'a valid header followed by a second header (relayed as application bytes)',
      delivery: 'echo',
      connections: times(10, () => relayed(v2Inet(client()), Buffer.concat([v1For(client()), AFTER]))),
    },
  ];
}

/**
 * `count` connections of seeded random bytes, each sent whole and followed by a FIN: the proxy must count each
 * under the parser's verdict on those bytes, or as truncated when the verdict is "need more".
 */
export function randomTcpCase(seed: number, count: number): TcpCase & { drawn: number } {
  const { inputs, drawn } = randomInputs(seed, count, (verdict) => verdict.status !== 'complete');
  return {
    name: `seeded random bytes: ${count} connections (HOSTILE_SEED=${seed})`,
    delivery: 'fin',
    concurrency: 64,
    drawn,
    connections: inputs.map(({ bytes, verdict }) => ({
      bytes,
      counts: badHeader(verdict.status === 'error' ? verdict.code : 'ERR_HEADER_TRUNCATED'),
    })),
  };
}
