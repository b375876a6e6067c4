#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of "make bench", benchmark 4: failover outage. Runs under
# tools/testing/vm/guest-init.sh (via guest.sh), in the guest's root
# namespace.
#
# Two namespaces, A and B, joined by two veth pairs a1-b1 and a2-b2; the
# same kind of bond on both ends (10.0.0.1 in A, 10.0.0.2 in B), link 1
# primary on both (bonding's ARP monitor may settle on link 2; then link 2
# is the one that breaks). udpseq.py sends a UDP datagram with a sequence
# number and its send time every BENCH_FO_INTERVAL (0.01) s from A to B;
# once it flows for 1 s, the active link breaks on B's side:
#
#   down       ip link set b1 down: A's a1 loses carrier
#   blackhole  b1 drops everything, both ways (tc ingress matchall drop,
#              root netem loss 100%), carrier stays up on both ends
#
# The outage is the longest run of lost datagrams (never received, or more
# than 1 s late) that ends after the event, as time (see udpseq.py). The
# trial ends once the stream has run without a loss for BENCH_FO_SETTLE
# (2, QUICK 1) s, or BENCH_FO_MAX_AFTER (8) s after the event: a contender
# still broken then did not fail over, and its outage is only bounded by
# the trial. One "udpseq.py serve" (Python starts slowly under TCG) runs
# every trial's stream; it makes its sockets in A and B with setns().
#
# Contenders:
#   ztbond-fi250    ztbond active-backup, failoverInterval 250
#   ztbond-default  ztbond active-backup, default failoverInterval (5000)
#   bonding-miimon  bonding active-backup, miimon 100
#   bonding-arp     bonding active-backup, arp_interval 100,
#                   arp_ip_target the other end
# ztbond detects a blackhole only between two ztbonds (HELLO/PROBE on every
# link), hence ztbond on both ends; for fairness bonding is on both ends too.
# Every trial builds everything from scratch. Trials are interleaved
# (round 1: every contender and event, round 2: ...), BENCH_FO_TRIALS
# (3, QUICK 1) rounds. QUICK runs only ztbond-fi250 and bonding-arp, only
# blackhole (the event with the target).
#
# Output: $ZTB_OUT/results.jsonl (one JSON object a trial: outage, lost,
# late, the active links after it, how long the event's command took),
# trials/ (raw stream, ztbond state after the trial), contenders, params.
# Exit status 0, or 1 if a contender could not be set up; speed never fails.
#
# Environment: ZTBONDCTL, ZTB_OUT, BENCH_QUICK, BENCH_FO_TRIALS,
# BENCH_FO_INTERVAL (s), BENCH_FO_MAX_AFTER (s), BENCH_FO_SETTLE (s),
# BENCH_FO_CONTENDERS, BENCH_FO_EVENTS.

set -uo pipefail

HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
source "$HERE/lib.sh"

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	TRIALS=${BENCH_FO_TRIALS:-1} SETTLE=${BENCH_FO_SETTLE:-1}
	CONT=${BENCH_FO_CONTENDERS:-ztbond-fi250 bonding-arp}
	EV=${BENCH_FO_EVENTS:-blackhole}
else
	TRIALS=${BENCH_FO_TRIALS:-3} SETTLE=${BENCH_FO_SETTLE:-2}
	CONT=${BENCH_FO_CONTENDERS:-ztbond-fi250 ztbond-default bonding-miimon bonding-arp}
	EV=${BENCH_FO_EVENTS:-down blackhole}
fi
INTERVAL=${BENCH_FO_INTERVAL:-0.01}
MAX_AFTER=${BENCH_FO_MAX_AFTER:-8}
read -r -a CONTENDERS <<< "$CONT"
read -r -a EVENTS <<< "$EV"
NSA=bfo-a NSB=bfo-b
BREAK=b1
PORT=5001
UDPSEQ=$HERE/udpseq.py
RES=$ZTB_OUT/results.jsonl

# Topology -------------------------------------------------------------------

topo_create()
{
	ip netns add "$NSA" && ip netns add "$NSB" &&
	ip -n "$NSA" link set lo up && ip -n "$NSB" link set lo up &&
	ip link add a1 netns "$NSA" type veth peer name b1 netns "$NSB" &&
	ip link add a2 netns "$NSA" type veth peer name b2 netns "$NSB"
}

topo_destroy()
{
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	# a namespace goes away asynchronously; its devices with it
	local i

	for ((i = 0; i < 100; i++)); do
		[[ -e /run/netns/$NSA || -e /run/netns/$NSB ]] || break
		sleep 0.1
	done
}

# addr NS IP: address the bond and bring it up
addr()
{
	ip -n "$1" addr add "$2/24" dev zb0 && ip -n "$1" link set zb0 up
}

