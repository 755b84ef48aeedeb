/**
 * Packet capture through the `cap` libpcap binding: one pcap handle per
 * interface (rather than one on "any") so each packet keeps the name of the
 * interface it crossed, which is the point of the evidence: did the SYN-ACK
 * leave by lo or by the default route?
 */
import { createRequire } from 'node:module';

import { formatIp } from '../../base/net/ip.js';
import { buildInfo, packageRoot } from '../../base/package-info.js';
import type { CaptureRequest, CaptureResult, CaptureUnavailable, CapturedPacket } from './capture-types.js';

/** The subset of `cap` used here (it ships no types). */
interface CapHandle {
  open(device: string, filter: string, bufferSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', listener: (bytes: number, truncated: boolean) => void): void;
}
interface CapModule {
  Cap: new () => CapHandle;
}

// Enough for a few hundred SYNs; packets beyond it are dropped by libpcap, not us.
const PCAP_BUFFER_BYTES = 1 << 20;
const SNAP_BYTES = 65535;
// Packets already queued in libpcap's ring still arrive after the probe ends.
const DRAIN_MS = 100;

const TCP_FLAGS: [number, string][] = [
  [0x02, 'SYN'],
  [0x10, 'ACK'],
  [0x04, 'RST'],
  [0x01, 'FIN'],
  [0x08, 'PSH'],
];

/** The build tools and headers that compiling `cap` needs, as Debian names them. */
const CAP_BUILD_PACKAGES = 'libpcap-dev g++ make python3';

/**
 * `cap` is an optional dependency: npm compiles it when mmproxy is installed and
 * leaves it out, without failing, where there is no compiler or no libpcap headers.
 */
function loadCap(): CapModule | CaptureUnavailable {
  try {
    return createRequire(import.meta.url)('cap') as CapModule;
  } catch (error) {
    const detail = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    const notInstalled = (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && detail.includes("'cap'");
    if (notInstalled) {
      const { version } = buildInfo();
      return {
        ok: false,
        reason: "the optional package 'cap' (libpcap binding) is not installed",
        remedy: {
          commands: [`apt-get install -y ${CAP_BUILD_PACKAGES}`, `npm install -g mmproxy@${version}`],
          text:
            "npm compiles 'cap' when it installs mmproxy, and leaves it out where that machine has no compiler or " +
            'libpcap headers. Install them, then install mmproxy again (from the same tarball, if that is how it came).',
        },
      };
    }
    return {
      ok: false,
      reason: `the 'cap' libpcap binding did not load (${detail})`,
      remedy: {
        commands: [`apt-get install -y ${CAP_BUILD_PACKAGES}`, `cd ${packageRoot()} && npm rebuild cap`],
        text: "Rebuild 'cap' against this machine's libpcap.",
      },
    };
  }
}

/** Decodes an Ethernet frame carrying IPv4/IPv6 TCP; null for anything else. */
export function decodeTcpFrame(frame: Buffer, iface: string, atMs: number): CapturedPacket | null {
  if (frame.length < 14) return null;
  const etherType = frame.readUInt16BE(12);
  let offset = 14;
  let family: 4 | 6;
  let source: string;
  let destination: string;
  if (etherType === 0x0800 && frame.length >= offset + 20) {
    if (frame[offset + 9] !== 6) return null;
    family = 4;
    source = formatIp({ family: 4, bytes: frame.subarray(offset + 12, offset + 16) });
    destination = formatIp({ family: 4, bytes: frame.subarray(offset + 16, offset + 20) });
    offset += ((frame[offset] ?? 0) & 0x0f) * 4;
  } else if (etherType === 0x86dd && frame.length >= offset + 40) {
    // Extension headers are not followed: the probe's SYNs carry none.
    if (frame[offset + 6] !== 6) return null;
    family = 6;
    source = formatIp({ family: 6, bytes: frame.subarray(offset + 8, offset + 24) });
    destination = formatIp({ family: 6, bytes: frame.subarray(offset + 24, offset + 40) });
    offset += 40;
  } else {
    return null;
  }
  if (frame.length < offset + 14) return null;
  const flagBits = frame[offset + 13] ?? 0;
  return {
    interface: iface,
    atMs,
    family,
    source,
    sourcePort: frame.readUInt16BE(offset),
    destination,
    destinationPort: frame.readUInt16BE(offset + 2),
    flags: TCP_FLAGS.filter(([bit]) => (flagBits & bit) !== 0).map(([, name]) => name),
  };
}

export async function capturePackets(
  request: CaptureRequest,
  during: () => Promise<unknown>,
  now: () => number,
): Promise<CaptureResult> {
  const cap = loadCap();
  if ('ok' in cap) return cap;
  const packets: CapturedPacket[] = [];
  const handles: CapHandle[] = [];
  const started = now();
  try {
    for (const iface of request.interfaces) {
      const handle = new cap.Cap();
      const buffer = Buffer.alloc(SNAP_BYTES);
      const linkType = handle.open(iface, request.filter, PCAP_BUFFER_BYTES, buffer);
      handles.push(handle);
      if (linkType !== 'ETHERNET') continue;
      handle.on('packet', (bytes) => {
        const packet = decodeTcpFrame(buffer.subarray(0, bytes), iface, now() - started);
        if (packet) packets.push(packet);
      });
    }
  } catch (error) {
    for (const handle of handles) handle.close();
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `libpcap could not open a capture (${detail}); capturing needs root or CAP_NET_RAW` };
  }
  try {
    await during();
    await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
  } finally {
    for (const handle of handles) handle.close();
  }
  return { ok: true, packets };
}
