#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of "make bench", benchmark 3: aggregation efficiency. Runs
# under tools/testing/vm/guest-init.sh (via guest.sh), in the guest's root
# namespace.
#
# Two namespaces, A and B, joined by four veth pairs a1-b1 .. a4-b4; A's
# ends are shaped with tbf (burst 16kb, latency 100ms), in two profiles
# whose rates add up to the same 16 Mbit/s (low enough for TCG: the best
# contenders reach 0.9 of it, so the VM is not the bottleneck):
#
#   equal    4 4 4 4 Mbit/s   (BENCH_AG_EQUAL)
#   4:2:1:1  8 4 2 2 Mbit/s   (BENCH_AG_UNEQUAL)
#
# The same kind of bond on both ends (10.0.0.1 in A, 10.0.0.2 in B); iperf3
# sends TCP from A to B with 1 and with 8 streams (BENCH_AG_STREAMS) for
# BENCH_AG_SECONDS (8, QUICK 3) s after 1 s of slow start (-O 1, not
# counted). Goodput is iperf3's received rate; efficiency is goodput / the
# sum of the shaped rates of the bond's links. Contenders:
#
#   single             no bond: a1-b1 alone (the rate of one link; what TCP
#                      gets from one tbf link here, the ceiling of the rest)
#   ztbond-rr          ztbond balance-rr, packetsPerLink 1 (as bonding)
#   ztbond-rr-window   the same with dataHeader: A sends ordered DATA
#                      frames and B's reorder window delivers them in order
#                      (the run starts once A heard B take them on every
#                      link)
#   ztbond-xor         ztbond balance-xor
#   ztbond-aware       ztbond balance-aware (flow-dynamic), speed of each
#                      link = its tbf rate (ztbondctl link set zb0 aN speed)
#   ztbond-aware-auto  ztbond balance-aware, automatic allocation (measured
#                      quality; failoverInterval 1000 for faster probes;
#                      the run starts once every link has 8 probes)
#   bonding-rr         bonding balance-rr, miimon 100
#   bonding-xor        bonding balance-xor, xmit_hash_policy layer3+4,
#                      miimon 100
#
# The namespaces, veth pairs and the iperf3 server (in B, one for the whole
# run) are made once; each sample makes the bonds (and sets the profile's
# rates), runs one iperf3 and deletes them: balance-aware counts flows, and
# a flow stays in its table for 243 s (ZeroTier's expiry), so the streams of
# an earlier run would skew the next one's placement. Samples are
# interleaved: round 0, a warm-up with one BENCH_AG_WARMUP_S (2) s run of 8
# streams per contender and profile, is discarded (BENCH_WARMUP 0: none),
# then BENCH_ROUNDS rounds. Per sample, the bytes each of A's veth ends
# sent (ztbond's control frames included, a few hundred bytes a second)
# give the links' shares.
#
# QUICK: the 4:2:1:1 profile, contenders ztbond-aware and bonding-xor,
# 8 streams, 3 s, no warm-up round, one round.
#
# Output: $ZTB_OUT/results.tsv ("round profile contender streams mbit
# retransmits moves flows bytes_a1 .. bytes_a4": moves and flows of
# balance-aware, see sample), state/ (A's "bond show --json" after each
# balance-aware sample), contenders, params. Exit status 0,
# or 1 if a set-up fails; speed never fails (nor does an iperf3 run without
# a result: it is logged and missing from the samples).
#
# Environment: ZTBONDCTL, ZTB_OUT, BENCH_QUICK, BENCH_ROUNDS, BENCH_WARMUP,
# BENCH_AG_CONTENDERS, BENCH_AG_PROFILES (equal unequal), BENCH_AG_EQUAL,
# BENCH_AG_UNEQUAL, BENCH_AG_STREAMS, BENCH_AG_SECONDS, BENCH_AG_WARMUP_S.

set -uo pipefail

HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
source "$HERE/lib.sh"

ALL="single ztbond-rr ztbond-rr-window ztbond-xor ztbond-aware ztbond-aware-auto bonding-rr bonding-xor"
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	read -r -a CONTENDERS <<< "${BENCH_AG_CONTENDERS:-ztbond-aware bonding-xor}"
	read -r -a PROFILES <<< "${BENCH_AG_PROFILES:-unequal}"
	read -r -a STREAMS <<< "${BENCH_AG_STREAMS:-8}"
	SECS=${BENCH_AG_SECONDS:-3} WARMUP_S=${BENCH_AG_WARMUP_S:-1}