# side_ztbond NS L1 L2 IP [KEY VALUE...]
side_ztbond()
{
	local ns=$1 l1=$2 l2=$3 ip=$4; shift 4

	ip netns exec "$ns" "$ZTBONDCTL" bond add zb0 policy active-backup "$@" &&
	ip -n "$ns" link set "$l1" master zb0 && ip -n "$ns" link set "$l2" master zb0 &&
	ip -n "$ns" link set "$l1" up && ip -n "$ns" link set "$l2" up &&
	ip netns exec "$ns" "$ZTBONDCTL" link set zb0 "$l1" mode primary &&
	addr "$ns" "$ip"
}

# side_bonding NS L1 L2 IP [OPTION VALUE...]
side_bonding()
{
	local ns=$1 l1=$2 l2=$3 ip=$4; shift 4

	ip -n "$ns" link add zb0 type bond mode active-backup "$@" &&
	ip -n "$ns" link set "$l1" master zb0 && ip -n "$ns" link set "$l2" master zb0 &&
	ip -n "$ns" link set zb0 type bond primary "$l1" &&
	addr "$ns" "$ip"
}

setup()
{
	local c=$1

	topo_create || return 1
	case $c in
	ztbond-fi250)
		side_ztbond "$NSA" a1 a2 10.0.0.1 failoverInterval 250 &&
		side_ztbond "$NSB" b1 b2 10.0.0.2 failoverInterval 250 ;;
	ztbond-default)
		side_ztbond "$NSA" a1 a2 10.0.0.1 &&
		side_ztbond "$NSB" b1 b2 10.0.0.2 ;;
	bonding-miimon)
		side_bonding "$NSA" a1 a2 10.0.0.1 miimon 100 &&
		side_bonding "$NSB" b1 b2 10.0.0.2 miimon 100 ;;
	bonding-arp)
		side_bonding "$NSA" a1 a2 10.0.0.1 arp_interval 100 arp_ip_target 10.0.0.2 &&
		side_bonding "$NSB" b1 b2 10.0.0.2 arp_interval 100 arp_ip_target 10.0.0.1 ;;
	*)
		log "unknown contender $c"; return 1 ;;
	esac
}

# Readiness ------------------------------------------------------------------

# zt_state NS: "ACTIVE_LINK LINKS_WITH_A_PROBED_PATH" of NS's ztbond (a
# blackhole is detected only against a live path on the other link).
zt_state()
{
	ip netns exec "$1" "$ZTBONDCTL" bond show zb0 --json | jq -r '
		"\(.active_link // "none") \([.links[] | select((.paths // 0) >= 1 and (.probes // 0) >= 1)] | length)"'
}

active_of()
{
	local ns=$1 kind

	kind=$(ip -n "$ns" -j -d link show zb0 2>/dev/null | jq -r '.[0].linkinfo.info_kind // ""')
	if [[ $kind == bond ]]; then
		ip -n "$ns" -j -d link show zb0 | jq -r '.[0].linkinfo.info_data.active_slave // "none"'
	else
		read -r kind _ < <(zt_state "$ns")
		echo "${kind:-none}"
	fi
}

# ready CONTENDER: A and B are active on the same veth pair (the primaries;
# bonding's ARP monitor between two bonds may settle on the other pair),
# ztbond's links have probed paths; sets BREAK, B's end of that pair.
ready()
{
	local c=$1 a b pa pb

	if [[ $c == ztbond-* ]]; then
		read -r a pa < <(zt_state "$NSA")
		read -r b pb < <(zt_state "$NSB")
		[[ ${pa:-0} == 2 && ${pb:-0} == 2 ]] || return 1
	else
		a=$(active_of "$NSA") b=$(active_of "$NSB")
	fi
	[[ $a == a[12] && $b == "b${a#a}" ]] || return 1
	BREAK=$b
}

wait_ready()
{
	local c=$1 i

	for ((i = 0; i < 60; i++)); do
		ready "$c" && return 0
		sleep 0.5
	done
	return 1
}

# Events ---------------------------------------------------------------------

# break_link EVENT DEV: break B's end DEV of the active pair.
break_link()
{
	case $1 in
	down)
		ip -n "$NSB" link set "$2" down ;;
	blackhole)
		tc -n "$NSB" -batch - <<-EOF
			qdisc add dev $2 clsact
			filter add dev $2 ingress matchall action drop
			qdisc add dev $2 root netem loss 100%
		EOF
		;;
	esac
}

# Trial ----------------------------------------------------------------------

# shellcheck disable=SC2317 # called by the EXIT trap
stop_server()
{
	echo quit >&"$CTL"
	wait "$SERVER"
}

# wait_file FILE SECONDS
wait_file()
{
	local i

	for ((i = 0; i < $2 * 10; i++)); do
		[[ -e $1 ]] && return 0
		sleep 0.1
	done
	return 1
}

