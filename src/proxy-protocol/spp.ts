/**
 * Cloudflare's Simple Proxy Protocol (SPP), the 38-byte header Spectrum puts
 * in front of every UDP datagram and expects in front of every reply:
 *
 *   magic 0x56EC (2) | client address (16) | proxy address (16) | client port (2) | proxy port (2)
 *
 * in network byte order, addresses as IPv6 (IPv4-mapped, ::ffff:a.b.c.d, for
 * IPv4). The data plane's reader is native/src/proxy_header/spp.h; this is the
 * sender's side (mmproxy send) and a reader for the replies it gets back.
 */
import { formatIp, ipBytes, requireIp } from '../base/net/ip.js';
import type { InetEndpoint } from './types.js';

export const SPP_MAGIC = 0x56ec;
export const SPP_LENGTH = 38;

const ADDRESS_BYTES = 16;
const IPV4_MAPPED_PREFIX = Buffer.from('00000000000000000000ffff', 'hex');
const CLIENT_PORT_OFFSET = 2 + 2 * ADDRESS_BYTES;
const PROXY_PORT_OFFSET = CLIENT_PORT_OFFSET + 2;

function addressField(address: string): Buffer {
  const ip = requireIp(address);
  return ip.family === 6 ? ipBytes(ip) : Buffer.concat([IPV4_MAPPED_PREFIX, ipBytes(ip)]);
}

/** The header naming `client` and the `proxy` address it was sent to; throws on a non-numeric address. */
export function encodeSppHeader(client: InetEndpoint, proxy: InetEndpoint): Buffer {
  const header = Buffer.alloc(SPP_LENGTH);
  header.writeUInt16BE(SPP_MAGIC, 0);
  addressField(client.address).copy(header, 2);
  addressField(proxy.address).copy(header, 2 + ADDRESS_BYTES);
  header.writeUInt16BE(client.port, CLIENT_PORT_OFFSET);
  header.writeUInt16BE(proxy.port, PROXY_PORT_OFFSET);
  return header;
}

export interface SppDatagram {
  client: InetEndpoint;
  proxy: InetEndpoint;
  payload: Buffer;
}

function readAddress(datagram: Buffer, offset: number): string {
  const bytes = datagram.subarray(offset, offset + ADDRESS_BYTES);
  if (bytes.subarray(0, IPV4_MAPPED_PREFIX.length).equals(IPV4_MAPPED_PREFIX)) {
    return formatIp({ family: 4, bytes: bytes.subarray(IPV4_MAPPED_PREFIX.length) });
  }
  return formatIp({ family: 6, bytes });
}

/** The header and payload of a datagram that starts with one, else null (no magic, or too short). */
export function decodeSppDatagram(datagram: Buffer): SppDatagram | null {
  if (datagram.length < SPP_LENGTH || datagram.readUInt16BE(0) !== SPP_MAGIC) return null;
  return {
    client: { address: readAddress(datagram, 2), port: datagram.readUInt16BE(CLIENT_PORT_OFFSET) },
    proxy: { address: readAddress(datagram, 2 + ADDRESS_BYTES), port: datagram.readUInt16BE(PROXY_PORT_OFFSET) },
    payload: datagram.subarray(SPP_LENGTH),
  };
}
