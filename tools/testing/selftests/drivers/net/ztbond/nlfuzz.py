#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Generic netlink fuzzer for the "ztbond" family (uapi/linux/ztbond.h).

Run it inside the network namespace that holds the bond under test:

    nlfuzz.py --seed 1 --count 50000 --bond zb0 --links a1,a2 --extra x1,x2

It sends COUNT messages to the family: mostly mutated valid requests
(random attribute types, bad lengths and payload sizes, repeated and missing
attributes, huge values, wrong ifindexes, ifindexes of devices in another
namespace (--foreign), unterminated or long names, random commands,
NLM_F_DUMP, deep and misplaced nesting) and some fully random ones. Every request is processed by the kernel inside sendmsg(), so the
socket is non-blocking and the replies are drained after every batch.

BOND_DEL is steered away from the real bond (--bond), except with
probability --del-real-prob; if the bond disappears anyway it is re-created
(BOND_NEW, LINK_ADD of --links) and counted. At the end every bond the
fuzzer may have created (names it used, plus any ztbond device that was not
there at the start) is deleted. Standard library only.
"""

import argparse
import collections
import errno
import os
import random
import socket
import struct
import sys
import time

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
SO_RCVBUFFORCE = 33

NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE = 1, 2, 3
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_ECHO = 1, 2, 4, 8
NLM_F_ROOT, NLM_F_MATCH = 0x100, 0x200
NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG = 1
NLA_F_NESTED, NLA_F_NET_BYTEORDER = 0x8000, 0x4000

GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2

# uapi/linux/ztbond.h
(CMD_UNSPEC, CMD_BOND_NEW, CMD_BOND_DEL, CMD_BOND_GET, CMD_BOND_SET,
 CMD_LINK_ADD, CMD_LINK_DEL, CMD_LINK_SET, CMD_EVENT) = range(9)
CMD_MAX = CMD_EVENT

A = dict(UNSPEC=0, PAD=1, IFINDEX=2, IFNAME=3, POLICY=4, POLICY_NAME=5,
         MTU=6, CARRIER=7, ACTIVE_LINK=8, PACKETS_PER_LINK=9,
         FAILOVER_INTERVAL=10, UP_DELAY=11, DOWN_DELAY=12, LINK_SELECT=13,
         BALANCE_POLICY=14, MONITOR=15, LINKS=16, LINK=17, EVENT=18,
         TX_PACKETS=19, TX_BYTES=20, RX_PACKETS=21, RX_BYTES=22,
         TX_DROPPED=23, RX_DROPPED=24, MAC=25)
A_MAX = 25
L = dict(UNSPEC=0, PAD=1, IFINDEX=2, IFNAME=3, MODE=4, FAILOVER_TO=5,
         ENABLED=6, IPV_PREF=7, SPEED=8, ALLOC=9, UP_DELAY=10, DOWN_DELAY=11,
         FAILOVER_INTERVAL=12, STATE=13, ACTIVE=14, MAC=15, MTU=16,
         TX_PACKETS=17, TX_BYTES=18, RX_PACKETS=19, RX_BYTES=20,
         TX_DROPPED=21, FAILURES=22, LATENCY_US=23, PDV_US=24, PLR_PPM=25,
         PER_PPM=26, QUALITY_PPM=27, SHARE_PPM=28)
L_MAX = 28

# Kinds of the writable attributes (what a valid request carries).
BOND_KIND = {A['IFINDEX']: 'ifindex', A['IFNAME']: 'name', A['POLICY']: 'u8p',
             A['POLICY_NAME']: 'pname', A['PACKETS_PER_LINK']: 'u32',
             A['FAILOVER_INTERVAL']: 'ms', A['UP_DELAY']: 'ms',
             A['DOWN_DELAY']: 'ms', A['LINK_SELECT']: 'u8s'}
LINK_KIND = {L['IFINDEX']: 'ifindex', L['IFNAME']: 'name', L['MODE']: 'u8b',
             L['FAILOVER_TO']: 'name', L['ENABLED']: 'u8b',
             L['IPV_PREF']: 'ipv', L['SPEED']: 'speed', L['ALLOC']: 'ppm',
             L['UP_DELAY']: 'lms', L['DOWN_DELAY']: 'lms',
             L['FAILOVER_INTERVAL']: 'lms'}
RO_TOP = [A['MTU'], A['CARRIER'], A['ACTIVE_LINK'], A['BALANCE_POLICY'],
          A['MONITOR'], A['EVENT'], A['TX_PACKETS'], A['RX_BYTES'], A['MAC']]
POLICY_NAMES = [b'active-backup', b'broadcast', b'balance-rr', b'balance-xor',
                b'balance-aware', b'none', b'custom', b'x' * 31, b'x' * 40, b'']

HUGE32 = [0, 1, 2, 249, 250, 251, 1000, 65535, 65536, 1000000, 1000001,
          3600000, 3600001, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]
HUGE64 = [0, 1, 0xffffffff, 0x100000000, 0x7fffffffffffffff,
          0x8000000000000000, 0xffffffffffffffff]


def nla(atype, payload):
    hdr = struct.pack('=HH', 4 + len(payload), atype)
    return hdr + payload + b'\0' * ((-len(payload)) % 4)


def nlmsg(ntype, flags, seq, payload, pid=0):
    return struct.pack('=IHHII', 16 + len(payload), ntype, flags, seq, pid) + payload


def genlhdr(cmd, version=1):
    return struct.pack('=BBH', cmd & 0xff, version & 0xff, 0)


def parse_attrs(buf):
    out = {}
    off = 0
    while off + 4 <= len(buf):
        ln, t = struct.unpack_from('=HH', buf, off)
        if ln < 4:
            break
        out[t & 0x3fff] = buf[off + 4:off + ln]
        off += (ln + 3) & ~3
    return out


class Fuzzer:
    def __init__(self, args):
        self.a = args
        self.rng = random.Random(args.seed)
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 1
        self.family = self.resolve_family()
        self.sock.setblocking(False)
        self.acks = collections.Counter()
        self.extack = collections.Counter()
        self.replies = 0
        self.done = 0
        self.enobufs = 0
        self.send_err = collections.Counter()
        self.sent = 0
        self.kinds = collections.Counter()
        self.real_del_attempts = 0
        self.recreated = 0
        self.used_names = set()
        self.pool = [b'zf%d' % i for i in range(args.pool)]
        self.bond = args.bond.encode()
        self.links = [l.encode() for l in args.links.split(',') if l]
        self.extra = [l.encode() for l in args.extra.split(',') if l]
        self.foreign = [int(i) for i in args.foreign.split(',') if i]
        self.initial_bonds = set(self.ztbond_devs())
        self.refresh_ifindexes()

    # -- helpers ---------------------------------------------------------
    def resolve_family(self):
        msg = nlmsg(GENL_ID_CTRL, NLM_F_REQUEST, self.seq,
                    genlhdr(CTRL_CMD_GETFAMILY, 1) +
                    nla(CTRL_ATTR_FAMILY_NAME, b'ztbond\0'))
        self.sock.send(msg)
        data = self.sock.recv(65536)
        ln, typ = struct.unpack_from('=IH', data, 0)
        if typ == NLMSG_ERROR:
            err = struct.unpack_from('=i', data, 16)[0]
            sys.exit('nlfuzz: family ztbond not found: %s' % os.strerror(-err))
        attrs = parse_attrs(data[20:ln])
        return struct.unpack('=H', attrs[CTRL_ATTR_FAMILY_ID][:2])[0]

    def ztbond_devs(self):
        """Names of the bonds in this namespace (BOND_GET dump)."""
        self.sock.setblocking(True)
        self.sock.settimeout(5)
        seq = self.seq
        self.seq += 1
        self.sock.send(nlmsg(self.family, NLM_F_REQUEST | NLM_F_DUMP, seq,
                             genlhdr(CMD_BOND_GET)))
        devs = []
        try:
            while True:
                data = self.sock.recv(1 << 20)
                off = 0
                fin = False
                while off + 16 <= len(data):
                    ln, typ, _, s, _ = struct.unpack_from('=IHHII', data, off)
                    if ln < 16:
                        break
                    if s == seq:
                        if typ in (NLMSG_DONE, NLMSG_ERROR):
                            fin = True
                        elif typ == self.family:
                            n = parse_attrs(data[off + 20:off + ln]).get(A['IFNAME'])
                            if n:
                                devs.append(n.split(b'\0')[0])
                    off += (ln + 3) & ~3
                if fin:
                    break
        except (socket.timeout, OSError):
            pass
        self.sock.setblocking(False)
        return devs

    def ifindex(self, name):
        try:
            return socket.if_nametoindex(name.decode())
        except OSError:
            return 0

    def refresh_ifindexes(self):
        self.bond_idx = self.ifindex(self.bond)
        names = [self.bond] + self.links + self.extra + [b'lo'] + self.pool[:4]
        self.known_idx = [i for i in (self.ifindex(n) for n in names) if i]
        self.known_names = names

    # -- value generators ------------------------------------------------
    def r_ifindex(self):
        r = self.rng.random()
        if r < 0.15 and self.foreign:
            return self.rng.choice(self.foreign)
        if r < 0.6 and self.known_idx:
            return self.rng.choice(self.known_idx)
        if r < 0.8:
            return self.rng.randrange(0, 64)
        return self.rng.choice(HUGE32 + [self.rng.getrandbits(32)])

    def r_name(self, bondish=False):
        rng = self.rng
        r = rng.random()
        if r < 0.45:
            n = rng.choice(self.known_names)
        elif r < 0.6 and bondish:
            n = rng.choice(self.pool)
        elif r < 0.7:
            n = rng.choice([b'', b'.', b'..', b'a/b', b'x' * 15, b'x' * 16,
                            b'x' * 17, b'y' * 100, b'zb%d', b'\xff\xfe',
                            b'zb0 ', b'a1\0junk', b'lo'])
        else:
            n = bytes(rng.randrange(1, 256) for _ in range(rng.randrange(0, 20)))
        t = rng.random()
        if t < 0.8:
            return n + b'\0'
        if t < 0.9:
            return n           # not NUL-terminated
        return n + b'\0' * rng.randrange(2, 9)

    def r_int(self, kind):
        rng = self.rng
        if rng.random() < 0.3:
            v = rng.choice(HUGE32 + [rng.getrandbits(32), -rng.randrange(1, 1 << 31)])
            return struct.pack('=I', v & 0xffffffff)
        if kind in ('u8p',):
            return struct.pack('=B', rng.randrange(0, 8))
        if kind in ('u8s',):
            return struct.pack('=B', rng.randrange(0, 6))
        if kind == 'u8b':
            return struct.pack('=B', rng.choice([0, 1, 2, 255]))
        if kind == 'ipv':
            return struct.pack('=B', rng.choice([0, 4, 6, 46, 64, 5, 255]))
        if kind == 'ms':
            return struct.pack('=I', rng.choice([0, 100, 250, 1000, 5000, 3600000, 3600001]))
        if kind == 'lms':
            return struct.pack('=I', rng.choice([0, 100, 250, 0xffffffff, 3600001]))
        if kind == 'speed':
            return struct.pack('=I', rng.choice([0, 1, 100, 1000000, 1000001]))
        if kind == 'ppm':
            return struct.pack('=I', rng.choice([0, 1, 500000, 1000000, 1000001]))
        return struct.pack('=I', rng.choice(HUGE32))

    def value(self, kind):
        if kind == 'ifindex':
            return struct.pack('=I', self.r_ifindex())
        if kind == 'name':
            return self.r_name()
        if kind == 'pname':
            n = self.rng.choice(POLICY_NAMES)
            return n + b'\0' if self.rng.random() < 0.8 else n
        if kind.startswith('u8') or kind == 'ipv':
            v = self.r_int(kind)
            return v if len(v) == 1 or self.rng.random() < 0.5 else v[:1]
        return self.r_int(kind)

    def wrong_size(self, payload):
        rng = self.rng
        n = rng.choice([0, 1, 2, 3, 5, 7, 8, 9, 16, 64, 300])
        if n <= len(payload):
            return payload[:n]
        return payload + bytes(rng.getrandbits(8) for _ in range(n - len(payload)))

    # -- message builders ------------------------------------------------
    def link_nest(self, depth=0):
        rng = self.rng
        attrs = []
        if rng.random() < 0.85:
            if rng.random() < 0.5:
                attrs.append(nla(L['IFINDEX'], self.value('ifindex')))
            else:
                attrs.append(nla(L['IFNAME'], self.r_name()))
        for t in rng.sample(sorted(LINK_KIND), rng.randrange(0, 4)):
            attrs.append(nla(t, self.value(LINK_KIND[t])))
        attrs = self.mutate_attrs(attrs, L_MAX, depth)
        return b''.join(attrs)

    def bond_target(self, cmd):
        """IFINDEX or IFNAME attribute naming a bond; steered away from
        the real bond for BOND_DEL."""
        rng = self.rng
        if cmd == CMD_BOND_NEW:
            r = rng.random()
            if r < 0.85:
                name = rng.choice(self.pool)
            elif r < 0.95:
                name = self.bond
            else:
                name = b'zr%d' % rng.randrange(0, 4)
            self.used_names.add(name)
            return [nla(A['IFNAME'], name + b'\0')]
        for _ in range(8):
            if rng.random() < 0.5:
                a = nla(A['IFINDEX'], self.value('ifindex'))
            else:
                a = nla(A['IFNAME'], self.r_name(bondish=True))
            if cmd == CMD_BOND_DEL and self.names_real(a):
                if rng.random() < self.a.del_real_prob:
                    self.real_del_attempts += 1
                    return [a]
                continue
            return [a]
        return [nla(A['IFNAME'], rng.choice(self.pool) + b'\0')]

    def names_real(self, a):
        ln, t = struct.unpack_from('=HH', a, 0)
        p = a[4:ln]
        if t == A['IFINDEX'] and len(p) >= 4:
            return struct.unpack_from('=I', p)[0] == self.bond_idx
        if t == A['IFNAME']:
            return p.split(b'\0')[0] == self.bond
        return False

    def mutate_attrs(self, attrs, amax, depth):
        rng = self.rng
        n = rng.randrange(0, 4) if rng.random() < 0.7 else 0
        for _ in range(n):
            m = rng.randrange(10)
            if m == 0 and attrs:                      # drop one
                attrs.pop(rng.randrange(len(attrs)))
            elif m == 1 and attrs:                    # repeat one
                attrs.insert(rng.randrange(len(attrs) + 1), rng.choice(attrs))
            elif m == 2:                              # random / out-of-range type
                t = rng.choice([0, 1, amax, amax + 1, amax + 2, 100, 0x3fff,
                                rng.randrange(0, 0x4000)])
                t |= rng.choice([0, 0, NLA_F_NESTED, NLA_F_NET_BYTEORDER])
                attrs.append(nla(t, self.wrong_size(b'\x01\x02\x03\x04\x05\x06\x07\x08')))
            elif m == 3 and attrs:                    # wrong payload size
                i = rng.randrange(len(attrs))
                ln, t = struct.unpack_from('=HH', attrs[i], 0)
                attrs[i] = nla(t, self.wrong_size(attrs[i][4:ln]))
            elif m == 4 and attrs:                    # bad nla_len
                i = rng.randrange(len(attrs))
                a = bytearray(attrs[i])
                struct.pack_into('=H', a, 0, rng.choice([0, 1, 3, 4, 5, len(a) + 4,
                                                         0xffff, rng.getrandbits(16)]))
                attrs[i] = bytes(a)
            elif m == 5:                              # read-only / 64-bit attrs
                t = rng.choice(RO_TOP if amax == A_MAX else [L['STATE'], L['MAC'], L['TX_BYTES']])
                attrs.append(nla(t, rng.choice([b'\x01', struct.pack('=I', 1),
                                                struct.pack('=Q', rng.choice(HUGE64))])))
            elif m == 6 and depth < 3:                # nest in the wrong place
                inner = self.link_nest(depth + 1) if rng.random() < 0.5 else \
                    b''.join(nla(t, self.value(k)) for t, k in
                             rng.sample(sorted(BOND_KIND.items()), 2))
                attrs.append(nla(rng.choice([A['LINK'], A['LINKS'], L['IFNAME'],
                                             L['MODE'], rng.randrange(0, 32)]) |
                                 rng.choice([0, NLA_F_NESTED]), inner))
            elif m == 7:                              # deep nesting
                d = rng.choice([2, 8, 16, 40, 100])
                inner = nla(rng.randrange(0, 30), b'\0\0\0\0')
                for _ in range(d):
                    inner = nla(rng.choice([A['LINK'], A['LINKS'], 0, 2]) |
                                rng.choice([0, NLA_F_NESTED]), inner)
                attrs.append(inner)
            elif m == 8 and attrs:                    # flip a type flag
                i = rng.randrange(len(attrs))
                a = bytearray(attrs[i])
                a[2:4] = struct.pack('=H', struct.unpack_from('=H', a, 2)[0] ^
                                     rng.choice([NLA_F_NESTED, NLA_F_NET_BYTEORDER]))
                attrs[i] = bytes(a)
            elif m == 9 and attrs:                    # shuffle
                rng.shuffle(attrs)
        return attrs

    def mutated(self):
        rng = self.rng
        r = rng.random()
        if r < 0.08:
            cmd = rng.choice([CMD_UNSPEC, CMD_EVENT, CMD_MAX + 1, 50, 255])
        else:
            cmd = rng.choice([CMD_BOND_NEW, CMD_BOND_DEL, CMD_BOND_GET, CMD_BOND_GET,
                              CMD_BOND_SET, CMD_BOND_SET, CMD_LINK_ADD, CMD_LINK_DEL,
                              CMD_LINK_SET, CMD_LINK_SET])
        attrs = []
        if cmd in (CMD_BOND_NEW, CMD_BOND_DEL) or rng.random() < 0.9:
            attrs += self.bond_target(cmd if cmd in (CMD_BOND_NEW, CMD_BOND_DEL) else -1)
        if cmd in (CMD_BOND_NEW, CMD_BOND_SET) or rng.random() < 0.15:
            for t in rng.sample(sorted(BOND_KIND), rng.randrange(0, 4)):
                if t in (A['IFINDEX'], A['IFNAME']):
                    continue
                attrs.append(nla(t, self.value(BOND_KIND[t])))
        if cmd in (CMD_LINK_ADD, CMD_LINK_DEL, CMD_LINK_SET) or rng.random() < 0.1:
            if rng.random() < 0.95:
                attrs.append(nla(A['LINK'] | rng.choice([0, NLA_F_NESTED]), self.link_nest()))
        if cmd == CMD_BOND_DEL:
            # keep the (steered) target first and intact; mutate the rest
            attrs = attrs[:1] + self.mutate_attrs(attrs[1:], A_MAX, 0)
        else:
            attrs = self.mutate_attrs(attrs, A_MAX, 0)
        payload = genlhdr(cmd, 1 if rng.random() < 0.9 else rng.getrandbits(8)) + b''.join(attrs)
        flags = NLM_F_REQUEST
        if rng.random() < 0.85:
            flags |= NLM_F_ACK
        if rng.random() < 0.15:
            flags |= NLM_F_DUMP
        if rng.random() < 0.05:
            flags |= rng.choice([NLM_F_ECHO, NLM_F_MULTI, 0x400, 0x800, 0x1000])
        msg = bytearray(nlmsg(self.family, flags, self.seq, payload))
        if rng.random() < 0.05:                     # bad nlmsg_len
            struct.pack_into('=I', msg, 0, rng.choice([0, 15, 16, 19, 20, len(msg) - 1,
                                                       len(msg) + 4, 0xffffffff]))
        elif rng.random() < 0.04:                   # truncated buffer
            msg = msg[:rng.randrange(0, len(msg) + 1)]
        return bytes(msg), 'mut'

    def random_msg(self):
        rng = self.rng
        body = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 96)))
        cmd = rng.randrange(0, 256)
        if cmd == CMD_BOND_DEL:
            cmd = CMD_BOND_GET
        flags = NLM_F_REQUEST | rng.choice([0, NLM_F_ACK, NLM_F_DUMP, NLM_F_ACK | NLM_F_DUMP])
        if rng.random() < 0.3:
            flags |= rng.getrandbits(16)
        t = self.family if rng.random() < 0.9 else rng.randrange(0, 0x40)
        if t == GENL_ID_CTRL:
            t = self.family
        return nlmsg(t, flags, self.seq, genlhdr(cmd, rng.getrandbits(8)) + body), 'rnd'

    # -- send / receive --------------------------------------------------
    def drain(self):
        while True:
            try:
                data = self.sock.recv(1 << 20)
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno == errno.ENOBUFS:
                    self.enobufs += 1
                    continue
                raise
            off = 0
            while off + 16 <= len(data):
                ln, typ, flags, seq, pid = struct.unpack_from('=IHHII', data, off)
                if ln < 16:
                    break
                if typ == NLMSG_ERROR:
                    err = struct.unpack_from('=i', data, off + 16)[0]
                    name = 'OK' if err == 0 else errno.errorcode.get(-err, str(err))
                    self.acks[name] += 1
                    if flags & NLM_F_ACK_TLVS:
                        # the request's header, or all of it for an error
                        # unless capped, then the TLVs
                        olen = struct.unpack_from('=I', data, off + 20)[0]
                        plen = 16 if (err == 0 or flags & 0x100) else (olen + 3) & ~3
                        m = parse_attrs(data[off + 20 + plen:off + ln]).get(NLMSGERR_ATTR_MSG)
                        if m:
                            self.extack[m.split(b'\0')[0].decode(errors='replace')] += 1
                elif typ == NLMSG_DONE:
                    self.done += 1
                else:
                    self.replies += 1
                off += (ln + 3) & ~3

    def send(self, msg):
        try:
            self.sock.send(msg)
        except BlockingIOError:
            self.drain()
            try:
                self.sock.send(msg)
            except OSError as e:
                self.send_err[errno.errorcode.get(e.errno, str(e.errno))] += 1
        except OSError as e:
            self.send_err[errno.errorcode.get(e.errno, str(e.errno))] += 1
        self.seq = (self.seq + 1) & 0xffffffff

    def request(self, cmd, attrs):
        """A valid request for the repair path; returns the error code."""
        self.sock.setblocking(True)
        seq = self.seq
        self.sock.send(nlmsg(self.family, NLM_F_REQUEST | NLM_F_ACK, seq,
                             genlhdr(cmd) + b''.join(attrs)))
        self.seq += 1
        err = None
        self.sock.settimeout(5)
        try:
            while err is None:
                data = self.sock.recv(1 << 20)
                off = 0
                while off + 16 <= len(data):
                    ln, typ, _, s, _ = struct.unpack_from('=IHHII', data, off)
                    if ln < 16:
                        break
                    if typ == NLMSG_ERROR and s == seq:
                        err = -struct.unpack_from('=i', data, off + 16)[0]
                    off += (ln + 3) & ~3
        except (socket.timeout, OSError):
            err = -1
        self.sock.setblocking(False)
        return err

    def repair(self, final=False):
        """Re-create the real bond if it was deleted; at the end also
        re-enslave the links."""
        if not os.path.exists('/sys/class/net/' + self.bond.decode()):
            self.drain()
            self.recreated += 1
            err = self.request(CMD_BOND_NEW, [nla(A['IFNAME'], self.bond + b'\0')])
            print('nlfuzz: %s was deleted after %d messages; re-created (%s)' %
                  (self.bond.decode(), self.sent, os.strerror(err) if err > 0 else err),
                  flush=True)
            final = True
            self.refresh_ifindexes()
        if final:
            for l in self.links:
                self.request(CMD_LINK_ADD, [nla(A['IFNAME'], self.bond + b'\0'),
                                            nla(A['LINK'] | NLA_F_NESTED,
                                                nla(L['IFNAME'], l + b'\0'))])

    def cleanup(self):
        """Delete every bond the fuzzer created (names are bytes: the
        kernel accepts any byte but '/', ':' and white space)."""
        self.drain()
        deleted = []
        cand = set(self.used_names) | (set(self.ztbond_devs()) - self.initial_bonds)
        cand.discard(self.bond)
        present = set(self.ztbond_devs())
        for n in sorted(cand & present):
            err = self.request(CMD_BOND_DEL, [nla(A['IFNAME'], n + b'\0')])
            name = n.decode(errors='backslashreplace')
            if err == 0:
                deleted.append(name)
            else:
                print('nlfuzz: could not delete %s: %s' % (name, err))
        return deleted

    def run(self):
        a = self.a
        t0 = time.monotonic()
        batch = a.batch
        next_report = a.count // 5
        while self.sent < a.count:
            for _ in range(min(batch, a.count - self.sent)):
                if self.rng.random() < a.random_frac:
                    msg, kind = self.random_msg()
                else:
                    msg, kind = self.mutated()
                self.kinds[kind] += 1
                self.send(msg)
                self.sent += 1
            self.drain()
            if not os.path.exists('/sys/class/net/' + self.bond.decode()):
                self.repair()
            elif self.bond_idx != self.ifindex(self.bond):
                self.refresh_ifindexes()
            if self.sent >= next_report:
                print('nlfuzz: %d sent, %.1f s' % (self.sent, time.monotonic() - t0),
                      flush=True)
                next_report += a.count // 5
        self.drain()
        elapsed = time.monotonic() - t0
        self.repair(final=True)
        deleted = self.cleanup()
        self.drain()
        print('nlfuzz: family id %d, seed %d' % (self.family, a.seed))
        print('nlfuzz: sent %d messages (%d mutated, %d random) in %.1f s, %.0f msg/s' %
              (self.sent, self.kinds['mut'], self.kinds['rnd'], elapsed,
               self.sent / elapsed if elapsed else 0))
        print('nlfuzz: acks by errno: ' +
              ', '.join('%s=%d' % kv for kv in self.acks.most_common()))
        print('nlfuzz: replies %d, dump done %d, ENOBUFS %d, send errors: %s' %
              (self.replies, self.done, self.enobufs,
               ', '.join('%s=%d' % kv for kv in self.send_err.most_common()) or 'none'))
        print('nlfuzz: distinct extack messages %d; most common:' % len(self.extack))
        for m, c in self.extack.most_common(a.top):
            print('nlfuzz:   %6d  %s' % (c, m))
        print('nlfuzz: BOND_DEL aimed at %s: %d, %s re-created: %d' %
              (self.bond.decode(), self.real_del_attempts, self.bond.decode(), self.recreated))
        print('nlfuzz: bonds deleted at the end: %s' % (' '.join(deleted) or 'none'))
        left = sorted(set(self.ztbond_devs()) - self.initial_bonds - {self.bond})
        print('nlfuzz: bonds left: %s' %
              (' '.join(n.decode(errors='backslashreplace') for n in left) or 'none'))
        return 0 if self.sent >= a.count else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--seed', type=int, default=None)
    p.add_argument('--count', type=int, default=50000)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--bond', default='zb0')
    p.add_argument('--links', default='')
    p.add_argument('--extra', default='', help='other devices to aim at')
    p.add_argument('--foreign', default='',
                   help='ifindexes of devices in another namespace to aim at')
    p.add_argument('--pool', type=int, default=6, help='names zf0.. for BOND_NEW')
    p.add_argument('--random-frac', type=float, default=0.2)
    p.add_argument('--del-real-prob', type=float, default=0.05,
                   help='probability to let a BOND_DEL aimed at --bond through')
    p.add_argument('--top', type=int, default=12)
    a = p.parse_args()
    if a.seed is None:
        a.seed = int.from_bytes(os.urandom(4), 'little')
    print('nlfuzz: seed %d (rerun with --seed %d)' % (a.seed, a.seed), flush=True)
    return Fuzzer(a).run()


if __name__ == '__main__':
    sys.exit(main())
