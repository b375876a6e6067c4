#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Seed corpus for fuzz_engine: one valid frame of each type, and small
inputs for the other selectors."""
import os
import struct
import sys

out = sys.argv[1]


def hdr(ftype, body, flags=0):
    return struct.pack("!IBBHQQ6s6sIHH", 0x5A544244, 1, ftype, 44 + len(body),
                       0x0102030405060708, 9, bytes([2, 0, 0, 0, 0, 1]),
                       bytes([2, 0, 0, 0, 0, 0xB]), 7, flags, 0) + body


seeds = {
    "hello": b"\0" + hdr(1, struct.pack("!II", 0, 250)),
    "probe": b"\0" + hdr(2, struct.pack("!IIQ", 5, 0, 66)),
    "reply-auth": b"\0" + hdr(3, struct.pack("!IIQ", 5, 0, 66), 1) + b"\xab" * 8,
    "windows": b"\1" + bytes(range(64)),
    "quality": b"\2" + bytes(range(96)),
    "alloc": b"\3" + bytes(range(48)),
    "select": b"\4" + bytes(range(36)),
    "sequences": b"\5" + bytes(range(0, 256, 3)),
    "flowtab": b"\6" + bytes((i * 37) & 0xff for i in range(128)),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
