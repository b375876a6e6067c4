#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw Ethernet frames for the ztsim tests.

  frame.py send IF DST SRC ETHERTYPE MARKER     one frame, MARKER in the payload
  frame.py arp IF SRC SENDER_IP TARGET_IP MARKER  ARP request, MARKER as trailer
  frame.py recv IF MARKER SECONDS [READY]       count received frames with MARKER;
                                                creates file READY once listening
  frame.py blast IP PORT SECONDS                UDP as fast as possible; prints
                                                "sent N"
"""

import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def mac(s):
    b = bytes(int(x, 16) for x in s.split(":"))
    if len(b) != 6:
        raise SystemExit(f"bad MAC {s}")
    return b


def pad(frame):
    return frame + bytes(max(0, 60 - len(frame)))


def raw(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    return s


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "send" and len(argv) == 7:
        ifname, dst, src, et, marker = argv[2:]
        f = mac(dst) + mac(src) + int(et, 16).to_bytes(2, "big") + marker.encode()
        raw(ifname).send(pad(f))
    elif cmd == "arp" and len(argv) == 7:
        ifname, src, sip, tip, marker = argv[2:]
        arp = (b"\x00\x01\x08\x00\x06\x04\x00\x01" + mac(src) + socket.inet_aton(sip)
               + bytes(6) + socket.inet_aton(tip))
        f = b"\xff" * 6 + mac(src) + b"\x08\x06" + arp + marker.encode()
        raw(ifname).send(pad(f))
    elif cmd == "recv" and len(argv) in (5, 6):
        ifname, marker, secs = argv[2], argv[3].encode(), float(argv[4])
        s = raw(ifname)
        if len(argv) == 6:
            open(argv[5], "w").close()
        end = time.monotonic() + secs
        n = 0
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                data, addr = s.recvfrom(65536)
            except socket.timeout:
                break
            if addr[2] != PACKET_OUTGOING and marker in data:
                n += 1
        print(n)
    elif cmd == "blast" and len(argv) == 5:
        ip, port, secs = argv[2], int(argv[3]), float(argv[4])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setblocking(False)
        payload = bytes(64)
        end = time.monotonic() + secs
        n = 0
        while time.monotonic() < end:
            for _ in range(64):
                try:
                    s.sendto(payload, (ip, port))
                    n += 1
                except OSError:
                    pass
        print(f"sent {n}")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
