/**
 * The hostile datagrams for `mmproxy -p udp`, one class per way of attacking the header reader. Each must be
 * dropped and counted under its code (bad_header); none may open a session.
 */
import { v1, v2, v2Raw } from '../../dataplane/harness/headers.js';
import {
  type Client,
  destinationFor,
  NOT_UNICAST_CLIENTS,
  TLV_NOOP,
  TLV_SSL_VERSION,
  V2_MAX_LENGTH,
  V2_PROXY,
  INET_DGRAM,
  INET_STREAM,
  sslTlv,
  tinyTlvsFilling,
  tlv,
  v2Inet,
  v2WithCrc32c,
  withDeclaredLength,
} from './hostile-bytes.js';
import { badHeader } from './proxy-watch.js';
import { randomInputs } from './random-headers.js';

export interface UdpCase {
  name: string;
  datagrams: Array<{ bytes: Buffer; counts: string[] }>;
  /** Replaces the probe's PROXY header for this class (a hostile but valid header must still work). */
  probeHeader?: Buffer;
  /** Probes on top of the one after each burst. */
  extraProbes?: number;
}

const PAYLOAD = Buffer.from('payload behind the header');

export const PROBE_CLIENT: Client = { address: '198.51.100.201', port: 41_001 };

let nextPort = 30_000;
function client(): Client {
  return { address: '198.51.100.8', port: nextPort++ };
}

/** A v2 DGRAM header for `from`, with these TLVs. */
export function dgram(from: Client, tlvs: Buffer[] = []): Buffer {
  return v2Inet(from, tlvs, INET_DGRAM);
}

function times(count: number, bytes: () => Buffer, code: string): UdpCase['datagrams'] {
  return Array.from({ length: count }, () => ({ bytes: bytes(), counts: badHeader(code) }));
}

function prefixes(header: Buffer): UdpCase['datagrams'] {
  return Array.from({ length: header.length }, (_, length) => ({
    bytes: header.subarray(0, length),
    counts: badHeader('ERR_HEADER_TRUNCATED'),
  }));
}

