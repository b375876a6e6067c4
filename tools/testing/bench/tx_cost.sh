#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of "make bench" (benchmark 1, transmit cost). Runs as ZTB_SCRIPT
# under tools/testing/vm/guest-init.sh, in the guest's root namespace.
#
# For each contender, build a device "dut" whose two links are veth pairs
# (vA1-vB1, vA2-vB2, peers up; the peers drop what they receive), point
# pktgen at it and read the packets per second from pktgen's result line.
# Contenders are interleaved (A B C ... A B C); round 0 is a warm-up and is
# discarded. Every contender is set up and torn down for every measurement.
#
# Then the profile (perf does not work under TCG): for each contender
# BENCH_TX_PROFILE_ROUNDS times more, interleaved as the measured rounds,
# BENCH_TX_PROFILE_COUNT packets with ftrace's function_graph tracer on
# the device's ndo_start_xmit (veth_xmit, ztbond_xmit, bond_start_xmit,
# team_xmit) and on what every contender calls below it: __dev_queue_xmit
# (the link's transmit, veth included), __skb_flow_dissect (the flow hash),
# skb_clone and __pskb_copy_fclone (broadcast's copies). The same functions
# are traced for everyone, so the tracing overhead is alike; report.py takes from each call the time
# spent in the xmit itself (the bond's own cost: its duration minus its
# traced children), and that in units of the link's transmit in the same
# call (TCG's speed drifts between samples; the ratio does not). Then one
# more sample of each ztbond and bonding contender traces every function of
# their modules as well: which of them run per packet.
#
# Output: $ZTB_OUT/results.tsv ("round<TAB>contender<TAB>pps<TAB>received",
# the packets the veth peers received: a sanity check),
# $ZTB_OUT/contenders (the contender list, in order, with skip reasons) and
# $ZTB_OUT/profile/KIND-MODE-PASS-rROUND.trace.gz (the function_graph output;
# profile.tsv lists them with the ring buffers' overruns).
# Exit status: 0, or 1 if a contender (other than team without teamd)
# could not be set up. Speed never fails the run.
#
# Environment: ZTBONDCTL, ZTB_OUT, BENCH_COUNT (packets per measurement),
# BENCH_ROUNDS (measured rounds, after the warm-up), BENCH_WARMUP (1 warm-up
# round; QUICK 0), BENCH_PKT_SIZE, BENCH_QUICK, BENCH_TX_MODES (balance-rr
# balance-xor active-backup broadcast; QUICK balance-xor), BENCH_TX_TEAM
# (1: team in QUICK too), BENCH_TX_PROFILE (0: no profile),
# BENCH_TX_PROFILE_COUNT (packets per profiled sample; 10000, QUICK 3000),
# BENCH_TX_PROFILE_ROUNDS (3, QUICK 1; QUICK has no detail pass).

# shellcheck disable=SC2317 # setup_<kind> are called as "setup_$kind"
set -u

HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
source "$HERE/lib.sh"

COUNT=${BENCH_COUNT:-200000}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-1}	# warm-up rounds (0 or 1), discarded
PKT_SIZE=${BENCH_PKT_SIZE:-64}
RES=$ZTB_OUT/results.tsv

# Topology ------------------------------------------------------------------

# Two veth pairs, created down (bonding and team enslave only down links).
links_create()
{
	ip link add vA1 type veth peer name vB1 &&
	ip link add vA2 type veth peer name vB2 &&
	ip link set vB1 up && ip link set vB2 up
}

links_destroy()
{
	link_del vA1 vA2
}

# enslave MASTER: both links into MASTER, then up.
enslave()
{
	ip link set vA1 master "$1" && ip link set vA2 master "$1" &&
	ip link set vA1 up && ip link set vA2 up
}

# Contenders: setup_<kind> MODE creates "dut" (bare: uses vA1 as the dut).
DUT=dut

setup_veth()
{
	DUT=vA1
	ip link set vA1 up
}

setup_ztbond()
{
	local extra=()

	DUT=dut
	[[ $1 == balance-rr ]] && extra=(packetsPerLink 1)
	"$ZTBONDCTL" bond add dut policy "$1" "${extra[@]}" && enslave dut &&
	ip link set dut up
}

setup_bonding()
{
	local opts=(mode "$1" miimon 100)

	DUT=dut
	[[ $1 == balance-xor ]] && opts+=(xmit_hash_policy layer3+4)
	ip link add dut type bond "${opts[@]}" && enslave dut &&
	ip link set dut up
}

