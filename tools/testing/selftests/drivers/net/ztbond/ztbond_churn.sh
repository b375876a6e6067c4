#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Churn under load (issue "Hardening"):
#   - link_churn: while pktgen sends through A's bond (at full rate in a
#     stress run) and a flood ping crosses the bonds, one link of each bond
#     is deleted (from either end of the veth), re-created and enslaved
#     again -- through ztbondctl and through "ip link set master", released
#     first or not -- LINK_CYCLES times;
#   - tap_owner_exits: under the same load, a tap whose owner process
#     (python3, TUNSETIFF without TUNSETPERSIST) is killed or exits while
#     enslaved and carrying part of the bond's traffic vanishes from the
#     bond, TAP_CYCLES times;
#   - module_churn: MODULE_CYCLES times: load the module (modprobe, or
#     autoload through "ip link add" or through ztbondctl's family lookup),
#     create both bonds, enslave, carry traffic, unload (with the flood
#     still running, or after deleting the bonds);
#   - afterwards: no kernel splat (no "unregister_netdevice: waiting"), the
#     module's reference count is 0, no device is left behind, and the bond
#     forwards without loss.
#
# Cycle counts: ZTBOND_LINK_CYCLES, ZTBOND_TAP_CYCLES, ZTBOND_MODULE_CYCLES;
# defaults 30/3/5 with the flood paced to 500 packets/s, and 1000/100/100
# with an unpaced flood with ZTBOND_STRESS=1 ("make stress");
# ZTBOND_FLOOD_INTERVAL sets the ping's pace (0: none), ZTBOND_PKTGEN_PPS
# pktgen's (default 2000, 0 in a stress run: full rate).

ALL_TESTS="
	link_churn
	tap_owner_exits
	module_churn
	after_churn
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

if [[ -n ${ZTBOND_STRESS:-} ]]; then
	: "${ZTBOND_LINK_CYCLES:=1000}" "${ZTBOND_TAP_CYCLES:=100}" "${ZTBOND_MODULE_CYCLES:=100}"
	FLOOD_INTERVAL=${ZTBOND_FLOOD_INTERVAL:-0}
	PKTGEN_PPS=${ZTBOND_PKTGEN_PPS:-0}
else
	: "${ZTBOND_LINK_CYCLES:=30}" "${ZTBOND_TAP_CYCLES:=3}" "${ZTBOND_MODULE_CYCLES:=5}"
	FLOOD_INTERVAL=${ZTBOND_FLOOD_INTERVAL:-0.002}
	PKTGEN_PPS=${ZTBOND_PKTGEN_PPS:-2000}
fi

FLOOD_PIDS=()
PG_PID=
TAP_PID=
TMPD=
BAD_RE='Oops|WARNING:|BUG:|kernel BUG at|Call Trace|refcount_t|unregister_netdevice: waiting|general protection'
BAD_START=0

# Kernel splats since the test started. Thousands of "link added" lines
# can wrap the kernel log, so count the bad lines rather than skip a
# number of lines.
bad_count()
{
	dmesg | grep -cE "$BAD_RE"
}

new_splats()
{
	(($(bad_count) > BAD_START))
}

show_splats()
{
	dmesg | grep -E "$BAD_RE" | tail -n 3
}

# ztbondctl in NS's network namespace, without "ip netns exec"'s mount
# namespace and sysfs remount (much cheaper under TCG)
nsctl()
{
	local ns=$1; shift

	nsenter --net="/run/netns/$ns" "$ZTBONDCTL" "$@"
}

# The flood: ping -f, paced to one packet every ZTBOND_FLOOD_INTERVAL s
# (0.002 by default: under TCG an unpaced flood takes both vCPUs and the
# churn crawls; ZTBOND_FLOOD_INTERVAL=0 or a stress run does not pace it).
flood_start()
{
	local pace=()

	[[ $FLOOD_INTERVAL != 0 ]] && pace=(-i "$FLOOD_INTERVAL")
	ip netns exec "$NS_A" ping -f "${pace[@]}" -q -s 600 10.0.0.2 >/dev/null 2>&1 &
	FLOOD_PIDS+=($!)
}

flood_stop()
{
	local p

	for p in "${FLOOD_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	FLOOD_PIDS=()
}

# pktgen_sent: packets pktgen has sent through A's zb0 so far
pktgen_sent()
{
	ip netns exec "$NS_A" awk '/pkts-sofar:/ { print $2 }' /proc/net/pktgen/zb0 2>/dev/null
}

