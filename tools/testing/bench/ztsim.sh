#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of "make bench", benchmark 5: ztsim members that are CPU-bound
# on one thread each, bonded 1, 2 and 4 at a time (the seed: zerotier-one
# moves packets on one core, so run several and bond their taps). Runs
# under tools/testing/vm/guest-init.sh (via guest.sh), in the guest's root
# namespace, on a VM with as many vCPUs as the host has (run.sh).
#
# The seed's hub, as in ztbond_zt_hub.sh, in namespaces:
#
#   bzs-ul     the underlay every member talks through (its loopback)
#   bzs-h      the hub: ztsim's Central stand-in, and per sample
#              "ztbondctl zt up --count N" (N bridged members bonded in
#              ztbond0, 10.55.0.1/24) with ZTSIM_CPU_COST_NS=COST in its
#              environment, which the members inherit: each burns COST ns
#              of its thread's CPU time per frame it reads (tap or underlay)
#   bzs-c1..   plain ztsim client members, one namespace each, tap ztc,
#              10.55.0.(10+i)/24, no CPU cost (they stand for clients on
#              machines of their own): 1, or BENCH_ZS_CLIENTS (4) with an
#              iperf3 server each when a tcp case runs
#
# The hub's members' taps get a txqueuelen per load (ztsim's own is 500):
# BENCH_ZS_TXQLEN_PKTGEN (1000) frames, a few seconds of a costed member's
# traffic, so that the bursts of this VM (a TCG vCPU stalls for up to a
# second on a loaded host, then its pktgen catches up) never leave a
# member idle while frames wait; BENCH_ZS_TXQLEN_TCP (32), since a member
# that forwards a hundred frames a second would otherwise add seconds of
# queueing to TCP's round trip, where a zerotier-one that forwards a
# hundred thousand adds milliseconds.
#
# Loads, from the hub to the clients:
#
#   pktgen  pktgen (kpktgend_0 of the hub's namespace) into ztbond0's xmit:
#           frames that fill the MTU (2800-byte IPv4/UDP packets) for
#           client 1's MAC, 8 flows (random source port of 8), offered at
#           BENCH_ZS_OVER (1.5) x min(N, vCPUs) x the frame rate the cost
#           alone allows (1 s / COST; BENCH_ZS_REF_PPS, 4000, without
#           cost): more than the members can carry (a member's own work
#           comes on top of the cost), and not more than the VM's CPUs
#           could forward at best. The
#           destination address is not the client's (10.55.0.200): its
#           kernel drops the frames silently, after its tap counted them.
#           Throughput: the bytes client 1's tap received in the window
#           (below). Cheap to generate: the dropped surplus costs the VM
#           little, where iperf3's UDP sender pays a system call per
#           datagram.
#   tcp     iperf3 TCP, one iperf3 per client, all at once,
#           BENCH_ZS_STREAMS (2) streams each, after 1 s not counted
#           (-O 1); throughput: iperf3's goodput, summed. The clients'
#           ACKs come back through the members too (each client sends to
#           the link whose MAC it learned from the hub's ARP).
#
# Cases (BENCH_ZS_CASES, LOAD:POLICY ...; default "pktgen:balance-rr
# tcp:balance-aware", QUICK "pktgen:balance-rr"): balance-rr with
# packetsPerLink 1 spreads every frame; balance-aware (flow-dynamic) places
# flows. Members per sample: BENCH_ZS_MEMBERS (1 2 4; QUICK 1 2), after a reference
# "1 member, no CPU cost" (BENCH_ZS_REF=1; 0: none) that shows what the VM
# moves through one member without the cost. BENCH_ZS_COST_NS (2000000):
# the cost, chosen so that one member is CPU-bound well below that
# reference. BENCH_ZS_PIN=1: "zt up --pin" (off: with 2 vCPUs, pinning
# one member to CPU 0 puts it with the interrupts).
#
# Each sample runs BENCH_ZS_SECONDS (10, QUICK 6) s; the window is from
# 3 s after the load started to its end: per member, its CPU time
# (/proc/PID/stat) and the frames it read from its tap (the tap's
# tx_packets; tx_dropped: frames it did not read in time, the queue being
# full: the member was saturated) and, for pktgen, the throughput. Every
# sample runs "zt up" and "zt down" (the homes, hence the member
# identities, are kept) and flushes the clients' neighbour entries.
# Samples are interleaved (every case and member count, then the next
# round); round 0, a warm-up with BENCH_ZS_WARMUP_S (4) s per sample, is
# discarded (BENCH_WARMUP 0: none), then BENCH_ROUNDS rounds.
#
# Output: $ZTB_OUT/results.tsv ("round load policy members cost_ns mbit
# offered retr cpu fps tx drop rx setup_s load_s": offered in frames/s for
# pktgen, retr TCP's retransmissions, "-" where they do not apply; cpu (%
# of the window) and fps per member, tx, drop and rx (frames from the
# member: ACKs) per member over the whole load, "/"-joined), cases, params,
# bench.log (zt up's output, iperf3's errors). Exit status 0, or 1 if a
# set-up fails; speed never fails (nor does a load without a result: it is
# logged and missing from the samples).
#
# Environment: ZTBONDCTL, ZTBOND_ROOT, ZTB_OUT, BENCH_QUICK, BENCH_ROUNDS,
# BENCH_WARMUP, BENCH_ZS_CASES, BENCH_ZS_MEMBERS, BENCH_ZS_REF,
# BENCH_ZS_COST_NS, BENCH_ZS_CLIENTS, BENCH_ZS_STREAMS, BENCH_ZS_SECONDS,
# BENCH_ZS_WARMUP_S, BENCH_ZS_OVER, BENCH_ZS_REF_PPS, BENCH_ZS_TXQLEN_PKTGEN,
# BENCH_ZS_TXQLEN_TCP,
# BENCH_ZS_PIN.

