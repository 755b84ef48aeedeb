/**
 * Builds PROXY protocol headers (HAProxy's doc/proxy-protocol.txt), v1 text
 * and v2 binary with TLVs and an optional CRC32C, for tests, probes,
 * benchmarks and HAProxy-less clients.
 *
 *   encodeProxyHeader({ version: 1, source: { address: '192.0.2.1', port: 5000 },
 *                       destination: { address: '198.51.100.1', port: 80 } })
 *   encodeProxyHeader({ version: 2, command: 'local' })
 *   encodeProxyHeader({ version: 2, transport: 'dgram', source, destination,
 *                       tlvs: [{ authority: 'example.com' }], crc32c: true })
 */
import { crc32c } from './crc32c.js';
import { ipBytes, parseIp } from '../base/net/ip.js';
import {
  SSL_CLIENT_FLAGS,
  SSL_SUBTLV_TYPES,
  TLV_TYPES,
  type InetEndpoint,
  type ProxyCommand,
  type ProxyEndpoint,
} from './types.js';

export interface V1HeaderOptions {
  version: 1;
  /** Both or neither; without them the line is "PROXY UNKNOWN\r\n". */
  source?: InetEndpoint;
  destination?: InetEndpoint;
  /** Say "UNKNOWN" even with addresses (the spec's longest form; receivers ignore them). */
  unknown?: boolean;
}

/** A TLV by its meaning, or raw by type number. */
export type TlvInput =
  | { type: number; value: Uint8Array | string }
  | { alpn: Uint8Array | string }
  | { authority: string }
  | { uniqueId: Uint8Array | string }
  | { netns: string }
  /** NOOP padding of this many zero bytes. */
  | { noop: number }
  | { ssl: SslInput };

export interface SslInput {
  /** Bit field of SSL_CLIENT_FLAGS; defaults to `ssl` (the client spoke TLS). */
  client?: number;
  /** 0 (the default) when the client certificate verified. */
  verify?: number;
  version?: string;
  cn?: string;
  cipher?: string;
  sigAlg?: string;
  keyAlg?: string;
  group?: string;
  sigScheme?: string;
  clientCert?: Uint8Array;
  /** More sub-TLVs, after the named ones. */
  tlvs?: { type: number; value: Uint8Array | string }[];
}

export interface V2HeaderOptions {
  version: 2;
  /** 'proxy' by default. */
  command?: ProxyCommand;
  /** 'stream' by default; 'dgram' for UDP and UNIX datagrams. */
  transport?: 'stream' | 'dgram';
  /** Both or neither; {address, port} for IPv4/IPv6, {path} for UNIX. Neither: family UNSPEC. */
  source?: ProxyEndpoint;
  destination?: ProxyEndpoint;
  tlvs?: TlvInput[];
  /** Put a CRC32C TLV first (as HAProxy does) holding the checksum of the final header. */
  crc32c?: boolean;
}

export type EncodeOptions = V1HeaderOptions | V2HeaderOptions;

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V2_VERSION = 0x20;
const COMMANDS: Record<ProxyCommand, number> = { local: 0x0, proxy: 0x1 };
const TRANSPORTS = { stream: 0x1, dgram: 0x2 } as const;
const FAMILIES = { unspec: 0x0, inet: 0x1, inet6: 0x2, unix: 0x3 } as const;
const UNIX_PATH_BYTES = 108;
const MAX_UINT16 = 0xffff;
const CRC32C_BYTES = 4;
const SSL_FIXED_BYTES = 5;