export function udpCases(): UdpCase[] {
  const v1Header = (): Buffer =>
    v1({ source: '198.51.100.8', sourcePort: nextPort++, destination: '192.0.2.2', destinationPort: 8443 });
  const withPayload = (header: Buffer): Buffer => Buffer.concat([header, PAYLOAD]);
  return [
    {
      name: 'a valid v1 header: v1 cannot carry a datagram',
      datagrams: times(20, () => withPayload(v1Header()), 'ERR_V1_OVER_UDP'),
    },
    {
      name: 'v1 lines without CRLF: 300 bytes (too long) and 40 bytes (cut short)',
      datagrams: [
        ...times(20, () => Buffer.from(`PROXY UNKNOWN ${'x'.repeat(286)}`), 'ERR_V1_TOO_LONG'),
        ...times(20, () => Buffer.from(`PROXY UNKNOWN ${'x'.repeat(26)}`), 'ERR_HEADER_TRUNCATED'),
      ],
    },
    {
      name: 'every prefix of a v2 header, the empty datagram included',
      datagrams: prefixes(dgram(client())),
    },
    {
      name: 'v2 length lies: declares 100 bytes in 28, and 65535 in 1,000',
      datagrams: [
        ...times(20, () => withDeclaredLength(dgram(client()), 100), 'ERR_HEADER_TRUNCATED'),
        ...times(
          10,
          () => {
            const header = withDeclaredLength(dgram(client()), V2_MAX_LENGTH - 16);
            return Buffer.concat([header, Buffer.alloc(1_000 - header.length, TLV_NOOP)]);
          },
          'ERR_HEADER_TRUNCATED',
        ),
      ],
    },
    {
      name: 'v2 TLV length runs past the header',
      datagrams: times(
        20,
        () => withPayload(dgram(client(), [tlv(TLV_NOOP, Buffer.alloc(10), 200)])),
        'ERR_V2_TLV_TRUNCATED',
      ),
    },
    {
      name: 'v2 address block shorter than its family needs (INET 8, INET6 20, UNIX 100 bytes)',
      datagrams: [0x12, 0x22, 0x32].flatMap((family) => {
        const length = { 0x12: 8, 0x22: 20, 0x32: 100 }[family]!;
        return times(10, () => v2Raw(V2_PROXY, family, Buffer.alloc(length)), 'ERR_V2_ADDRESS_TOO_SHORT');
      }),
    },
    {
      name: 'v2 headers of 65,000 bytes of tiny TLVs ending in a wrong CRC32C',
      datagrams: times(
        5,
        () => withPayload(v2WithCrc32c(client(), tinyTlvsFilling(65_000, 7), true, INET_DGRAM)),
        'ERR_V2_CRC32C_MISMATCH',
      ),
    },
    {
      name: 'CRC32C TLVs: wrong checksum, 3-byte value, two of them; an SSL sub-TLV longer than its SSL TLV',
      datagrams: [
        ...times(10, () => withPayload(v2WithCrc32c(client(), [], true, INET_DGRAM)), 'ERR_V2_CRC32C_MISMATCH'),
        ...times(10, () => withPayload(dgram(client(), [tlv(0x03, Buffer.alloc(3))])), 'ERR_V2_BAD_TLV_LENGTH'),
        ...times(
          10,
          () => withPayload(dgram(client(), [tlv(0x03, Buffer.alloc(4)), tlv(0x03, Buffer.alloc(4))])),
          'ERR_V2_DUPLICATE_CRC32C',
        ),
        ...times(
          10,
          () => withPayload(dgram(client(), [sslTlv([tlv(TLV_SSL_VERSION, Buffer.from('TLSv1.3'), 50)])])),
          'ERR_V2_SSL_TLV_MALFORMED',
        ),
      ],
    },
    {
      name: 'v2 header declaring STREAM (TCP) over UDP',
      datagrams: times(20, () => withPayload(v2Inet(client(), [], INET_STREAM)), 'ERR_V2_WRONG_TRANSPORT'),
    },
    {
      name: 'client addresses no client sends from: unspecified, multicast, broadcast, port 0',
      datagrams: NOT_UNICAST_CLIENTS.map(([source, sourcePort]) => {
        const header = v2({ source, sourcePort, ...destinationFor(source) });
        header[13] = (header[13] ?? 0) + (INET_DGRAM - INET_STREAM); // the same family, DGRAM
        return { bytes: withPayload(header), counts: badHeader('ERR_CLIENT_NOT_UNICAST') };
      }),
    },
    {
      name: 'a valid DGRAM header of 65,000 bytes of tiny TLVs (the probe itself): relayed',
      datagrams: [],
      probeHeader: dgram(PROBE_CLIENT, tinyTlvsFilling(65_000)),
      extraProbes: 20,
    },
  ];
}

/**
 * `count` seeded random datagrams. Expected: the parser's code, truncated for
 * "need more" (the datagram is all there is), ERR_V1_OVER_UDP for a whole v1 header, ERR_V2_WRONG_TRANSPORT
 * for a whole v2 STREAM header. Whole v2 DGRAM headers would open sessions from random addresses: not kept.
 */
export function randomUdpCase(seed: number, count: number): UdpCase & { drawn: number } {
  const { inputs, drawn } = randomInputs(
    seed,
    count,
    (verdict) =>
      verdict.status !== 'complete' ||
      verdict.header.version === 1 ||
      (verdict.header.command === 'proxy' && verdict.header.transport === 'stream'),
  );
  return {
    name: `seeded random datagrams: ${count} (HOSTILE_SEED=${seed})`,
    drawn,
    datagrams: inputs.map(({ bytes, verdict }) => {
      let code = 'ERR_HEADER_TRUNCATED';
      if (verdict.status === 'error') code = verdict.code;
      else if (verdict.status === 'complete')
        code = verdict.header.version === 1 ? 'ERR_V1_OVER_UDP' : 'ERR_V2_WRONG_TRANSPORT';
      return { bytes, counts: badHeader(code) };
    }),
  };
}
