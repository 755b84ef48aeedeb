/**
 * Types of the PROXY protocol codec (HAProxy's doc/proxy-protocol.txt): what
 * the native parser returns and what the TypeScript encoder accepts.
 */

export type ProxyCommand = 'local' | 'proxy';
export type ProxyFamily = 'unspec' | 'inet' | 'inet6' | 'unix';
export type ProxyTransport = 'unspec' | 'stream' | 'dgram';

export interface InetEndpoint {
  /** Canonical text form, as inet_ntop writes it ("2001:db8::1", "::ffff:192.0.2.1"). */
  address: string;
  port: number;
}

export interface UnixEndpoint {
  /** The 108-byte field without its NUL padding; abstract sockets keep their leading NUL. */
  path: string;
}

export type ProxyEndpoint = InetEndpoint | UnixEndpoint;

/** TLV types of spec 2.2. */
export const TLV_TYPES = {
  alpn: 0x01,
  authority: 0x02,
  crc32c: 0x03,
  noop: 0x04,
  unique_id: 0x05,
  ssl: 0x20,
  netns: 0x30,
} as const;

/** Sub-types inside the SSL TLV (spec 2.2.6). */
export const SSL_SUBTLV_TYPES = {
  ssl_version: 0x21,
  ssl_cn: 0x22,
  ssl_cipher: 0x23,
  ssl_sig_alg: 0x24,
  ssl_key_alg: 0x25,
  ssl_group: 0x26,
  ssl_sig_scheme: 0x27,
  ssl_client_cert: 0x28,
} as const;

/** Bits of the SSL TLV's `client` field. */
export const SSL_CLIENT_FLAGS = { ssl: 0x01, certConn: 0x02, certSess: 0x04 } as const;

export type SslSubTlvName = keyof typeof SSL_SUBTLV_TYPES;

export interface RawTlv<Name extends string = string> {
  type: number;
  name: Name;
  /** A copy of the value bytes. */
  value: Buffer;
}

export interface SslInfo {
  client: number;
  /** 0 when the client presented a certificate and it verified. */
  verify: number;
  clientSsl: boolean;
  clientCertConn: boolean;
  clientCertSess: boolean;
  version?: string;
  cn?: string;
  cipher?: string;
  sigAlg?: string;
  keyAlg?: string;
  group?: string;
  sigScheme?: string;
  /** DER-encoded X.509 certificate. */
  clientCert?: Buffer;
  /** Every sub-TLV in order, known or not. */
  tlvs: RawTlv<SslSubTlvName | 'unknown'>[];
}

export type ProxyTlv =
  | (RawTlv<'alpn'> & { alpn: string })
  | (RawTlv<'authority'> & { authority: string })
  | (RawTlv<'crc32c'> & { crc32c: number })
  | RawTlv<'noop'>
  | (RawTlv<'unique_id'> & { uniqueId: Buffer })
  | (RawTlv<'ssl'> & { ssl: SslInfo })
  | (RawTlv<'netns'> & { netns: string })
  | RawTlv<'unknown'>;

export interface ProxyHeader {
  version: 1 | 2;
  /** v1 UNKNOWN is 'proxy' with family 'unspec'; either way use the real connection's addresses. */
  command: ProxyCommand;
  family: ProxyFamily;
  transport: ProxyTransport;
  /** Present for inet, inet6 and unix. */
  source?: ProxyEndpoint;
  destination?: ProxyEndpoint;
  tlvs: ProxyTlv[];
}

/**
 * Stable codes of rejected headers, in the order of native/src/proxy_header/
 * error_codes.h; a test holds this list to the parser's proxyHeaderErrorCodes().
 */
export const PROXY_HEADER_ERROR_CODES = [
  'ERR_NOT_PROXY_PROTOCOL',
  'ERR_V1_TOO_LONG',
  'ERR_V1_BAD_PROTOCOL',
  'ERR_V1_BAD_SEPARATOR',
  'ERR_V1_BAD_SOURCE_ADDRESS',
  'ERR_V1_BAD_DESTINATION_ADDRESS',
  'ERR_V1_BAD_SOURCE_PORT',
  'ERR_V1_BAD_DESTINATION_PORT',
  'ERR_V1_BAD_TERMINATOR',
  'ERR_V2_BAD_VERSION',
  'ERR_V2_BAD_COMMAND',
  'ERR_V2_BAD_FAMILY',
  'ERR_V2_BAD_TRANSPORT',
  'ERR_V2_ADDRESS_TOO_SHORT',
  'ERR_V2_TLV_TRUNCATED',
  'ERR_V2_BAD_TLV_LENGTH',
  'ERR_V2_CRC32C_MISMATCH',
  'ERR_V2_SSL_TLV_MALFORMED',
  'ERR_V2_BAD_FAMILY_TRANSPORT',
  'ERR_V2_DUPLICATE_CRC32C',
] as const;
export type ProxyHeaderErrorCode = (typeof PROXY_HEADER_ERROR_CODES)[number];

export type ProxyParseResult =
  | { status: 'need_more' }
  | { status: 'error'; code: ProxyHeaderErrorCode; message: string }
  /** `length` bytes are the header; whatever follows belongs to the application. */
  | { status: 'complete'; length: number; header: ProxyHeader };

export interface ProxyHeaderErrorInfo {
  code: ProxyHeaderErrorCode;
  message: string;
}