set -uo pipefail

HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
source "$HERE/lib.sh"

# QUICK: 1 and 2 members (4 takes a third of QUICK's time and says
# nothing more to a smoke test)
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	read -r -a CASES <<< "${BENCH_ZS_CASES:-pktgen:balance-rr}"
	SECS=${BENCH_ZS_SECONDS:-6}
	read -r -a MEMBERS <<< "${BENCH_ZS_MEMBERS:-1 2}"
else
	read -r -a CASES <<< "${BENCH_ZS_CASES:-pktgen:balance-rr tcp:balance-aware}"
	SECS=${BENCH_ZS_SECONDS:-10}
	read -r -a MEMBERS <<< "${BENCH_ZS_MEMBERS:-1 2 4}"
fi
REF=${BENCH_ZS_REF:-1}
COST=${BENCH_ZS_COST_NS:-2000000}
STREAMS=${BENCH_ZS_STREAMS:-2}
WARMUP_S=${BENCH_ZS_WARMUP_S:-4}
OVER=${BENCH_ZS_OVER:-1.5}
REF_PPS=${BENCH_ZS_REF_PPS:-4000}
declare -A TXQLEN=([pktgen]=${BENCH_ZS_TXQLEN_PKTGEN:-1000} [tcp]=${BENCH_ZS_TXQLEN_TCP:-32})
PIN=${BENCH_ZS_PIN:-0}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-1}
# one client is enough for pktgen (one destination MAC); TCP's return path
# spreads over the members by client
NCLI=1
[[ " ${CASES[*]}" == *" tcp:"* ]] && NCLI=${BENCH_ZS_CLIENTS:-4}

NW=8056c2e21c00b5b5
ZTSIM=$ZTBOND_ROOT/tools/testing/ztsim/ztsim
CENTRAL=$ZTBOND_ROOT/tools/testing/ztsim/central.py
NSU=bzs-ul NSH=bzs-h
HUB_IP=10.55.0.1
SINK_IP=10.55.0.200	# pktgen's destination: not the client's address
MTU=2800		# ZeroTier's (and ztsim's) tap MTU, hence the bond's
PORT=5201
T=/tmp/bench-ztsim
RES=$ZTB_OUT/results.tsv
CPORT=
CENTRAL_PID=
SERVERS=()

cli_ns() { echo "bzs-c$1"; }
cli_ip() { echo "10.55.0.$((10 + $1))"; }
ctl_h() { ip netns exec "$NSH" "$ZTBONDCTL" "$@"; }

# wait_for TRIES CMD...: CMD every 0.5 s until it succeeds
wait_for()
{
	local n=$1 i; shift

	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.5
	done
	return 1
}

