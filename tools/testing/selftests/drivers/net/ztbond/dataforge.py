#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Send hostile ztbond DATA frames (Documentation/ztbond-protocol.rst).

What another member of a ZeroTier network (or anyone on the segment of a
link) could send to a ztbond link: malformed DATA frames, every header
field at its extremes, random bytes on port 7389, replays, and ordered
DATA frames from many made-up bonds.

  dataforge.py IFACE KIND --dst LINKMAC --bond BONDMAC [--count N] [--id ID]

--dst is the receiving link's MAC, --bond the receiving bond's MAC (the
carried frame is addressed to it). Carried frames are IPv4/UDP from
10.0.0.1 to 10.0.0.2 port 9 (nobody listens: the receiver counts each
delivered one in Udp NoPorts) unless the kind says otherwise.

Prints the number of frames sent. Kinds:

  bad        every malformed DATA frame below, once each (all must be
             dropped and counted as ctl_bad): truncated payloads, wrong
             len, carried frame shorter than an Ethernet header, unknown
             flags, wrong UDP length, wrong IPv6 payload length, wrong
             UDP checksum, hop limit other than 255, wrong magic, version,
             type, reserved, sender link MAC zero, multicast or not the
             Ethernet source, addressed to another MAC
  random     --count UDP payloads of random bytes and length on port 7389
             (ctl_bad each)
  extremes   well-formed DATA frames with bond_id, seq, link_ifindex,
             bond_mac and bond_seq at their extremes and an unchecked tag
             (a bond without a key ignores it): each one delivered
  replay     --count copies of one DATA frame (bond --id, one bond_seq):
             one delivered, the rest dedup_dropped
  ordered-replay  ordered bond_seq 0..9 of bond --id, then --count more
             copies of those ten: ten delivered
  ordered-gap     ordered bond_seq 0, 2, 3 of bond --id (1 missing)
  ordered-late    ordered bond_seq 1 of bond --id (after the gap was
             given up: delivered late)
  ordered-wrap    ordered bond_seq 2^64-2, 2^64-1, 0, 1 of bond --id: all
             delivered in order
  ordered-flood   --count ordered frames, each from one of 1000 made-up
             bonds, bond_seq 0, 1, huge, 2^64-1 or random; the carried
             frame is for another host (dropped by the stack)