# pktgen in A's namespace sends UDP from A's zb0 to B's bond without end,
# PKTGEN_PPS packets a second (0: as fast as it can). The bond stays up
# throughout the churn: pktgen would stop for good on a carrier loss.
pktgen_start()
{
	local mac rate="delay 0"

	((PKTGEN_PPS)) && rate="ratep $PKTGEN_PPS"
	mac=$(ip -n "$NS_B" -j link show zb0 | jq -r '.[0].address')
	ztb_pktgen "$NS_A" zb0 "count 0" "clone_skb 0" "pkt_size 600" \
		"dst_mac $mac" "dst 10.0.0.2" "src_min 10.0.0.1" "src_max 10.0.0.1" \
		"udp_src_min 9" "udp_src_max 1000" "udp_dst_min 9" "udp_dst_max 9" \
		"$rate" || return 1
	# "start" returns when pktgen stops: keep it in the background
	ip netns exec "$NS_A" sh -c 'echo start > /proc/net/pktgen/pgctrl' &
	PG_PID=$!
	slowwait 20 pktgen_moving
}

pktgen_moving()
{
	local n

	n=$(pktgen_sent)
	((${n:-0} > 0))
}

# pktgen_check WHEN: pktgen has sent through the bond since it started and
# still sends: it stops for good if the bond loses its carrier or device
pktgen_check()
{
	local n0 n1

	n0=$(pktgen_sent)
	sleep 1
	n1=$(pktgen_sent)
	echo "# pktgen: ${n1:-0} packets $1, ${PKTGEN_PPS:-0} pps asked (0: full rate), $((${n1:-0} - ${n0:-0})) in the last second"
	((${n1:-0} > ${n0:-0} && ${n1:-0} > 100))
	check_err $? "pktgen stopped sending through the bond $1 (sent ${n1:-0})"
}

pktgen_stop()
{
	[[ -n $PG_PID ]] || return 0
	ip netns exec "$NS_A" sh -c 'echo stop > /proc/net/pktgen/pgctrl'
	wait "$PG_PID" 2>/dev/null
	PG_PID=
	ztb_pktgen_clear "$NS_A"
}

# load_start, load_stop: pktgen and the flood ping
load_start()
{
	local rc=0

	pktgen_start || rc=1
	flood_start
	return $rc
}

load_stop()
{
	pktgen_stop
	flood_stop
}

# links NS: the links of NS's zb0, sorted, on one line
links()
{
	nsctl "$1" --json bond show zb0 2>/dev/null | jq -r '[.links[].name] | sort | join(" ")'
}

topo()
{
	ztb_topo_create balance-rr 2 || return 1
	ztb_ctl "$NS_A" bond set zb0 packetsPerLink 1 punishBase 0 &&
	ztb_ctl "$NS_B" bond set zb0 packetsPerLink 1 punishBase 0 &&
	ztb_wait_ping "$NS_A" 10.0.0.2 20
}

# enslave HOW NS DEV: HOW is ctl (ztbondctl link add) or ip (ip link set master)
enslave()
{
	if [[ $1 == ctl ]]; then
		nsctl "$2" link add zb0 "$3"
	else
		ip -n "$2" link set "$3" master zb0
	fi
}

link_churn()
{
	local i fails=0 rx0 rx1 t0 how_a how_b ndev0 ndev1

	RET=0
	ndev0=$(ip -n "$NS_A" -o link show | wc -l)
	rx0=$(ztb_stat "$NS_A" zb0 rx_packets)
	load_start
	check_err $? "pktgen did not start"
	t0=$SECONDS
	for ((i = 0; i < ZTBOND_LINK_CYCLES; i++)); do
		case $((i % 4)) in
		0)	ip -n "$NS_A" link del a2
			how_a=ctl how_b=ctl ;;
		1)	ip -n "$NS_B" link del b2
			how_a=ip how_b=ip ;;
		2)	nsctl "$NS_A" link del zb0 a2
			ip -n "$NS_A" link del a2
			how_a=ctl how_b=ip ;;
		3)	ip -n "$NS_A" link set a2 nomaster
			ip -n "$NS_B" link set b2 nomaster
			ip -n "$NS_B" link del b2
			how_a=ip how_b=ctl ;;
		esac
		if ! ip link add a2 netns "$NS_A" type veth peer name b2 netns "$NS_B" ||
		   ! enslave "$how_a" "$NS_A" a2 || ! enslave "$how_b" "$NS_B" b2; then
			fails=$((fails + 1))
			echo "# cycle $i ($how_a/$how_b) failed"
			((fails > 5)) && break
		fi
		if ((i % 100 == 99)); then
			echo "# $((i + 1)) link cycles, $((SECONDS - t0)) s"
			new_splats && break
		fi
	done
	echo "# $i link cycles in $((SECONDS - t0)) s"
	rx1=$(ztb_stat "$NS_A" zb0 rx_packets)
	pktgen_check "during the link churn"
	load_stop
	((fails == 0))
	check_err $? "$fails cycles failed"
	((rx1 - rx0 > ZTBOND_LINK_CYCLES))
	check_err $? "the floods hardly crossed the bond during the churn ($((rx1 - rx0)) packets)"
	[[ $(links "$NS_A") == "a1 a2" && $(links "$NS_B") == "b1 b2" ]]
	check_err $? "links after the churn: A: $(links "$NS_A"), B: $(links "$NS_B")"
	ndev1=$(ip -n "$NS_A" -o link show | wc -l)
	((ndev0 == ndev1))
	check_err $? "$ndev0 devices before the churn, $ndev1 after"
	ztb_wait_ping "$NS_A" 10.0.0.2 20 && ztb_ping "$NS_A" 10.0.0.2 10
	check_err $? "the bond does not forward after the churn"
	! new_splats
	check_err $? "kernel splat: $(show_splats)"
	log_test "$i link cycles (delete, re-create, re-enslave) under pktgen and flood ping"
}

