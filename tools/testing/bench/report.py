#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn tx_cost.sh samples into medians and ratios.

Reads results.tsv (round, contender, pps), writes OUT.json and OUT.md and
prints the table. Ratios: each ztbond mode against bonding's same mode and
against bare veth (the same for bonding and team against veth).
"""

import argparse
import datetime
import json
import os
import statistics


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model}


def main():
    ap = argparse.ArgumentParser()
    for a in ("results", "contenders", "out", "kernel", "accel", "command"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--rounds", type=int, required=True)
    args = ap.parse_args()

    samples = {}
    received = {}
    with open(args.results) as f:
        for line in f:
            rnd, name, pps, got = line.split()
            samples.setdefault(name, []).append(int(pps))
            received.setdefault(name, []).append(int(got))
    with open(args.contenders) as f:
        order = [l.strip() for l in f if ":" in l and not l.startswith("team skipped")]
    notes = []
    with open(args.contenders) as f:
        notes = [l.strip() for l in f if l.startswith("team skipped")]

    med = {c: statistics.median(samples[c]) for c in order if c in samples}
    veth = med.get("veth:-")

    rows = []
    for c in order:
        kind, mode = c.split(":")
        row = {"contender": kind, "mode": "" if mode == "-" else mode,
               "samples_pps": samples.get(c, []),
               "median_pps": med.get(c),
               "peer_rx_packets": received.get(c, [])}
        if c in med and veth:
            row["vs_veth"] = round(med[c] / veth, 3)
        b = med.get("bonding:" + mode)
        if kind != "bonding" and kind != "veth" and c in med and b:
            row["vs_bonding"] = round(med[c] / b, 3)
        rows.append(row)

    meta = {
        "benchmark": "tx_cost",
        "command": args.command,
        "kernel": args.kernel,
        "accel": args.accel,
        "machine": machine(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "packets_per_sample": args.count,
        "measured_rounds": args.rounds,
        "warmup_rounds": 1,
        "packet": "64-byte UDP, random source port 1..65535, pktgen clone_skb 0",
        "notes": notes,
    }
    with open(args.out + ".json", "w") as f:
        json.dump({"meta": meta, "results": rows}, f, indent=2)
        f.write("\n")

    def fmt(v, kind="pps"):
        if v is None:
            return "-"
        return f"{v:,.0f}" if kind == "pps" else f"{v:.2f}"

    hdr = ["contender", "mode", "median pps", "vs bonding", "vs veth", "samples"]
    table = []
    for r in rows:
        table.append([r["contender"], r["mode"], fmt(r["median_pps"]),
                      fmt(r.get("vs_bonding"), "x"), fmt(r.get("vs_veth"), "x"),
                      " ".join(str(s) for s in r["samples_pps"]) or "set-up failed"])

    m = meta["machine"]
    md = [
        f"Command: `{meta['command']}`  ",
        f"Kernel: {meta['kernel']} in QEMU ({meta['accel'].upper()}), 2 vCPUs  ",
        f"Machine: {m['nproc']} CPUs, {m['cpu']}  ",
        f"Date: {meta['date']}  ",
        f"Load: {meta['packet']}; {meta['packets_per_sample']} packets per sample, "
        f"1 warm-up round discarded, median of {meta['measured_rounds']} interleaved round(s)",
        "",
        "| " + " | ".join(hdr) + " |",
        "|" + "|".join(["---", "---", "---:", "---:", "---:", "---"]) + "|",
    ]
    md += ["| " + " | ".join(r) + " |" for r in table]
    md += [f"\n{n}" for n in notes]
    with open(args.out + ".md", "w") as f:
        f.write("\n".join(md) + "\n")

    widths = [max(len(hdr[i]), *(len(r[i]) for r in table)) for i in range(len(hdr))]
    print()
    print(f"tx_cost: {meta['kernel']} ({meta['accel']}), {meta['packets_per_sample']} pkts/sample, "
          f"median of {meta['measured_rounds']} round(s)")
    for r in [hdr] + table:
        print("  ".join(c.rjust(w) if i in (2, 3, 4) else c.ljust(w)
                        for i, (c, w) in enumerate(zip(r, widths))))
    for n in notes:
        print(n)
    print(f"\nwritten: {args.out}.json {args.out}.md")


if __name__ == "__main__":
    main()