# sleep_until MS: sleep until the wall clock (now_ms) reaches MS
sleep_until()
{
	local d=$(($1 - $(now_ms)))

	((d > 0)) && sleep "$((d / 1000)).$(printf '%03d' $((d % 1000)))"
	return 0
}

# Topology (made once) -------------------------------------------------------

topo_create()
{
	local i ns

	rm -rf "$T"
	mkdir -p "$T/state" || return 1
	export ZTSIM_STATE=$T/state
	ip netns add "$NSU" && ip netns add "$NSH" || return 1
	ip -n "$NSU" link set lo up && ip -n "$NSH" link set lo up || return 1
	echo "$NSU" > "$ZTSIM_STATE/underlay-netns"
	echo "central-token" > "$T/token"
	ip netns exec "$NSH" python3 "$CENTRAL" --state "$ZTSIM_STATE" \
		--token-file "$T/token" --port-file "$T/central.port" \
		2> "$T/central.log" &
	CENTRAL_PID=$!
	# python's first start from a cold 9p root under TCG is slow
	wait_for 120 test -s "$T/central.port" || { cat "$T/central.log"; return 1; }
	CPORT=$(cat "$T/central.port")
	for ((i = 1; i <= NCLI; i++)); do
		ns=$(cli_ns "$i")
		ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
		mkdir -p "$T/c$i/networks.d"
		echo "$NW=ztc" > "$T/c$i/devicemap"
		: > "$T/c$i/networks.d/$NW.conf"
		ZTSIM_CPU_COST_NS=0 ip netns exec "$ns" "$ZTSIM" -U -d -p$((29993 + i)) "$T/c$i" \
			2> "$T/c$i.log" || return 1
	done
	for ((i = 1; i <= NCLI; i++)); do
		ns=$(cli_ns "$i")
		wait_for 60 ip -n "$ns" link show ztc > /dev/null 2>&1 &&
		ip -n "$ns" addr add "$(cli_ip "$i")/24" dev ztc || return 1
		((NCLI > 1)) || continue
		ip netns exec "$ns" iperf3 -s -p "$PORT" >> "$LOG" 2>&1 &
		SERVERS[i]=$!
	done
}

# shellcheck disable=SC2317 # called by the EXIT trap
topo_destroy()
{
	local f p

	hub_down
	for p in "${SERVERS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	SERVERS=()
	for f in "$T"/c*/zerotier-one.pid; do
		[[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null
	done
	[[ -n $CENTRAL_PID ]] && kill "$CENTRAL_PID" 2>/dev/null && wait "$CENTRAL_PID" 2>/dev/null
	CENTRAL_PID=
	sleep 0.3
	for f in /run/netns/bzs-*; do
		[[ -e $f ]] && ip netns del "${f##*/}"
	done
}

# restart_server I: client I's iperf3 server, after a run without a result
# (a stuck server refuses the next test)
restart_server()
{
	kill "${SERVERS[$1]}" 2>/dev/null
	wait "${SERVERS[$1]}" 2>/dev/null
	ip netns exec "$(cli_ns "$1")" iperf3 -s -p "$PORT" >> "$LOG" 2>&1 &
	SERVERS[$1]=$!
}

# The hub --------------------------------------------------------------------

# hub_up N COST POLICY QLEN: N members with COST ns a frame, bonded with
# POLICY, their taps' txqueuelen QLEN
hub_up()
{
	local n=$1 cost=$2 pol=$3 qlen=$4 pin=() i

	((PIN)) && pin=(--pin)
	HUB_UP=1
	ZTSIM_CPU_COST_NS=$cost ctl_h zt up --network "$NW" --count "$n" "${pin[@]}" \
		--home "$T/h" --zerotier-one "$ZTSIM" \
		--central-token-file "$T/token" --central-url "http://127.0.0.1:$CPORT" \
		--timeout 60 --address "$HUB_IP/24" || return 1
	for ((i = 0; i < n; i++)); do
		echo "link set ztbond0-$i txqueuelen $qlen"
	done | ip -n "$NSH" -batch - || return 1
	case $pol in
	balance-rr) ctl_h bond set ztbond0 policy balance-rr packetsPerLink 1 ;;
	*)          ctl_h bond set ztbond0 policy "$pol" ;;
	esac
}