else
	read -r -a CONTENDERS <<< "${BENCH_AG_CONTENDERS:-$ALL}"
	read -r -a PROFILES <<< "${BENCH_AG_PROFILES:-equal unequal}"
	read -r -a STREAMS <<< "${BENCH_AG_STREAMS:-1 8}"
	SECS=${BENCH_AG_SECONDS:-8} WARMUP_S=${BENCH_AG_WARMUP_S:-2}
fi
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-1}
declare -A RATES=(
	[equal]=${BENCH_AG_EQUAL:-4 4 4 4}
	[unequal]=${BENCH_AG_UNEQUAL:-8 4 2 2}
)
NSA=bag-a NSB=bag-b
NL=4
PORT=5201
RES=$ZTB_OUT/results.tsv

# Topology (made once) -------------------------------------------------------

topo_create()
{
	local i

	ip netns add "$NSA" && ip netns add "$NSB" || return 1
	for ((i = 1; i <= NL; i++)); do
		echo "link add a$i netns $NSA type veth peer name b$i netns $NSB"
	done | ip -batch - || return 1
	ip -n "$NSA" link set lo up && ip -n "$NSB" link set lo up
}

# shellcheck disable=SC2317 # called by the EXIT trap
topo_destroy()
{
	[[ -n ${SERVER:-} ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
	SERVER=
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
}

# shape PROFILE N: A's first N links shaped at PROFILE's rates (replace
# keeps the qdisc across set-ups; the bonds leave it alone).
shape()
{
	local -a r
	local i

	read -r -a r <<< "${RATES[$1]}"
	for ((i = 1; i <= $2; i++)); do
		echo "qdisc replace dev a$i root tbf rate ${r[i - 1]}mbit burst 16kb latency 100ms"
	done | tc -n "$NSA" -batch -
}

# Contenders -----------------------------------------------------------------

# enslave NS PREFIX IP: the four links of NS into zb0 (down first: bonding
# wants its slaves down), IP/24 on zb0, up.
enslave()
{
	local ns=$1 p=$2 ip=$3 i

	{
		for ((i = 1; i <= NL; i++)); do
			echo "link set $p$i down"
			echo "link set $p$i master zb0"
			echo "link set $p$i up"
		done
		echo "addr add $ip/24 dev zb0"
		echo "link set zb0 up"
	} | ip -n "$ns" -batch -
}

# side_ztbond NS PREFIX IP POLICY [KEY VALUE...]
side_ztbond()
{
	local ns=$1 p=$2 ip=$3; shift 3

	ip netns exec "$ns" "$ZTBONDCTL" bond add zb0 policy "$@" &&
	enslave "$ns" "$p" "$ip"
}

# side_bonding NS PREFIX IP MODE [OPTION VALUE...]
side_bonding()
{
	local ns=$1 p=$2 ip=$3; shift 3

	ip -n "$ns" link add zb0 type bond mode "$@" miimon 100 &&
	enslave "$ns" "$p" "$ip"
}

# A heard B take ordered DATA frames on every link (HELLO, once a second)
wait_order()
{
	local i

	for ((i = 0; i < 100; i++)); do
		[[ $(ip netns exec "$NSA" "$ZTBONDCTL" --json peer list zb0 2>/dev/null |
		     jq '[.. | objects | select(has("alive") and .alive and .data) | .link] | unique | length') -ge $NL ]] &&
			return 0
		sleep 0.2
	done
	log "ztbond-rr-window: A never heard B take DATA frames on all $NL links"
	return 1
}

# set_speeds PROFILE: balance-aware shares from the tbf rates (A only: B
# sends only ACKs), one ztbondctl call per link.
set_speeds()
{
	local -a r
	local i

	read -r -a r <<< "${RATES[$1]}"
	for ((i = 1; i <= NL; i++)); do
		ip netns exec "$NSA" "$ZTBONDCTL" link set zb0 "a$i" speed "${r[i - 1]}" || return 1
	done
}

# setup CONTENDER PROFILE
setup()
{
	local c=$1 prof=$2

	MADE=$c
	case $c in
	single)
		ip -n "$NSA" addr add 10.0.0.1/24 dev a1 && ip -n "$NSA" link set a1 up &&
		ip -n "$NSB" addr add 10.0.0.2/24 dev b1 && ip -n "$NSB" link set b1 up ;;
	ztbond-rr)
		side_ztbond "$NSA" a 10.0.0.1 balance-rr packetsPerLink 1 &&
		side_ztbond "$NSB" b 10.0.0.2 balance-rr packetsPerLink 1 ;;
	ztbond-rr-window)
		side_ztbond "$NSA" a 10.0.0.1 balance-rr packetsPerLink 1 dataHeader true &&
		side_ztbond "$NSB" b 10.0.0.2 balance-rr packetsPerLink 1 &&
		wait_order ;;
	ztbond-xor)
		side_ztbond "$NSA" a 10.0.0.1 balance-xor &&
		side_ztbond "$NSB" b 10.0.0.2 balance-xor ;;
	ztbond-aware)
		side_ztbond "$NSA" a 10.0.0.1 balance-aware &&
		side_ztbond "$NSB" b 10.0.0.2 balance-aware &&
		set_speeds "$prof" ;;
	ztbond-aware-auto)
		side_ztbond "$NSA" a 10.0.0.1 balance-aware failoverInterval 1000 &&
		side_ztbond "$NSB" b 10.0.0.2 balance-aware failoverInterval 1000 ;;
	bonding-rr)
		side_bonding "$NSA" a 10.0.0.1 balance-rr &&
		side_bonding "$NSB" b 10.0.0.2 balance-rr ;;
	bonding-xor)
		side_bonding "$NSA" a 10.0.0.1 balance-xor xmit_hash_policy layer3+4 &&
		side_bonding "$NSB" b 10.0.0.2 balance-xor xmit_hash_policy layer3+4 ;;
	*)
		log "unknown contender $c"; return 1 ;;
	esac || return 1
	shape "$prof" "$NL"
}