export function encodeProxyHeader(options: EncodeOptions): Buffer {
  return options.version === 1 ? encodeV1(options) : encodeV2(options);
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > MAX_UINT16) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${port}`);
  }
}

function pair<T>(source: T | undefined, destination: T | undefined): [T, T] | undefined {
  if ((source === undefined) !== (destination === undefined)) {
    throw new TypeError('give both source and destination, or neither');
  }
  return source === undefined ? undefined : [source, destination!];
}

function inetFamily(endpoints: [InetEndpoint, InetEndpoint]): 4 | 6 {
  const [source, destination] = endpoints.map((endpoint) => parseIp(endpoint.address)?.family ?? 0);
  if (source === 0 || source !== destination) {
    throw new TypeError(
      `source and destination must be IP addresses of the same family: ` +
        `${endpoints[0].address}, ${endpoints[1].address}`,
    );
  }
  endpoints.forEach((endpoint) => checkPort(endpoint.port));
  return source as 4 | 6;
}

function encodeV1(options: V1HeaderOptions): Buffer {
  const endpoints = pair(options.source, options.destination);
  if (!endpoints) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  const family = inetFamily(endpoints);
  if (endpoints.some((endpoint) => endpoint.address.includes('%'))) {
    throw new TypeError('v1 addresses cannot carry an IPv6 zone id');
  }
  const protocol = options.unknown ? 'UNKNOWN' : `TCP${family}`;
  const [source, destination] = endpoints;
  return Buffer.from(
    `PROXY ${protocol} ${source.address} ${destination.address} ${source.port} ${destination.port}\r\n`,
    'latin1',
  );
}

function isUnix(endpoint: ProxyEndpoint): endpoint is { path: string } {
  return 'path' in endpoint;
}

function unixPath(path: string): Buffer {
  const bytes = Buffer.from(path, 'utf8');
  if (bytes.length > UNIX_PATH_BYTES) throw new RangeError(`UNIX path longer than 108 bytes: ${path}`);
  return Buffer.concat([bytes, Buffer.alloc(UNIX_PATH_BYTES - bytes.length)]);
}

function port(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
}

/** The family nibble and the address block for the endpoints. */
function addressBlock(endpoints: [ProxyEndpoint, ProxyEndpoint] | undefined): [number, Buffer] {
  if (!endpoints) return [FAMILIES.unspec, Buffer.alloc(0)];
  const [source, destination] = endpoints;
  if (isUnix(source) || isUnix(destination)) {
    if (!isUnix(source) || !isUnix(destination)) throw new TypeError('UNIX and IP endpoints cannot be mixed');
    return [FAMILIES.unix, Buffer.concat([unixPath(source.path), unixPath(destination.path)])];
  }
  const family = inetFamily([source, destination]);
  const bytes = (address: string): Buffer => ipBytes(parseIp(address)!);
  return [
    family === 4 ? FAMILIES.inet : FAMILIES.inet6,
    Buffer.concat([bytes(source.address), bytes(destination.address), port(source.port), port(destination.port)]),
  ];
}

function bytesOf(value: Uint8Array | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}

function tlv(type: number, value: Uint8Array): Buffer {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new RangeError(`TLV type must be a byte, got ${type}`);
  if (value.length > MAX_UINT16) throw new RangeError(`TLV value of ${value.length} bytes exceeds 65535`);
  const header = Buffer.from([type, value.length >> 8, value.length & 0xff]);
  return Buffer.concat([header, value]);
}

function sslValue(ssl: SslInput): Buffer {
  const fixed = Buffer.alloc(SSL_FIXED_BYTES);
  fixed.writeUInt8(ssl.client ?? SSL_CLIENT_FLAGS.ssl, 0);
  fixed.writeUInt32BE(ssl.verify ?? 0, 1);
  const named: [number, string | Uint8Array | undefined][] = [
    [SSL_SUBTLV_TYPES.ssl_version, ssl.version],
    [SSL_SUBTLV_TYPES.ssl_cn, ssl.cn],
    [SSL_SUBTLV_TYPES.ssl_cipher, ssl.cipher],
    [SSL_SUBTLV_TYPES.ssl_sig_alg, ssl.sigAlg],
    [SSL_SUBTLV_TYPES.ssl_key_alg, ssl.keyAlg],
    [SSL_SUBTLV_TYPES.ssl_group, ssl.group],
    [SSL_SUBTLV_TYPES.ssl_sig_scheme, ssl.sigScheme],
    [SSL_SUBTLV_TYPES.ssl_client_cert, ssl.clientCert],
  ];
  const subs = named.flatMap(([type, value]) => (value === undefined ? [] : [tlv(type, bytesOf(value))]));
  const extra = (ssl.tlvs ?? []).map((sub) => tlv(sub.type, bytesOf(sub.value)));
  return Buffer.concat([fixed, ...subs, ...extra]);
}

function encodeTlv(input: TlvInput): Buffer {
  if ('type' in input) return tlv(input.type, bytesOf(input.value));
  if ('alpn' in input) return tlv(TLV_TYPES.alpn, bytesOf(input.alpn));
  if ('authority' in input) return tlv(TLV_TYPES.authority, bytesOf(input.authority));
  if ('uniqueId' in input) return tlv(TLV_TYPES.unique_id, bytesOf(input.uniqueId));
  if ('netns' in input) return tlv(TLV_TYPES.netns, Buffer.from(input.netns, 'latin1'));
  if ('noop' in input) return tlv(TLV_TYPES.noop, Buffer.alloc(input.noop));
  return tlv(TLV_TYPES.ssl, sslValue(input.ssl));
}

function encodeV2(options: V2HeaderOptions): Buffer {
  const [family, addresses] = addressBlock(pair(options.source, options.destination));
  const transport = family === FAMILIES.unspec ? 0 : TRANSPORTS[options.transport ?? 'stream'];
  const crcTlv = options.crc32c ? [tlv(TLV_TYPES.crc32c, Buffer.alloc(CRC32C_BYTES))] : [];
  const body = Buffer.concat([addresses, ...crcTlv, ...(options.tlvs ?? []).map(encodeTlv)]);
  if (body.length > MAX_UINT16) throw new RangeError(`v2 header body of ${body.length} bytes exceeds 65535`);
  const fixed = Buffer.alloc(4);
  fixed.writeUInt8(V2_VERSION | COMMANDS[options.command ?? 'proxy'], 0);
  fixed.writeUInt8((family << 4) | transport, 1);
  fixed.writeUInt16BE(body.length, 2);
  const header = Buffer.concat([V2_SIGNATURE, fixed, body]);
  if (options.crc32c) {
    // The checksum covers the whole header with its own field still zero.
    const field = V2_SIGNATURE.length + fixed.length + addresses.length + 3;
    header.writeUInt32BE(crc32c(header), field);
  }
  return header;
}
