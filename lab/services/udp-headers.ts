/**
 * UDP headers built byte by byte from the specs (HAProxy's proxy-protocol.txt section 2.2, Cloudflare's "Simple
 * Proxy Protocol Header"), not with the project's encoder: a misreading shared by the encoder and the data plane
 * would pass a round trip. Numeric addresses only (dotted quads, `::` shorthand).
 */

export interface UdpEndpoint {
  address: string;
  port: number;
}

/** The 4 or 16 bytes of a numeric address. */
export function addressBytes(address: string): Buffer {
  if (!address.includes(':')) return Buffer.from(address.split('.').map(Number));
  const [head = '', tail = ''] = address.split('::');
  const groups = (text: string) => (text === '' ? [] : text.split(':').map((group) => parseInt(group, 16)));
  const [before, after] = [groups(head), groups(tail)];
  const all = [...before, ...Array<number>(8 - before.length - after.length).fill(0), ...after];
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(group, i * 2));
  return bytes;
}

/** PROXY v2, command PROXY, transport DGRAM: signature, 0x21, family << 4 | 2, length, addresses, ports. */
export function v2DgramHeader(client: UdpEndpoint, destination: UdpEndpoint): Buffer {
  const v6 = client.address.includes(':');
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(client.port, 0);
  ports.writeUInt16BE(destination.port, 2);
  const block = Buffer.concat([addressBytes(client.address), addressBytes(destination.address), ports]);
  const fixed = Buffer.from('0d0a0d0a000d0a515549540a21', 'hex');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(block.length);
  return Buffer.concat([fixed, Buffer.from([v6 ? 0x22 : 0x12]), length, block]);
}

/** SPP: 0x56EC, client and proxy address as IPv6 (IPv4-mapped for IPv4), client port, proxy port. */
export function sppHeader(client: UdpEndpoint, proxy: UdpEndpoint): Buffer {
  const as16 = (address: string) =>
    address.includes(':')
      ? addressBytes(address)
      : Buffer.concat([Buffer.from('00000000000000000000ffff', 'hex'), addressBytes(address)]);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(client.port, 0);
  tail.writeUInt16BE(proxy.port, 2);
  return Buffer.concat([Buffer.from([0x56, 0xec]), as16(client.address), as16(proxy.address), tail]);
}

export const SPP_HEADER_BYTES = 38;