# hub_down: the bond and its members; the clients forget the hub's MACs
hub_down()
{
	local i

	[[ -n ${HUB_UP:-} ]] || return 0
	ctl_h zt down --home "$T/h" >> "$LOG" 2>&1
	HUB_UP=
	for ((i = 1; i <= NCLI; i++)); do
		ip -n "$(cli_ns "$i")" neigh flush dev ztc 2>/dev/null
	done
}

# shellcheck disable=SC2317 # called by wait_for
links_up()
{
	[[ $(ctl_h bond show ztbond0 --json |
	     jq '[.links[] | select(.state == "up")] | length') == "$1" ]]
}

# ready N: every link up and every client answers the hub (ARP resolved
# both ways: each client learns the MAC of the link the hub's ARP took)
ready()
{
	local i j

	wait_for 60 links_up "$1" || { log "not all $1 links up"; return 1; }
	for ((i = 1; i <= NCLI; i++)); do
		for ((j = 0; j < 30; j++)); do
			ip netns exec "$NSH" ping -q -c 1 -W 1 "$(cli_ip "$i")" > /dev/null 2>&1 && break
		done
		((j < 30)) || { log "client $i does not answer the hub"; return 1; }
	done
}

# Counters -------------------------------------------------------------------

# snapshot N: one line: the time (ms), the bytes the clients' taps received
# (summed), then per member i (home member<i>, tap ztbond0-i) "ticks
# tx_packets tx_dropped rx_packets": its CPU time (utime + stime, 100 ticks
# a second) and its tap's counters (tun counts tx when the member reads a
# frame; tx_dropped: frames it did not read in time, the queue being full;
# rx: frames from the member). Few processes: they would eat the window.
snapshot()
{
	local n=$1 i p c f=() rx=0 b

	for ((i = 1; i <= NCLI; i++)); do
		read -r b < <(ip netns exec "$(cli_ns "$i")" cat /sys/class/net/ztc/statistics/rx_bytes)
		rx=$((rx + ${b:-0}))
	done
	for ((i = 0; i < n; i++)); do
		p=$(cat "$T/h/ztbond0/member$i/zerotier-one.pid" 2>/dev/null)
		f+=("/proc/${p:-0}/stat")
		for c in tx_packets tx_dropped rx_packets; do
			f+=("/sys/class/net/ztbond0-$i/statistics/$c")
		done
	done
	echo -n "$(now_ms) $rx "
	# /proc/PID/stat: utime and stime are the 14th and 15th fields, the
	# 12th and 13th after the command name (which may hold spaces)
	# shellcheck disable=SC2016 # awk's $
	ip netns exec "$NSH" awk '
		FILENAME ~ /^\/proc/ { sub(/^.*\) /, ""); printf "%d ", $12 + $13; next }
		{ printf "%d ", $1 }
		END { print "" }' "${f[@]}" 2>/dev/null
}

# delta A B N: from two snapshots, "mbit cpu fps tx drop rx": the clients'
# received Mbit/s, then per member ("/"-joined) CPU in % of the time
# between them, frames read per second, frames read, dropped and received
delta()
{
	awk -v n="$3" -v a="$1" -v b="$2" 'BEGIN {
		split(a, x, " "); split(b, y, " "); ms = y[1] - x[1]
		mbit = (y[2] - x[2]) * 8 / ms / 1000
		for (i = 0; i < n; i++) {
			k = 3 + 4 * i; sep = i ? "/" : ""
			cpu = cpu sep sprintf("%.0f", (y[k] - x[k]) * 1000 / ms)
			tx = y[k + 1] - x[k + 1]
			fps = fps sep sprintf("%.0f", tx * 1000 / ms)
			txs = txs sep tx; drs = drs sep (y[k + 2] - x[k + 2])
			rxs = rxs sep (y[k + 3] - x[k + 3])
		}
		printf "%.2f %s %s %s %s %s\n", mbit, cpu, fps, txs, drs, rxs }'
}

# Loads ----------------------------------------------------------------------