# teardown: what setup made (naming an absent device to ip costs a
# modprobe, see lib.sh)
teardown()
{
	case ${MADE:-} in
	"")	;;
	single)
		ip -n "$NSA" addr flush dev a1
		ip -n "$NSB" addr flush dev b1 ;;
	*)
		ip -n "$NSA" link del zb0 2>/dev/null
		ip -n "$NSB" link del zb0 2>/dev/null ;;
	esac
	MADE=
}

# Readiness ------------------------------------------------------------------

# probed_links: how many of A's ztbond links have 8 probes or more
probed_links()
{
	ip netns exec "$NSA" "$ZTBONDCTL" bond show zb0 --json |
		jq '[.links[] | select((.probes // 0) >= 8)] | length'
}

# ready CONTENDER: B answers a ping (ARP resolved); the automatic
# allocation has measurements on every link.
ready()
{
	local c=$1 i

	for ((i = 0; i < 30; i++)); do
		ip netns exec "$NSA" ping -q -c 1 -W 1 10.0.0.2 > /dev/null 2>&1 && break
	done
	((i < 30)) || return 1
	[[ $c == ztbond-aware-auto ]] || return 0
	for ((i = 0; i < 40; i++)); do
		[[ $(probed_links) == "$NL" ]] && return 0
		sleep 0.5
	done
	return 1
}

# Samples --------------------------------------------------------------------

# tx_bytes: A's a1..a4 tx bytes, one line
tx_bytes()
{
	ip -n "$NSA" -s -j link show | jq -r '[.[] | select(.ifname | test("^a[0-9]+$")) |
		{(.ifname): .stats64.tx.bytes}] | add | [.a1, .a2, .a3, .a4] | map(. // 0) | @tsv'
}

start_server()
{
	ip netns exec "$NSB" iperf3 -s -p "$PORT" >> "$LOG" 2>&1 &
	SERVER=$!
}

# restart_server: after a run without a result (a stuck server refuses the
# next test)
restart_server()
{
	kill "$SERVER" 2>/dev/null
	wait "$SERVER" 2>/dev/null
	start_server
	sleep 1
}

# aware_state [FILE]: "FLOW_MOVES FLOWS_A1/FLOWS_A2/..." of A's
# balance-aware bond; FILE keeps the whole "bond show --json" (per link:
# eligible, punished_ms, quality, rtt, allocation... what decided the
# placement)
aware_state()
{
	local f=${1:-/dev/null}

	ip netns exec "$NSA" "$ZTBONDCTL" bond show zb0 --json | tee "$f" |
		jq -r '"\(.flow_moves // 0) \([.links[] | .flows // 0 | tostring] | join("/"))"'
}

