#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A UDP sequence stream that measures an outage (failover.sh, benchmark 4).

  udpseq.py send DST PORT --interval S --stats FILE
      Send datagrams (sequence number, send time) every S seconds until
      SIGTERM, then write "sent last_send_time send_errors" to FILE. A send
      that the stack refuses (no route, neighbour failed) still uses up its
      sequence number: it is a lost packet. If the sender falls more than
      0.1 s behind its schedule (the VM stalled it), it skips ahead instead
      of sending a burst; the send times in the packets say when each was
      really sent.

  udpseq.py recv PORT --out FILE --event-file F [--interval S]
                 [--settle S] [--max-after S]
      Receive until the stream has run without a gap for --settle seconds
      after recovering from a gap that ended after the event began (and
      --settle seconds after the event's command), or for 2 x --settle
      seconds if no gap followed the event, or until --max-after seconds
      after the event; and in the first two cases only while datagrams
      arrive. F holds two times, before and
      after the command that broke the link; the caller writes it once the
      command is done. Writes one line per datagram to FILE ("seq send_time
      recv_time", then "# end TIME"), touches FILE.ready when the socket is
      bound and FILE.flowing at the first datagram, and prints the outage
      as one JSON object.

  udpseq.py analyze --recv FILE --event-file F --interval S
      The same JSON object again from the files.

Times are wall-clock seconds (time.time(); the shell writes $EPOCHREALTIME),
one clock for every namespace of the VM.

Outage: a datagram is lost if it never arrives, or arrives more than
max(1 s, 50 intervals) after it was sent (it waited in a queue through the
outage: an unresolved neighbour, a dead link's qdisc). Of the runs of lost
sequence numbers that end after the event (its "before" time), the
longest, as the time between the send times of the two datagrams around it
minus one interval (one datagram lost at 10 ms = 10 ms). "lost_after_event"
counts the datagrams that never arrived, "late" those that arrived late.
If the stream is broken at the end of the trial (nothing received in time
for 10 intervals, at least 0.25 s), it did not recover ("recovered":
false): no failover, or not a lasting one, and the outage is at least the
time from the last datagram received to the end.
"""

import argparse
import json
import signal
import socket
import struct
import sys
import time

FMT = "!Qd"


def send_loop(a, sock, stop, stats):
    """Send until stop (a threading.Event or anything with is_set())."""
    seq = errors = 0
    last = 0.0
    nxt = time.time()
    while not stop.is_set():
        now = time.time()
        if now < nxt:
            time.sleep(nxt - now)
            if stop.is_set():
                break
        elif now - nxt > 0.1:
            nxt = now
        last = time.time()
        try:
            sock.sendto(struct.pack(FMT, seq, last), (a.dst, a.port))
        except OSError:
            errors += 1
        seq += 1
        nxt += a.interval
    stats.update(sent=seq, last=last, errors=errors)


class _Flag:
    def __init__(self):
        self.v = False

    def set(self, *_):
        self.v = True

    def is_set(self):
        return self.v


def send(a):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stop = _Flag()
    signal.signal(signal.SIGTERM, stop.set)
    signal.signal(signal.SIGINT, stop.set)
    stats = {}
    send_loop(a, sock, stop, stats)
    with open(a.stats, "w") as f:
        f.write(f"{stats['sent']} {stats['last']:.6f} {stats['errors']}\n")


def read_event(path):
    """(before, after): the times around the event's command, or None."""
    try:
        with open(path) as f:
            v = [float(x) for x in f.read().split()]
        return (v[0], v[1] if len(v) > 1 else v[0])
    except (OSError, ValueError, IndexError):
        return None


def recv(a):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    print(json.dumps(recv_loop(a, sock)))


def recv_loop(a, sock, bound=None):
    """Receive on SOCK as described for recv; return the outage.
    BOUND() is called once the socket is bound."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind(("0.0.0.0", a.port))
    sock.settimeout(0.05)
    open(a.out + ".ready", "w").close()
    if bound:
        bound()
    rows = []
    event = None
    late = late_after(a.interval)
    last_good = 0.0
    last_seq = -1
    clean_since = None      # recv time of the first packet after the last gap
    seen_after = False
    deadline = time.time() + a.max_total
    while True:
        now = time.time()
        if event is None:
            event = read_event(a.event_file)
        if event is not None:
            done = event[1]
            if now >= done + a.max_after:
                break
            # (the stream flows now: a datagram came in time just now)
            flowing = now - last_good < max(0.25, 10 * a.interval)
            # recovered from a gap that ended after the event began, and
            # clean since, also for settle after the event's command
            if flowing and clean_since is not None and clean_since > event[0] \
                    and now - clean_since >= a.settle and now - done >= a.settle:
                break
            # no gap at all after the event
            if flowing and seen_after and clean_since is not None \
                    and clean_since < event[0] and now - done >= 2 * a.settle:
                break
        if now >= deadline:
            break
        try:
            data = sock.recv(64)
        except socket.timeout:
            continue
        t = time.time()
        seq, ts = struct.unpack(FMT, data[:16])
        if not rows:
            open(a.out + ".flowing", "w").close()
        rows.append((seq, ts, t))
        if seq != last_seq + 1 or clean_since is None or t - ts > late:
            clean_since = t
        if t - ts <= late:
            last_good = t
        last_seq = max(last_seq, seq)
        if event is not None and ts > event[1]:
            seen_after = True
    end = time.time()
    with open(a.out, "w") as f:
        for seq, ts, t in rows:
            f.write(f"{seq} {ts:.6f} {t:.6f}\n")
        f.write(f"# end {end:.6f}\n")
    return outage(rows, end, event, a.interval)


def late_after(interval):
    """A datagram delivered this late (s) counts as lost: it sat in a queue
    (an unresolved neighbour, a dead link's qdisc) through the outage."""
    return max(1.0, 50 * interval)


def outage(rows, end, ev, interval):
    """The outage of a trial: rows (seq, send_time, recv_time) in arrival
    order, the receiver's end time, the event (before, after)."""
    got = {}
    reordered = dups = 0
    top = -1
    for seq, ts, t in rows:
        if seq in got:
            dups += 1
            continue
        if seq < top:
            reordered += 1
        top = max(top, seq)
        got[seq] = (ts, t)
    late = late_after(interval)
    good = {q: v for q, v in got.items() if v[1] - v[0] <= late}
    seqs = sorted(good)
    res = {"received": len(got), "late": len(got) - len(good),
           "duplicates": dups, "reordered": reordered}
    if ev is None or not seqs or end is None:
        res.update(outage_ms=None, recovered=False, lost_after_event=None,
                   error="no event time" if ev is None else "nothing received")
        return res
    event = ev[0]
    res["window_ms"] = round((end - event) * 1000)
    before = [q for q in seqs if good[q][0] <= event]
    base = before[-1] if before else seqs[0]
    last = max(got)
    lost = sum(1 for q in range(base + 1, last) if q not in got)
    best = 0.0
    best_seq = 0
    for x, y in zip(seqs, seqs[1:]):
        if y - x > 1 and good[y][0] > event:
            d = good[y][0] - good[x][0] - interval
            if d > best:
                best, best_seq = d, y - x - 1
    # the stream is still broken at the end of the trial: no (lasting) failover
    tail = end - good[seqs[-1]][1]
    recovered = tail < max(0.25, 10 * interval)
    if not recovered:
        tail_pkts = int(tail / interval)
        lost += max(0, tail_pkts - (last - seqs[-1]))
        if tail > best:
            best, best_seq = end - good[seqs[-1]][0], tail_pkts
    res.update(outage_ms=round(max(best, 0.0) * 1000, 1),
               gap_seq_ms=round(best_seq * interval * 1000, 1),
               lost_after_event=lost, recovered=recovered)
    return res


def analyze(a):
    rows = []
    end = None
    with open(a.recv) as f:
        for line in f:
            if line.startswith("# end"):
                end = float(line.split()[2])
                continue
            seq, ts, t = line.split()
            rows.append((int(seq), float(ts), float(t)))
    print(json.dumps(outage(rows, end, read_event(a.event_file), a.interval)))


CLONE_NEWNET = 0x40000000


def socket_in(ns):
    """A UDP socket in network namespace NS (a name under /run/netns):
    setns() for this thread, socket(), back. The socket keeps its netns."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    with open("/proc/self/ns/net") as home, open("/run/netns/" + ns) as there:
        if libc.setns(there.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + ns)
        try:
            return socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        finally:
            if libc.setns(home.fileno(), CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")


def serve(a):
    """Run trials on request, so that the VM starts Python once: each line
    of the control FIFO, "trial DIR NS_SEND NS_RECV DST PORT INTERVAL SETTLE
    MAX_AFTER", runs one stream from NS_SEND to DST:PORT in NS_RECV, as
    send and recv do, with DIR/event as the event file; it writes DIR/recv,
    DIR/result.json (with "sent" and "send_errors") and then DIR/done.
    "quit" ends."""
    import threading
    while True:
        with open(a.ctl) as ctl:
            for line in ctl:
                w = line.split()
                if not w:
                    continue
                if w[0] == "quit":
                    return
                d, ns_s, ns_r, dst = w[1:5]
                port, interval, settle, max_after = int(w[5]), float(w[6]), float(w[7]), float(w[8])
                res = {}
                try:
                    rsock = socket_in(ns_r)
                    ssock = socket_in(ns_s)
                    stop = threading.Event()
                    stats = {}
                    r = argparse.Namespace(port=port, out=d + "/recv", event_file=d + "/event",
                                           settle=settle, max_after=max_after, max_total=120.0,
                                           interval=interval)
                    s = argparse.Namespace(dst=dst, port=port, interval=interval)
                    th = threading.Thread(target=send_loop, args=(s, ssock, stop, stats))
                    res = recv_loop(r, rsock, lambda: th.start())
                    stop.set()
                    th.join()
                    rsock.close()
                    ssock.close()
                    res.update(sent=stats.get("sent", 0), send_errors=stats.get("errors", 0))
                except Exception as e:      # report, keep serving
                    res = {"error": repr(e)}
                with open(d + "/result.json", "w") as f:
                    f.write(json.dumps(res) + "\n")
                open(d + "/done", "w").close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("dst")
    s.add_argument("port", type=int)
    s.add_argument("--interval", type=float, default=0.01)
    s.add_argument("--stats", required=True)
    r = sub.add_parser("recv")
    r.add_argument("port", type=int)
    r.add_argument("--out", required=True)
    r.add_argument("--event-file", required=True)
    r.add_argument("--settle", type=float, default=2.0)
    r.add_argument("--max-after", type=float, default=8.0)
    r.add_argument("--max-total", type=float, default=120.0)
    r.add_argument("--interval", type=float, default=0.01)
    v = sub.add_parser("serve")
    v.add_argument("--ctl", required=True, help="control FIFO")
    z = sub.add_parser("analyze")
    z.add_argument("--recv", required=True)
    z.add_argument("--event-file", required=True)
    z.add_argument("--interval", type=float, default=0.01)
    a = ap.parse_args()
    {"send": send, "recv": recv, "serve": serve, "analyze": analyze}[a.cmd](a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