# pktgen_load N COST SECONDS: starts pktgen in the background (PG_PID) and
# sets OFFERED (frames/s) and PG_COUNT
pktgen_load()
{
	local n=$1 cost=$2 s=$3 mac

	# no more than the VM's CPUs could forward: min(N, vCPUs) members
	OFFERED=$(awk -v o="$OVER" -v n="$n" -v v="$(nproc)" -v c="$cost" -v ref="$REF_PPS" \
		'BEGIN { if (n > v) n = v; printf "%d", c ? o * n * 1e9 / c : ref }')
	PG_COUNT=$((OFFERED * s))
	mac=$(ip -n "$(cli_ns 1)" -j link show ztc | jq -r '.[0].address')
	# pkt_size is the frame without FCS: an IP packet of the MTU; 8
	# flows: source ports 10000..10007 (ranges are [min, max))
	# shellcheck disable=SC2016 # expanded by the inner bash
	ip netns exec "$NSH" bash -c '
		pg() { echo "$2" > "/proc/net/pktgen/$1" || exit 1; }
		pg kpktgend_0 rem_device_all
		pg kpktgend_0 "add_device ztbond0"
		for c in "count $2" "clone_skb 0" "pkt_size $(($3 + 14))" "delay $((1000000000 / $4))" \
			"dst_mac $5" "src_min $6" "src_max $6" "dst $7" \
			"udp_src_min 10000" "udp_src_max 10008" "udp_dst_min 9" "udp_dst_max 9" \
			"flag UDPSRC_RND"; do
			pg ztbond0 "$c"
		done
		pg pgctrl start
		grep -A1 "^Result" /proc/net/pktgen/ztbond0' \
		- "$n" "$PG_COUNT" "$MTU" "$OFFERED" "$mac" "$HUB_IP" "$SINK_IP" >> "$LOG" 2>&1 &
	PG_PID=$!
}

# tcp_load SECONDS: one iperf3 per client, all at once, in the background
# (TCP_PIDS)
tcp_load()
{
	local s=$1 i

	TCP_PIDS=()
	for ((i = 1; i <= NCLI; i++)); do
		ip netns exec "$NSH" timeout $((s + 40)) iperf3 -c "$(cli_ip "$i")" -p "$PORT" \
			-P "$STREAMS" -t "$s" -O 1 -J > "$T/iperf$i.json" 2>> "$LOG" &
		TCP_PIDS+=($!)
	done
}

# tcp_result: waits for the iperf3 runs; sets TCP_RES to "mbit
# retransmits" (sums); non-zero if one gave no result (not in a subshell:
# it waits for the runs and may restart a server)
tcp_result()
{
	local i out mbit r sum=0 ret=0 rc=0

	TCP_RES=
	for ((i = 1; i <= NCLI; i++)); do
		wait "${TCP_PIDS[i - 1]}"
		out=$(jq -r '[.end.sum_received.bits_per_second, (.end.sum_sent.retransmits // 0)] | @tsv' \
			"$T/iperf$i.json" 2>/dev/null)
		read -r mbit r <<< "$out"
		if [[ -z ${mbit:-} || $mbit == null ]]; then
			log "client $i: iperf3 gave no result: $(jq -r '.error // empty' "$T/iperf$i.json" 2>/dev/null)"
			restart_server "$i"
			rc=1
			continue
		fi
		sum=$(awk -v a="$sum" -v b="$mbit" 'BEGIN { print a + b / 1e6 }')
		ret=$((ret + r))
	done
	TCP_RES=$(printf '%.2f %d' "$sum" "$ret")
	return "$rc"
}

# Samples --------------------------------------------------------------------

# sample LOAD POLICY N COST SECONDS: sets SAMPLE_RES to the result line's
# fields after members and cost; non-zero if the set-up failed (2) or the
# load gave no result (1)
sample()
{
	local load=$1 pol=$2 n=$3 cost=$4 s=$5 t0 t1 w0 a b wa wb win rc=0 mbit off=- lr=-

	SAMPLE_RES=
	t0=$SECONDS
	if ! hub_up "$n" "$cost" "$pol" "${TXQLEN[$load]}" >> "$LOG" 2>&1 || ! ready "$n"; then
		hub_down
		return 2
	fi
	t1=$SECONDS
	a=$(snapshot "$n")
	w0=$(now_ms)
	if [[ $load == pktgen ]]; then
		pktgen_load "$n" "$cost" "$s"
	else
		tcp_load "$s"
	fi
	sleep_until $((w0 + 3000))
	wa=$(snapshot "$n")
	sleep_until $((w0 + s * 1000))
	wb=$(snapshot "$n")
	win=$(delta "$wa" "$wb" "$n")
	echo "window: Mbit/s, per member CPU%, frames/s, read, dropped, from: $win" >> "$LOG"
	if [[ $load == pktgen ]]; then
		wait "$PG_PID" || rc=1
		mbit=${win%% *} off=$OFFERED
	else
		tcp_result || rc=1
		read -r mbit lr <<< "$TCP_RES"
	fi
	b=$(snapshot "$n")
	hub_down
	((rc == 0)) || return 1
	# the window's mbit (pktgen), cpu and fps; the whole load's tx, drop, rx
	SAMPLE_RES="$mbit $off $lr $(cut -d' ' -f2-3 <<< "$win") $(delta "$a" "$b" "$n" | cut -d' ' -f4-) $((t1 - t0)) $(((${b%% *} - ${a%% *} + 500) / 1000))"
}