# sample CONTENDER STREAMS SECONDS [STATE_FILE]: prints "mbit retransmits moves flows
# bytes_a1 .. bytes_a4" (moves: flows balance-aware moved during the run;
# flows: its flows per link after the run; "-" for the others); non-zero
# if iperf3 gave no result.
sample()
{
	local c=$1 n=$2 s=$3 st=${4:-/dev/null} b0 b1 out mbit ret i m0=- m1=- fl=-

	[[ $c == ztbond-aware* ]] && read -r m0 _ < <(aware_state)
	read -r -a b0 < <(tx_bytes)
	out=$(ip netns exec "$NSA" timeout $((s + 40)) iperf3 -c 10.0.0.2 -p "$PORT" \
		-P "$n" -t "$s" -O 1 -J 2>> "$LOG")
	read -r -a b1 < <(tx_bytes)
	[[ $c == ztbond-aware* ]] && read -r m1 fl < <(aware_state "$st")
	read -r mbit ret < <(jq -r '"\(.end.sum_received.bits_per_second / 1e6 | . * 1000 | round / 1000) \(.end.sum_sent.retransmits // 0)"' \
		<<< "$out" 2>/dev/null)
	if [[ -z ${mbit:-} || $mbit == null ]]; then
		jq -r '.error // empty' <<< "$out" >> "$LOG" 2>/dev/null
		return 1
	fi
	[[ $m0 != - ]] && m1=$((m1 - m0))
	printf '%s %s %s %s' "$mbit" "$ret" "$m1" "$fl"
	for ((i = 0; i < NL; i++)); do printf ' %s' $((b1[i] - b0[i])); done
	echo
}

# Main -----------------------------------------------------------------------

: > "$RES"
: > "$LOG"
modprobe bonding max_bonds=0 || { log "cannot load bonding"; exit 1; }
modprobe sch_tbf || { log "cannot load sch_tbf"; exit 1; }
# The first TCP connection of the boot sets the kernel's once-only hash
# secrets (net_get_random_once), whose static keys are then patched out
# with text_poke; under TCG a CPU hit the patch site's int3 in
# inet_ehashfn while the first iperf3 connected ("Oops: int3", a panic in
# softirq) once. Make that first connection here, to a closed port, while
# nothing else runs, and give the deferred patching a second.
(exec 3<> /dev/tcp/127.0.0.1/9) 2> /dev/null
sleep 1
topo_destroy
topo_create >> "$LOG" 2>&1 || { log "cannot create the namespaces and veth pairs"; exit 1; }
start_server
trap 'topo_destroy' EXIT

printf '%s\n' "${CONTENDERS[@]}" > "$ZTB_OUT/contenders"
mkdir -p "$ZTB_OUT/state"
{
	echo "rounds=$ROUNDS"
	echo "seconds=$SECS"
	echo "warmup=$WARMUP"
	echo "warmup_seconds=$WARMUP_S"
	echo "streams=${STREAMS[*]}"
	echo "profiles=${PROFILES[*]}"
	for p in "${PROFILES[@]}"; do echo "rates_$p=${RATES[$p]}"; done
	echo "tbf=burst 16kb latency 100ms"
} > "$ZTB_OUT/params"

failed=0
declare -A broken=()
log "aggregation: ${#CONTENDERS[@]} contenders x ${#PROFILES[@]} profiles x streams ${STREAMS[*]}, ${SECS}s each, $WARMUP warm-up round(s) (${WARMUP_S}s) + $ROUNDS measured"
for ((r = 1 - WARMUP; r <= ROUNDS; r++)); do
	for prof in "${PROFILES[@]}"; do
		for c in "${CONTENDERS[@]}"; do
			list=("${STREAMS[@]}")
			((r == 0)) && list=(8)
			for n in "${list[@]}"; do
				[[ -n ${broken[$c:$prof]:-} ]] && continue
				teardown
				t0=$SECONDS
				if ! setup "$c" "$prof" >> "$LOG" 2>&1 || ! ready "$c"; then
					log "round $r: $prof $c: set-up FAILED"
					broken[$c:$prof]=1 failed=1
					teardown
					continue
				fi
				t1=$SECONDS
				secs=$SECS
				((r == 0)) && secs=$WARMUP_S
				if ! out=$(sample "$c" "$n" "$secs" "$ZTB_OUT/state/r$r-$prof-$c-P$n.json"); then
					log "round $r: $prof $c -P $n: iperf3 gave no result"
					restart_server
				elif ((r > 0)); then
					printf '%d\t%s\t%s\t%s\t%s\n' "$r" "$prof" "$c" "$n" "${out// /$'\t'}" >> "$RES"
				fi
				teardown
				read -r mbit _ _ fl _ <<< "$out"
				log "round $r$( ((r == 0)) && echo " (warm-up)"): $prof $c -P $n: ${mbit:-?} Mbit/s, flows $fl (set-up $((t1 - t0)) s, run $((SECONDS - t1)) s)"
			done
		done
	done
done
exit "$failed"