# A ZeroTier tap: TUNSETIFF without TUNSETPERSIST, gone when its owner is.
TAP_PY='
import fcntl, os, signal, struct, sys, time
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", sys.argv[1].encode(), 0x0002 | 0x1000))
signal.signal(signal.SIGTERM, lambda s, f: sys.exit(0))
print("ready", flush=True)
while True:
	time.sleep(3600)
'

tap_gone()
{
	! ip -n "$NS_A" link show ztt0 >/dev/null 2>&1 &&
		[[ $(links "$NS_A") == "a1 a2" ]]
}

tap_owner_exits()
{
	local i fails=0 t0 sig

	RET=0
	modprobe -q tun
	load_start
	check_err $? "pktgen did not start"
	t0=$SECONDS
	for ((i = 0; i < ZTBOND_TAP_CYCLES; i++)); do
		ip netns exec "$NS_A" python3 -c "$TAP_PY" ztt0 > "$TMPD/tap" 2>&1 &
		TAP_PID=$!
		if ! slowwait 20 grep -q ready "$TMPD/tap"; then
			echo "# tap owner did not start: $(cat "$TMPD/tap")"
			fails=$((fails + 1))
			break
		fi
		ip -n "$NS_A" link set ztt0 up
		enslave "$( ((i % 2)) && echo ip || echo ctl)" "$NS_A" ztt0
		if [[ $(links "$NS_A") != "a1 a2 ztt0" ]]; then
			echo "# cycle $i: links $(links "$NS_A")"
			fails=$((fails + 1))
		fi
		# let the bond put some of the flood into the tap's queue
		sleep 0.2
		sig=$( ((i % 2)) && echo TERM || echo KILL)
		kill -"$sig" "$TAP_PID"
		wait "$TAP_PID" 2>/dev/null
		TAP_PID=
		if ! slowwait 10 tap_gone; then
			echo "# cycle $i (SIG$sig): the tap is still there: $(links "$NS_A")"
			fails=$((fails + 1))
			break
		fi
	done
	echo "# $i tap cycles in $((SECONDS - t0)) s"
	pktgen_check "during the tap cycles"
	load_stop
	((fails == 0))
	check_err $? "$fails tap cycles failed"
	ztb_wait_ping "$NS_A" 10.0.0.2 20 && ztb_ping "$NS_A" 10.0.0.2 10
	check_err $? "the bond does not forward after the taps"
	! new_splats
	check_err $? "kernel splat: $(show_splats)"
	log_test "$i enslaved taps whose owner process exits (SIGKILL, SIGTERM) under pktgen and flood ping"
}


module_load()
{
	modprobe ztbond 2>/dev/null ||
		{ [[ -n ${ZTBOND_KO:-} && -f $ZTBOND_KO ]] && insmod "$ZTBOND_KO"; }
}