setup_team()
{
	local runner

	DUT=dut
	case $1 in
	balance-rr)    runner='{"name":"roundrobin"}' ;;
	balance-xor)   runner='{"name":"loadbalance","tx_hash":["eth","ipv4","ipv6","l4"]}' ;;
	active-backup) runner='{"name":"activebackup"}' ;;
	broadcast)     runner='{"name":"broadcast"}' ;;
	esac
	teamd -d -t dut -c "{\"device\":\"dut\",\"runner\":$runner,\"link_watch\":{\"name\":\"ethtool\"},\"ports\":{\"vA1\":{},\"vA2\":{}}}" \
		>> "$LOG" 2>&1 || return 1
	ip link set dut up || return 1
	# teamd enables the ports asynchronously; wait until both are team ports.
	local i
	for ((i = 0; i < 50; i++)); do
		[[ -e /sys/class/net/vA1/master && -e /sys/class/net/vA2/master ]] && break
		sleep 0.1
	done
	sleep 1
	[[ -e /sys/class/net/vA1/master && -e /sys/class/net/vA2/master ]]
}

# Profile -------------------------------------------------------------------

T=/sys/kernel/tracing
declare -A TOP=([veth]=veth_xmit [ztbond]=ztbond_xmit [bonding]=bond_start_xmit
		[team]=team_xmit)
# the common set: below the xmit of every contender
TRACED="__dev_queue_xmit __skb_flow_dissect skb_clone __pskb_copy_fclone"

tset()
{
	echo "$2" > "$T/$1" || { log "tracing: '$2' > $1 failed"; return 1; }
}

trace_init()
{
	[[ -e $T/trace ]] || mount -t tracefs nodev "$T" || return 1
	tset current_tracer nop && tset buffer_size_kb 16384 &&
	tset options/funcgraph-irqs 0 && tset options/funcgraph-tail 1 &&
	tset options/funcgraph-overhead 0 && tset options/funcgraph-proc 0
}

# trace_filter PASS: the functions to trace, set while no tracer runs.
# common: every contender's xmit and $TRACED; detail: also every function
# of ztbond and bonding. The tracer is switched on once per pass and the
# samples toggle only tracing_on: each switch patches the call sites of
# the traced functions in running kernel text, and under TCG another CPU
# running into a site being patched has died on its int3 (the guest
# panicked in __dev_queue_xmit in one run that switched per sample).
trace_filter()
{
	local fn m

	tset tracing_on 0 && tset current_tracer nop &&
	tset set_ftrace_filter "$TRACED" || return 1
	for fn in "${TOP[@]}"; do	# those of modules loaded by now
		echo "$fn" >> "$T/set_ftrace_filter" 2> /dev/null
	done
	if [[ $1 == detail ]]; then
		for m in ztbond bonding; do
			echo "*:mod:$m" >> "$T/set_ftrace_filter" ||
				{ log "tracing: no functions of module $m"; return 1; }
		done
	fi
	tset current_tracer function_graph
}

# profile_one KIND MODE PASS ROUND: one sample of the set-up contender,
# traced (trace_filter PASS first).
profile_one()
{
	local kind=$1 mode=$2 pass=$3 round=$4 f over

	f=$ZTB_OUT/profile/$kind-$mode-$pass-r$round.trace.gz
	tset trace "" && tset tracing_on 1 || return 1
	pktgen_run "$DUT" "$PROFILE_COUNT" > /dev/null
	tset tracing_on 0
	over=$(awk '/^overrun:/ { n += $2 } END { print n + 0 }' "$T"/per_cpu/cpu*/stats)
	# stdin: gzip given the file's name complains that its size changed
	gzip -1 < "$T/trace" > "$f" || return 1
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$mode" "$pass" "$round" "${f##*/}" \
		"$over" >> "$ZTB_OUT/profile.tsv"
	log "profile $kind:$mode $pass round $round: $(stat -c %s "$f") bytes, overrun $over"
}

# profile_sample KIND MODE PASS ROUND: set up, trace one sample, tear down.
profile_sample()
{
	local rc=0

	links_destroy
	if ! links_create || ! "setup_$1" "$2" || ! profile_one "$@"; then
		log "profile $1:$2 $3 round $4: FAILED"
		rc=1
	fi
	tset tracing_on 0 > /dev/null 2>&1
	teardown "$1"
	return "$rc"
}

teardown()
{
	local kind=$1

	case $kind in
	team)    teamd -k -t dut >> "$LOG" 2>&1; sleep 0.5 ;;
	esac
	link_del dut
	links_destroy
}

# Main ----------------------------------------------------------------------

: > "$RES"
: > "$LOG"
modprobe pktgen || { log "cannot load pktgen"; exit 1; }
modprobe bonding max_bonds=0 || { log "cannot load bonding"; exit 1; }

# QUICK: one mode (the flow hash), not four
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	read -r -a MODES <<< "${BENCH_TX_MODES:-balance-xor}"
else
	read -r -a MODES <<< "${BENCH_TX_MODES:-balance-rr balance-xor active-backup broadcast}"
