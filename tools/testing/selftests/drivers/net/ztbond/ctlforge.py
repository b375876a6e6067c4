#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Send forged ztbond control frames (Documentation/ztbond-protocol.rst).

What another member of a ZeroTier network could send: HELLO and PROBE
frames with a made-up sender, without the bond's key (no tag, or a wrong
tag), replays of a sequence number, truncated frames and unknown versions.

  ctlforge.py IFACE KIND [--count N] [--src MAC] [--dst MAC]

KIND: hello | hello-badtag | probe | truncated | badversion | replay |
      hello-flood (a HELLO from a new random peer each time)
"""
import argparse
import os
import socket
import struct

PORT = 7389
MAGIC = 0x5A544244
GROUP_MAC = bytes.fromhex("33337a74626e")
GROUP_IP = bytes.fromhex("ff02" + "0" * 20 + "7a74626e")


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ll(m):
    return bytes([0xFE, 0x80] + [0] * 6 + [m[0] ^ 2, m[1], m[2], 0xFF, 0xFE,
                                          m[3], m[4], m[5]])


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(src, dst, ftype, seq, version=1, tag=None, body=None, trunc=0):
    if body is None:
        body = (struct.pack("!II", 0, 250) if ftype == 1 else
                struct.pack("!IIQ", 1, 0, 12345))
    flags = 1 if tag is not None else 0
    hdr_len = 44 + len(body)
    hdr = struct.pack("!IBBHQQ6s6sIHH", MAGIC, version, ftype, hdr_len,
                      0x1122334455667788, seq, src, src, 7, flags, 0)
    payload = hdr + body + (tag or b"")
    if trunc:
        payload = payload[:trunc]
    saddr = ll(src)
    daddr = GROUP_IP if ftype == 1 else ll(dst)
    ulen = 8 + len(payload)
    pseudo = saddr + daddr + struct.pack("!IxxxB", ulen, 17)
    udp = struct.pack("!HHHH", PORT, PORT, ulen, 0) + payload
    c = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip6 = struct.pack("!IHBB", 6 << 28, ulen, 17, 255) + saddr + daddr
    eth_dst = GROUP_MAC if ftype == 1 else dst
    return eth_dst + src + struct.pack("!H", 0x86DD) + ip6 + udp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("kind")
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--src", default="02:66:6f:72:67:65")
    ap.add_argument("--dst", default="ff:ff:ff:ff:ff:ff")
    a = ap.parse_args()
    src, dst = mac(a.src), mac(a.dst)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    seq = 1 << 62
    for i in range(a.count):
        if a.kind == "hello":
            f = frame(src, dst, 1, seq + i)
        elif a.kind == "hello-badtag":
            f = frame(src, dst, 1, seq + i, tag=os.urandom(8))
        elif a.kind == "probe":
            f = frame(src, dst, 2, seq + i)
        elif a.kind == "truncated":
            f = frame(src, dst, 1, seq + i, trunc=20 + i % 30)
        elif a.kind == "badversion":
            f = frame(src, dst, 1, seq + i, version=9)
        elif a.kind == "hello-flood":
            fake = bytes([0x02]) + os.urandom(5)
            f = frame(fake, dst, 1, seq + i)
        elif a.kind == "replay":
            f = frame(src, dst, 1, seq)
        else:
            ap.error("unknown kind " + a.kind)
        s.send(f)


if __name__ == "__main__":
    main()