# trial ROUND CONTENDER EVENT: appends a JSON line to $RES; 1 if set-up failed.
trial()
{
	local r=$1 c=$2 ev=$3 d t0 t1 i line res ns
	local ts=$SECONDS tsu tre tst

	d=$ZTB_OUT/trials/r$r-$c-$ev
	mkdir -p "$d"
	topo_destroy
	tsu=$SECONDS
	if ! setup "$c" >> "$LOG" 2>&1; then
		log "round $r: $c: set-up FAILED"
		topo_destroy
		return 1
	fi
	if ! wait_ready "$c"; then
		log "round $r: $c: not ready after 30 s (active $(active_of "$NSA")/$(active_of "$NSB"))"
		ip netns exec "$NSA" "$ZTBONDCTL" bond show zb0 --json > "$d/show-a.json" 2>&1
		topo_destroy
		return 1
	fi
	tre=$SECONDS

	echo "trial $d $NSA $NSB 10.0.0.2 $PORT $INTERVAL $SETTLE $MAX_AFTER" >&"$CTL"
	for ((i = 0; i < 150; i++)); do [[ -e $d/recv.flowing ]] && break; sleep 0.1; done
	if [[ ! -e $d/recv.flowing ]]; then
		log "round $r: $c: the UDP stream does not reach B"
		echo "$EPOCHREALTIME $EPOCHREALTIME" > "$d/event"
		wait_file "$d/done" $((MAX_AFTER + 60))
		topo_destroy
		return 1
	fi
	sleep 1
	tst=$SECONDS

	t0=$EPOCHREALTIME
	break_link "$ev" "$BREAK" >> "$LOG" 2>&1 || log "round $r: $c: $ev: the event command failed"
	t1=$EPOCHREALTIME
	echo "$t0 $t1" > "$d/event"

	wait_file "$d/done" $((MAX_AFTER + 60)) ||
		log "round $r: $c: $ev: udpseq.py did not finish the trial"
	for ns in "$NSA" "$NSB"; do
		[[ $c == ztbond-* ]] &&
			ip netns exec "$ns" "$ZTBONDCTL" bond show zb0 --json > "$d/show-$ns.json" 2>&1
	done
	res=$(cat "$d/result.json" 2>/dev/null)
	[[ -n $res ]] || res='{"error": "no result from udpseq.py"}'
	line=$(jq -c --argjson r "$r" --arg c "$c" --arg e "$ev" --arg b "$BREAK" \
		--arg aa "$(active_of "$NSA")" --arg ab "$(active_of "$NSB")" \
		--argjson cmd "$(( (${t1/./} - ${t0/./}) / 1000 ))" \
		'{round: $r, contender: $c, event: $e, broken: $b, event_cmd_ms: $cmd,
		  active_after: ($aa + "/" + $ab)} + .' <<< "$res")
	echo "$line" >> "$RES"
	log "round $r: $c $ev: $(jq -r '"outage \(.outage_ms) ms, lost \(.lost_after_event), recovered \(.recovered), active \(.active_after)"' <<< "$line")"
	topo_destroy
	log "    seconds: teardown $((tsu - ts)), set-up $((tre - tsu)), stream start $((tst - tre)), trial $((SECONDS - tst)), total $((SECONDS - ts))"
	return 0
}

# Main -----------------------------------------------------------------------

: > "$RES"
: > "$LOG"
modprobe bonding max_bonds=0 || { log "cannot load bonding"; exit 1; }
mkdir -p "$ZTB_OUT/trials"
printf '%s\n' "${CONTENDERS[@]}" > "$ZTB_OUT/contenders"
{
	echo "trials=$TRIALS"
	echo "interval_s=$INTERVAL"
	echo "max_after_s=$MAX_AFTER"
	echo "settle_s=$SETTLE"
	echo "events=${EVENTS[*]}"
} > "$ZTB_OUT/params"

# One Python for the whole run (it starts slowly under TCG): udpseq.py
# serve runs each trial's stream on request (sockets made in A and B).
# (The FIFO lives on the guest's tmpfs: 9p cannot hold one.)
FIFO=$(mktemp -u /tmp/udpseq.XXXXXX)
mkfifo "$FIFO" || exit 1
python3 "$UDPSEQ" serve --ctl "$FIFO" >> "$LOG" 2>&1 &
SERVER=$!
exec {CTL}<> "$FIFO"
trap 'stop_server; topo_destroy; rm -f "$FIFO"' EXIT

failed=0
declare -A broken=()
log "failover: ${#CONTENDERS[@]} contenders x ${#EVENTS[@]} events x $TRIALS trial(s), stream every ${INTERVAL}s, trial ends ${SETTLE}s after recovery or ${MAX_AFTER}s after the event"
for ((r = 1; r <= TRIALS; r++)); do
	for c in "${CONTENDERS[@]}"; do
		for ev in "${EVENTS[@]}"; do
			[[ -n ${broken[$c]:-} ]] && continue
			if ! trial "$r" "$c" "$ev"; then
				broken[$c]=1
				failed=1
			fi
		done
	done
done
exit "$failed"