# One module cycle: load (three ways), bonds, traffic, unload.
module_cycle()
{
	local i=$1 ns l

	case $((i % 3)) in
	0)	module_load || { echo "# cycle $i: modprobe failed"; return 1; } ;;
	1)	;;	# "ip link add type ztbond" below autoloads
	2)	;;	# ztbondctl's family lookup autoloads
	esac
	for ns in "$NS_A" "$NS_B"; do
		if ((i % 3 == 2)); then
			nsctl "$ns" bond add zb0 policy balance-rr packetsPerLink 1 ||
				{ echo "# cycle $i: bond add (autoload) failed"; return 1; }
		else
			ip -n "$ns" link add zb0 type ztbond ||
				{ echo "# cycle $i: ip link add failed"; return 1; }
			nsctl "$ns" bond set zb0 policy balance-rr packetsPerLink 1 || return 1
		fi
	done
	ztb_enslave "$NS_A" zb0 a1 a2 && ztb_enslave "$NS_B" zb0 b1 b2 &&
	ip -n "$NS_A" addr add 10.0.0.1/24 dev zb0 &&
	ip -n "$NS_B" addr add 10.0.0.2/24 dev zb0 &&
	ip -n "$NS_A" link set zb0 up && ip -n "$NS_B" link set zb0 up ||
		{ echo "# cycle $i: bond set-up failed"; return 1; }
	ztb_wait_ping "$NS_A" 10.0.0.2 10 ||
		{ echo "# cycle $i: no ping"; return 1; }
	flood_start
	sleep 0.5
	if ((i % 2)); then
		nsctl "$NS_A" bond del zb0 && ip -n "$NS_B" link del zb0 ||
			{ echo "# cycle $i: bond del failed"; flood_stop; return 1; }
		flood_stop
	fi
	# unload with the flood still running (even cycles) or stopped
	timeout 120 modprobe -r ztbond ||
		{ echo "# cycle $i: modprobe -r failed"; flood_stop; return 1; }
	flood_stop
	[[ ! -d /sys/module/ztbond ]] ||
		{ echo "# cycle $i: still loaded"; return 1; }
	for l in a1 a2; do
		ip -n "$NS_A" link show "$l" | grep -q master &&
			{ echo "# cycle $i: $l still has a master"; return 1; }
	done
	for l in b1 b2; do
		ip -n "$NS_B" link show "$l" | grep -q master &&
			{ echo "# cycle $i: $l still has a master"; return 1; }
	done
	return 0
}

module_churn()
{
	local i t0

	RET=0
	if [[ -n $(ztb_other_bonds) ]]; then
		log_test_skip "module load/unload cycles" "other ztbond devices exist"
		return
	fi
	if ! modprobe -n -q ztbond 2>/dev/null; then
		log_test_skip "module load/unload cycles" "ztbond not in modules.dep (no autoload)"
		return
	fi
	timeout 120 modprobe -r ztbond
	check_err $? "first unload failed"
	t0=$SECONDS
	for ((i = 0; i < ZTBOND_MODULE_CYCLES && RET == 0; i++)); do
		module_cycle "$i"
		check_err $? "module cycle $i failed"
		if ((i < 3 || i % 10 == 9)); then
			echo "# $((i + 1)) module cycles, $((SECONDS - t0)) s"
			new_splats && break
		fi
	done
	echo "# $i module cycles in $((SECONDS - t0)) s"
	module_load
	check_err $? "the module does not load after the cycles"
	! new_splats
	check_err $? "kernel splat: $(show_splats)"
	log_test "$i module cycles: load (3 ways), bonds, traffic, unload"
}

after_churn()
{
	local rc

	RET=0
	[[ -d /sys/module/ztbond ]] || module_load
	ztb_topo_destroy
	topo
	check_err $? "the standard topology does not forward after the churn"
	ztb_ping "$NS_A" 10.0.0.2 20
	check_err $? "ping through the bond loses packets"
	ztb_topo_destroy
	rc=$(cat /sys/module/ztbond/refcnt 2>/dev/null)
	[[ $rc == 0 ]]
	check_err $? "ztbond's reference count is ${rc:-?}, not 0"
	! new_splats
	check_err $? "kernel splat: $(show_splats)"
	log_test "after the churn: bond forwards, module refcount 0, no splat"
}

cleanup()
{
	load_stop
	[[ -n $TAP_PID ]] && kill -9 "$TAP_PID" 2>/dev/null
	[[ -n $TMPD ]] && rm -rf "$TMPD"
	ztb_cleanup
	[[ -d /sys/module/ztbond ]] || module_load
}

ztb_require_root
ztb_require_module
ztb_require_ctl
ztb_require_cmd jq python3 ping nsenter
modprobe -q pktgen
[[ -d /proc/net/pktgen ]] || ztb_skip "no pktgen"
trap cleanup EXIT
BAD_START=$(bad_count)
TMPD=$(mktemp -d)
echo "# cycles: $ZTBOND_LINK_CYCLES link, $ZTBOND_TAP_CYCLES tap, $ZTBOND_MODULE_CYCLES module, flood interval $FLOOD_INTERVAL s, pktgen $PKTGEN_PPS pps (0: full rate)${ZTBOND_STRESS:+ (stress)}"
topo || ztb_skip "topology set-up failed"
tests_run
ztb_exit
