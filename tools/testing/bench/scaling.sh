#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of "make bench", benchmark 2: scaling with links and flows.
# Runs under tools/testing/vm/guest-init.sh (via guest.sh), in the guest's
# root namespace.
#
# pktgen (as in tx_cost.sh: 64-byte UDP, clone_skb 0, kpktgend_0) into the
# xmit of a ztbond "dut" whose links are veth pairs with their peers up:
#
#   links  N links (BENCH_SC_LINKS, 2 8 32 64; QUICK 2 64), 10 000 flows:
#          random source and destination ports from 100 x 100 pairs
#   flows  2 links, N flows (BENCH_SC_FLOWS, 100 10000 1000000): random
#          source port of 100 (100 flows), or random source and destination
#          ports of 100 x 100 or 1000 x 1000 pairs
#
# for each policy of BENCH_SC_POLICIES (balance-xor: hash to a bucket
# table; balance-aware flow-dynamic, the only one in QUICK: the flow table,
# flowTableSize BENCH_SC_TABLE = 1048576 so that a million flows fit). A
# sample of the "flows" dimension sees at most BENCH_COUNT flows: with
# 1 000 000 pairs most packets are the first of their flow (a table
# insert), which is the case this measures. Every sample makes the bond from scratch (the veth
# pairs are made once); samples are interleaved (round 0, a warm-up, is
# discarded).
#
# Output: $ZTB_OUT/results.tsv ("round dimension policy N pps flows",
# flows being the bond's "flows" after the sample for balance-aware, else
# "-"), params. Exit status 0, or 1 if a set-up fails; speed never fails.
#
# Environment: ZTBONDCTL, ZTB_OUT, BENCH_QUICK, BENCH_COUNT, BENCH_ROUNDS,
# BENCH_WARMUP (1; QUICK 0: no warm-up round),
# BENCH_SC_LINKS, BENCH_SC_FLOWS, BENCH_SC_POLICIES, BENCH_SC_TABLE.

set -uo pipefail

HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
source "$HERE/lib.sh"

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	LINK_COUNTS=${BENCH_SC_LINKS:-2 64}
	FLOW_COUNTS=${BENCH_SC_FLOWS:-100 1000000}
	POLICIES=${BENCH_SC_POLICIES:-balance-aware}
else
	LINK_COUNTS=${BENCH_SC_LINKS:-2 8 32 64}
	FLOW_COUNTS=${BENCH_SC_FLOWS:-100 10000 1000000}
	POLICIES=${BENCH_SC_POLICIES:-balance-xor balance-aware}
fi
COUNT=${BENCH_COUNT:-200000}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-1}	# warm-up rounds (0 or 1), discarded
TABLE=${BENCH_SC_TABLE:-1048576}
RES=$ZTB_OUT/results.tsv

# flow_args N: pktgen commands for a space of N flows, one a line (the
# source port is random already; ranges are [min, max) in pktgen). Source
# and destination ranges do not overlap: the flow hash is symmetric, so
# (a, b) and (b, a) would be one flow.
flow_args()
{
	case $1 in
	100)     printf '%s\n' "udp_src_min 1000" "udp_src_max 1100" ;;
	10000)   printf '%s\n' "udp_src_min 1000" "udp_src_max 1100" \
			"udp_dst_min 2000" "udp_dst_max 2100" "flag UDPDST_RND" ;;
	1000000) printf '%s\n' "udp_src_min 10000" "udp_src_max 11000" \
			"udp_dst_min 20000" "udp_dst_max 21000" "flag UDPDST_RND" ;;
	*)       return 1 ;;
	esac
}

# The veth pairs sA<i>-sB<i> (peers up) are made once; each sample makes
# the bond, enslaves the first N, and deletes the bond (which releases them).
veths_create()
{
	local i

	for ((i = 1; i <= MAXL; i++)); do
		echo "link add sA$i type veth peer name sB$i"
		echo "link set sB$i up"
	done | ip -batch -
}

veths_destroy()
{
	local i devs=()

	for ((i = 1; i <= MAXL; i++)); do devs+=("sA$i"); done
	link_del "${devs[@]}"
}

teardown()
{
	link_del dut
}

# setup POLICY NLINKS
setup()
{
	local pol=$1 n=$2 i extra=()

	[[ $pol == balance-aware ]] && extra=(flowTableSize "$TABLE")
	"$ZTBONDCTL" bond add dut policy "$pol" "${extra[@]}" || return 1
	for ((i = 1; i <= n; i++)); do
		echo "link set sA$i master dut"
		echo "link set sA$i up"
	done | ip -batch - || return 1
	ip link set dut up
}

: > "$RES"
: > "$LOG"
modprobe pktgen || { log "cannot load pktgen"; exit 1; }
MAXL=2
for n in $LINK_COUNTS; do ((n > MAXL)) && MAXL=$n; done
veths_destroy
veths_create >> "$LOG" 2>&1 || { log "cannot create $MAXL veth pairs"; exit 1; }

CONTENDERS=()
for p in $POLICIES; do
	for n in $LINK_COUNTS; do CONTENDERS+=("links:$p:$n"); done
	for n in $FLOW_COUNTS; do CONTENDERS+=("flows:$p:$n"); done
done
{
	echo "count=$COUNT"
	echo "rounds=$ROUNDS"
	echo "warmup=$WARMUP"
	echo "links=$LINK_COUNTS"
	echo "flows=$FLOW_COUNTS"
	echo "flow_table=$TABLE"
} > "$ZTB_OUT/params"

failed=0
declare -A broken=()
log "scaling: count=$COUNT, rounds=$WARMUP warm-up + $ROUNDS measured, ${#CONTENDERS[@]} contenders"
for ((r = 1 - WARMUP; r <= ROUNDS; r++)); do
	for c in "${CONTENDERS[@]}"; do
		[[ -n ${broken[$c]:-} ]] && continue
		IFS=: read -r dim pol n <<< "$c"
		if [[ $dim == links ]]; then
			nl=$n fl=10000
		else
			nl=2 fl=$n
		fi
		mapfile -t args < <(flow_args "$fl")
		teardown
		t0=$SECONDS
		if ! setup "$pol" "$nl" >> "$LOG" 2>&1; then
			log "round $r: $c: set-up FAILED"
			broken[$c]=1 failed=1
			teardown
			continue
		fi
		t1=$SECONDS
		pps=$(pktgen_run dut "$COUNT" "${args[@]}")
		t2=$SECONDS
		inflows=-
		[[ $pol == balance-aware ]] && inflows=$(ctl_json dut | jq -r '.flows // "-"')
		teardown
		if [[ -z $pps ]]; then
			log "round $r: $c: pktgen gave no result"
			broken[$c]=1 failed=1
			continue
		fi
		log "round $r: $dim $pol $n: $pps pps, flows in table $inflows (set-up $((t1 - t0)) s, run $((t2 - t1)) s, teardown $((SECONDS - t2)) s)"
		((r > 0)) && printf '%d\t%s\t%s\t%s\t%s\t%s\n' "$r" "$dim" "$pol" "$n" "$pps" "$inflows" >> "$RES"
	done
done
veths_destroy
exit "$failed"
