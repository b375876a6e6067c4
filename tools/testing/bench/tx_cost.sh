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
# Output: $ZTB_OUT/results.tsv ("round<TAB>contender<TAB>pps<TAB>received",
# the packets the veth peers received: a sanity check) and
# $ZTB_OUT/contenders (the contender list, in order, with skip reasons).
# Exit status: 0, or 1 if a contender (other than team without teamd)
# could not be set up. Speed never fails the run.
#
# Environment: ZTBONDCTL, ZTB_OUT, BENCH_COUNT (packets per measurement),
# BENCH_ROUNDS (measured rounds, after the warm-up), BENCH_WARMUP (1 warm-up
# round; QUICK 0), BENCH_PKT_SIZE, BENCH_QUICK, BENCH_TX_MODES (balance-rr
# balance-xor active-backup broadcast; QUICK balance-xor), BENCH_TX_TEAM
# (1: team in QUICK too).

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
exit "$failed"
