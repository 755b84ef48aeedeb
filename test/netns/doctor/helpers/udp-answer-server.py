#!/usr/bin/env python3
"""A wildcard-bound UDP echo server, as the doctor's UDP tests need two kinds of it.

--mode pktinfo answers from the address each datagram was sent to, read with
IP_PKTINFO / IPV6_RECVPKTINFO and set with sendmsg's pktinfo, as dnsmasq and
unbound do: behind mmproxy its replies match the loopback rule and come back.
--mode naive answers with a plain sendto, so the kernel picks the source
address by the route to the client (the host's primary address): its replies
to spoofed clients miss the loopback rule. Prints LISTENING once bound.
"""
import argparse
import socket
import struct
import sys

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
IPV6_RECVPKTINFO = getattr(socket, "IPV6_RECVPKTINFO", 49)
IPV6_PKTINFO = getattr(socket, "IPV6_PKTINFO", 50)
CMSG_BYTES = 64
MAX_DATAGRAM = 2048


def open_socket(family, address, port, pktinfo):
    sock = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        if pktinfo:
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
    elif pktinfo:
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    sock.bind((address, port))
    return sock


def destination_of(ancillary, family):
    """The address the datagram was sent to, from its pktinfo (None without one)."""
    for level, kind, data in ancillary:
        if family == socket.AF_INET and level == socket.IPPROTO_IP and kind == IP_PKTINFO:
            # struct in_pktinfo { int ifindex; in_addr spec_dst; in_addr addr; }: addr is the header's destination.
            return data[8:12]
        if family == socket.AF_INET6 and level == socket.IPPROTO_IPV6 and kind == IPV6_PKTINFO:
            # struct in6_pktinfo { in6_addr addr; unsigned ifindex; }
            return data[0:16]
    return None


def answer_with_pktinfo(sock, family, data, peer, destination):
    if family == socket.AF_INET:
        info = struct.pack("=i4s4s", 0, destination, b"\0" * 4)
        ancillary = [(socket.IPPROTO_IP, IP_PKTINFO, info)]
    else:
        info = struct.pack("=16sI", destination, 0)
        ancillary = [(socket.IPPROTO_IPV6, IPV6_PKTINFO, info)]
    sock.sendmsg([data], ancillary, 0, peer)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--family", choices=["4", "6"], required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=["pktinfo", "naive"], required=True)
    parser.add_argument("--address", help="bind here instead of the wildcard")
    args = parser.parse_args()
    family = socket.AF_INET6 if args.family == "6" else socket.AF_INET
    address = args.address or ("::" if family == socket.AF_INET6 else "0.0.0.0")
    pktinfo = args.mode == "pktinfo"
    sock = open_socket(family, address, args.port, pktinfo)
    print(f"LISTENING {address} {args.port} {args.mode}", flush=True)
    while True:
        data, ancillary, _flags, peer = sock.recvmsg(MAX_DATAGRAM, socket.CMSG_SPACE(CMSG_BYTES))
        destination = destination_of(ancillary, family) if pktinfo else None
        if destination is None:
            sock.sendto(data, peer)
        else:
            answer_with_pktinfo(sock, family, data, peer, destination)


if __name__ == "__main__":
    sys.exit(main())