# Main -----------------------------------------------------------------------

: > "$RES"
: > "$LOG"
[[ -x $ZTSIM ]] || { log "ztsim not built ($ZTSIM)"; exit 1; }
modprobe -q tun
[[ -c /dev/net/tun ]] || { log "no /dev/net/tun"; exit 1; }
modprobe pktgen || { log "cannot load pktgen"; exit 1; }
# The first TCP connection of the boot patches static keys (see
# aggregation.sh): make it here, while nothing else runs.
(exec 3<> /dev/tcp/127.0.0.1/9) 2> /dev/null
sleep 1
trap 'topo_destroy' EXIT
topo_destroy
t0=$SECONDS
topo_create >> "$LOG" 2>&1 || { log "cannot create the hub's Central and the clients"; exit 1; }
log "ztsim: Central and $NCLI client(s) up in $((SECONDS - t0)) s"

list=("${MEMBERS[@]}")
((REF)) && list=(ref "${MEMBERS[@]}")
printf '%s\n' "${CASES[@]}" > "$ZTB_OUT/cases"
{
	echo "rounds=$ROUNDS"
	echo "warmup=$WARMUP"
	echo "seconds=$SECS"
	echo "warmup_seconds=$WARMUP_S"
	echo "members=${MEMBERS[*]}"
	echo "reference=$REF"
	echo "cost_ns=$COST"
	echo "clients=$NCLI"
	echo "streams=$STREAMS"
	echo "over=$OVER"
	echo "ref_pps=$REF_PPS"
	echo "txqlen_pktgen=${TXQLEN[pktgen]}"
	echo "txqlen_tcp=${TXQLEN[tcp]}"
	echo "mtu=$MTU"
	echo "pin=$PIN"
	echo "vcpus=$(nproc)"
} > "$ZTB_OUT/params"

failed=0
declare -A broken=()
log "ztsim: cases ${CASES[*]}, members ${list[*]}, cost $COST ns, $NCLI client(s), ${SECS}s each, $WARMUP warm-up round(s) (${WARMUP_S}s) + $ROUNDS measured, $(nproc) vCPUs"
for ((r = 1 - WARMUP; r <= ROUNDS; r++)); do
	for c in "${CASES[@]}"; do
		load=${c%%:*} pol=${c#*:}
		for m in "${list[@]}"; do
			n=$m cost=$COST
			[[ $m == ref ]] && n=1 cost=0
			[[ -n ${broken[$c:$m]:-} ]] && continue
			secs=$SECS
			((r == 0)) && secs=$WARMUP_S
			sample "$load" "$pol" "$n" "$cost" "$secs"
			case $? in
			0)	;;
			2)	log "round $r: $c $m: set-up FAILED"
				broken[$c:$m]=1 failed=1
				continue ;;
			*)	log "round $r: $c $m: no result"
				continue ;;
			esac
			((r > 0)) && printf '%d\t%s\t%s\t%d\t%d\t%s\n' "$r" "$load" "$pol" "$n" "$cost" \
				"${SAMPLE_RES// /$'\t'}" >> "$RES"
			read -r mbit off lr cpu fps tx dr rx setup run <<< "$SAMPLE_RES"
			log "round $r$( ((r == 0)) && echo " (warm-up)"): $c $m: $mbit Mbit/s (offered $off frames/s, retr $lr); members: CPU% $cpu, frames/s $fps; frames read/dropped/from $tx $dr $rx (set-up $setup s, load $run s)"
		done
	done
done
exit "$failed"