"""
import argparse
import os
import random
import socket
import struct

# the same framing helpers as the control frame forger, next to this file
from ctlforge import MAGIC, PORT, csum, ll, mac
DATA = 4
AUTH, ORDERED = 1, 2
U64 = (1 << 64) - 1


def inner(bond_mac, other_host=False):
    """Ethernet + IPv4 + UDP to 10.0.0.2:9, 8 bytes of payload."""
    udp = struct.pack("!HHHH", 4242, 9, 16, 0) + b"ztbond!!"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17,
                     0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    dst = bytes.fromhex("02deadbeef01") if other_host else bond_mac
    return dst + bytes.fromhex("02696e6e6572") + b"\x08\x00" + ip + udp


def payload(src, bond_id=0x1122334455667788, seq=1, bond_seq=1, flags=0,
            frame=b"", version=1, ftype=DATA, hlen=52, reserved=0,
            link_mac=None, bond_mac=None, ifindex=7, tag=None):
    hdr = struct.pack("!IBBHQQ6s6sIHH", MAGIC, version, ftype, hlen,
                      bond_id, seq, link_mac or src, bond_mac or src,
                      ifindex, flags, reserved)
    if tag is None and flags & AUTH:
        tag = os.urandom(8)
    return hdr + struct.pack("!Q", bond_seq) + (tag or b"") + frame


def wrap(src, dst, pl, hop=255, udp_len=None, ip_len=None, bad_csum=False,
         eth_src=None, eth_dst=None, dport=PORT):
    saddr, daddr = ll(src), ll(dst)
    ulen = 8 + len(pl)
    pseudo = saddr + daddr + struct.pack("!IxxxB", ulen, 17)
    udp = struct.pack("!HHHH", PORT, dport, ulen, 0) + pl
    c = csum(pseudo + udp) or 0xFFFF
    if bad_csum:
        c ^= 0x5A5A
    udp = udp[:4] + struct.pack("!HH", ulen if udp_len is None else udp_len,
                                c) + udp[8:]
    ip6 = struct.pack("!IHBB", 6 << 28, ulen if ip_len is None else ip_len,
                      17, hop) + saddr + daddr
    return ((eth_dst or dst) + (eth_src or src) + b"\x86\xdd" + ip6 + udp)


def bad_frames(src, dst, bmac):
    good = payload(src, frame=inner(bmac))
    out = []
    # truncated: shorter than header + bond_seq + an Ethernet header
    for n in range(0, 44 + 8 + 14):
        out.append(wrap(src, dst, good[:n]))
    # len field: anything but 52
    for n in (0, 1, 43, 44, 51, 53, 60, 0x7FFF, 0xFFFF):
        out.append(wrap(src, dst, payload(src, hlen=n, frame=inner(bmac))))
    # carried frame shorter than an Ethernet header, also with a tag
    for n in range(0, 14):
        out.append(wrap(src, dst, payload(src, frame=inner(bmac)[:n])))
        out.append(wrap(src, dst, payload(src, flags=AUTH,
                                          frame=inner(bmac)[:n])))
    # unknown flags (0x0001 AUTH, 0x0002 ORDERED, 0x0004 ECHO are known)
    for f in (0x0008, 0x0010, 0x0100, 0x8000, 0xFFF8, 0xFFFF):
        out.append(wrap(src, dst, payload(src, flags=f, frame=inner(bmac))))
    # UDP length and IPv6 payload length that disagree with the frame
    n = 8 + len(good)
    for u, p in ((n + 1, None), (n - 1, None), (0, None), (7, None),
                 (0xFFFF, None), (n + 1, n + 1), (n - 1, n - 1),
                 (None, n - 1), (None, n + 1), (0xFFFF, 0xFFFF)):
        out.append(wrap(src, dst, good, udp_len=u, ip_len=p))
    # UDP checksum
    out.append(wrap(src, dst, good, bad_csum=True))
    # a routed frame
    for h in (0, 1, 64, 254):
        out.append(wrap(src, dst, good, hop=h))
    # every checked header field at its extremes
    fr = inner(bmac)
    for kw in ({"version": 0}, {"version": 2}, {"version": 255},
               {"ftype": 0}, {"ftype": 5}, {"ftype": 255},
               {"reserved": 1}, {"reserved": 0xFFFF},
               {"link_mac": bytes(6)}, {"link_mac": b"\xff" * 6},
               {"link_mac": bytes.fromhex("0100deadbeef")},
               {"link_mac": bytes.fromhex("020000000bad")}):
        out.append(wrap(src, dst, payload(src, frame=fr, **kw)))
    for m in (0, U64 >> 32):
        pl = struct.pack("!I", m) + good[4:]
        out.append(wrap(src, dst, pl))
    # Ethernet source not the sender link, destination not this link
    out.append(wrap(src, dst, good, eth_src=bytes.fromhex("020000000bad")))
    out.append(wrap(src, dst, good, eth_dst=bytes.fromhex("020000000bad")))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("kind")
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--src", default="02:66:6f:72:67:65")
    ap.add_argument("--dst", required=True)
    ap.add_argument("--bond", required=True)
    ap.add_argument("--id", type=lambda x: int(x, 0), default=0x5EED)
    a = ap.parse_args()
    src, dst, bmac = mac(a.src), mac(a.dst), mac(a.bond)
    rnd = random.Random(7389)
    fr = inner(bmac)

    def ordered(bid, bseq, frame=fr, seq=1):
        return wrap(src, dst, payload(src, bond_id=bid, seq=seq,
                                      bond_seq=bseq, flags=ORDERED,
                                      frame=frame))

    if a.kind == "bad":
        frames = bad_frames(src, dst, bmac)
    elif a.kind == "random":
        frames = [wrap(src, dst, bytes(rnd.getrandbits(8)
                                       for _ in range(rnd.randrange(200))))
                  for _ in range(a.count)]
    elif a.kind == "extremes":
        frames = []
        for i, (bid, seq, idx, bm, bseq, fl) in enumerate((
                (0, 0, 0, bytes(6), 0, 0),
                (U64, U64, 0xFFFFFFFF, b"\xff" * 6, U64, 0),
                (U64 - 1, 1 << 63, 1 << 31, b"\x01" * 6, 1 << 63, AUTH),
                (1, U64, 0, b"\xff" * 6, 0, AUTH))):
            frames.append(wrap(src, dst, payload(
                src, bond_id=bid, seq=seq, ifindex=idx, bond_mac=bm,
                bond_seq=bseq, flags=fl, frame=fr)))
    elif a.kind == "replay":
        f = wrap(src, dst, payload(src, bond_id=a.id, bond_seq=1000,
                                   frame=fr))
        frames = [f] * a.count
    elif a.kind == "ordered-replay":
        first = [ordered(a.id, s) for s in range(10)]
        frames = first + [first[i % 10] for i in range(a.count)]
    elif a.kind == "ordered-gap":
        frames = [ordered(a.id, s) for s in (0, 2, 3)]
    elif a.kind == "ordered-late":
        frames = [ordered(a.id, 1)]
    elif a.kind == "ordered-wrap":
        frames = [ordered(a.id, s) for s in (U64 - 1, U64, 0, 1)]
    elif a.kind == "ordered-flood":
        other = inner(bmac, other_host=True)
        seqs = (0, 1, 1 << 63, U64)
        frames = [ordered(0xF000 + rnd.randrange(1000),
                          rnd.choice(seqs) if i % 2 else rnd.getrandbits(64),
                          frame=other, seq=i)
                  for i in range(a.count)]
    else:
        ap.error("unknown kind " + a.kind)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    for f in frames:
        s.send(f)
    print(len(frames))


if __name__ == "__main__":
    main()
