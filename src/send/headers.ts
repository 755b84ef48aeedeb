/** The header `mmproxy send` puts in front of a TCP stream or of the n-th datagram. */
import { encodeProxyHeader } from '../proxy-protocol/encode.js';
import { encodeSppHeader } from '../proxy-protocol/spp.js';
import type { SendOptions } from './send-options.js';

const NO_HEADER = Buffer.alloc(0);

/** The header before datagram `index` (0-based), or before the stream for TCP. */
export function headerBefore(options: SendOptions, index = 0): Buffer {
  const { client, destination } = options;
  switch (options.header) {
    case 'v1':
      return encodeProxyHeader({ version: 1, source: client, destination: client && destination });
    case 'v2':
      return client
        ? encodeProxyHeader({ version: 2, source: client, destination })
        : encodeProxyHeader({ version: 2, command: 'local' });
    case 'every':
      return client
        ? encodeProxyHeader({ version: 2, transport: 'dgram', source: client, destination })
        : encodeProxyHeader({ version: 2, command: 'local', transport: 'dgram' });
    case 'first':
      // Cloudflare Spectrum's and frp's way: the header on a flow's first datagram only.
      return index === 0
        ? encodeProxyHeader({ version: 2, transport: 'dgram', source: client!, destination })
        : NO_HEADER;
    case 'spp':
      return encodeSppHeader(client!, destination);
  }
}