fi
CONTENDERS=(veth:-)
for m in "${MODES[@]}"; do CONTENDERS+=("ztbond:$m"); done
# balance-aware (flow table, allocation) has no bonding twin: report.py
# holds it against bonding's balance-xor, the flow hash a user would pick
CONTENDERS+=(ztbond:balance-aware)
for m in "${MODES[@]}"; do CONTENDERS+=("bonding:$m"); done
if [[ ${BENCH_QUICK:-0} == 1 && ${BENCH_TX_TEAM:-0} != 1 ]]; then
	log "QUICK: team skipped (teamd is slow to set up; BENCH_TX_TEAM=1 runs it)"
	echo "team skipped: QUICK (BENCH_TX_TEAM=1 runs it)" >> "$ZTB_OUT/contenders"
elif command -v teamd > /dev/null; then
	for m in "${MODES[@]}"; do CONTENDERS+=("team:$m"); done
else
	log "teamd not installed: team skipped"
	echo "team skipped: teamd not installed" >> "$ZTB_OUT/contenders"
fi
printf '%s\n' "${CONTENDERS[@]}" >> "$ZTB_OUT/contenders"
printf 'count=%s\nrounds=%s\nwarmup=%s\npkt_size=%s\n' "$COUNT" "$ROUNDS" "$WARMUP" "$PKT_SIZE" > "$ZTB_OUT/params"

failed=0
declare -A broken=()
log "count=$COUNT pkt_size=$PKT_SIZE rounds=$WARMUP warm-up + $ROUNDS measured, ${#CONTENDERS[@]} contenders"
for ((r = 1 - WARMUP; r <= ROUNDS; r++)); do
	for c in "${CONTENDERS[@]}"; do
		[[ -n ${broken[$c]:-} ]] && continue
		kind=${c%%:*} mode=${c#*:}
		links_destroy
		if ! links_create || ! "setup_$kind" "$mode"; then
			log "round $r: $c: set-up FAILED"
			broken[$c]=1
			failed=1
			teardown "$kind"
			continue
		fi
		pps=$(pktgen_run "$DUT" "$COUNT")
		# Sanity: what reached the peers (dropped there, but counted).
		got=$(( $(cat /sys/class/net/vB1/statistics/rx_packets) +
			$(cat /sys/class/net/vB2/statistics/rx_packets) ))
		teardown "$kind"
		if [[ -z $pps ]]; then
			log "round $r: $c: pktgen gave no result"
			broken[$c]=1
			failed=1
			continue
		fi
		log "round $r: $c: $pps pps, peers received $got of $COUNT"
		((r > 0)) && printf '%d\t%s\t%s\t%s\n' "$r" "$c" "$pps" "$got" >> "$RES"
	done
done

if [[ ${BENCH_TX_PROFILE:-1} == 1 ]]; then
	PROFILE_COUNT=${BENCH_TX_PROFILE_COUNT:-10000}
	PROFILE_ROUNDS=${BENCH_TX_PROFILE_ROUNDS:-3}
	if [[ ${BENCH_QUICK:-0} == 1 ]]; then
		PROFILE_COUNT=${BENCH_TX_PROFILE_COUNT:-3000}
		PROFILE_ROUNDS=${BENCH_TX_PROFILE_ROUNDS:-1}
	fi
	printf 'profile_count=%s\nprofile_rounds=%s\n' "$PROFILE_COUNT" "$PROFILE_ROUNDS" >> "$ZTB_OUT/params"
	mkdir -p "$ZTB_OUT/profile"
	: > "$ZTB_OUT/profile.tsv"
	if ! trace_init; then
		log "profile: no function_graph tracer"
		failed=1
	else
		trace_filter common || failed=1
		for ((r = 1; r <= PROFILE_ROUNDS; r++)); do
			for c in "${CONTENDERS[@]}"; do
				[[ -n ${broken[$c]:-} ]] && continue
				profile_sample "${c%%:*}" "${c#*:}" common "$r" || failed=1
			done
		done
		# QUICK: no detail pass (14 s)
		[[ ${BENCH_QUICK:-0} == 1 ]] && CONTENDERS=()
		((${#CONTENDERS[@]})) && { trace_filter detail || failed=1; }
		for c in "${CONTENDERS[@]}"; do
			[[ -n ${broken[$c]:-} ]] && continue
			[[ $c == ztbond:* || $c == bonding:* ]] || continue
			profile_sample "${c%%:*}" "${c#*:}" detail 1 || failed=1
		done
		tset current_tracer nop
		tset set_ftrace_filter ""
	fi
fi
exit "$failed"
