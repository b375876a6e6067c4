#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# balance-aware: allocation from speed, from alloc and automatic (measured
# quality and capacity), on links shaped 8/4/2 Mbit/s with tbf (A -> B);
# iperf3 with 8 TCP streams uses the sum of the links; flow-static moves no
# flow while the links are healthy and, when a link fails, only that
# link's flows; flow-dynamic moves flows back to a returning link; idle
# flows leave the table after flowExpiry; the packet balancePolicy spreads
# by share.

ALL_TESTS="
	alloc_from_speed
	alloc_explicit
	alloc_automatic
	flow_static_failure
	flow_dynamic_rebalance
	flow_idle_expiry
	packet_mode
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

RATES=(8 4 2)	# Mbit/s of a1, a2, a3

# topo [bond KEY VALUE...]: three links, A's shaped 8/4/2 Mbit/s.
topo()
{
	local i

	ztb_topo_destroy
	ztb_topo_create "" 3 || return 1
	for i in 0 1 2; do
		tc -n "$NS_A" qdisc add dev "a$((i + 1))" root tbf \
			rate "${RATES[i]}mbit" burst 16kb latency 50ms || return 1
	done
	ztb_ctl "$NS_A" bond set zb0 policy balance-aware "$@" &&
	ztb_ctl "$NS_B" bond set zb0 policy balance-aware "$@" &&
	ztb_wait_ping "$NS_A" 10.0.0.2 20
}

# iperf_tcp SECONDS STREAMS: sets MBIT (received) and SHARES, the per-link
# byte shares from ztbond's data counters of A's links.
iperf_tcp()
{
	local secs=$1 streams=$2 b0 b1 b2 d0 d1 d2 tot

	ztb_iperf_server "$NS_B" 10.0.0.2 5202 "$secs"
	b0=$(ztb_data_stat "$NS_A" a1 tx_bytes)
	b1=$(ztb_data_stat "$NS_A" a2 tx_bytes)
	b2=$(ztb_data_stat "$NS_A" a3 tx_bytes)
	MBIT=$(ip netns exec "$NS_A" timeout $((secs + 30)) iperf3 -c 10.0.0.2 -p 5202 \
		-t "$secs" -P "$streams" -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second / 1000000')
	wait
	d0=$(( $(ztb_data_stat "$NS_A" a1 tx_bytes) - b0 ))
	d1=$(( $(ztb_data_stat "$NS_A" a2 tx_bytes) - b1 ))
	d2=$(( $(ztb_data_stat "$NS_A" a3 tx_bytes) - b2 ))
	tot=$((d0 + d1 + d2))
	((tot > 0)) || tot=1
	SHARES=$(awk -v a="$d0" -v b="$d1" -v c="$d2" -v t="$tot" \
		'BEGIN { printf "%.3f %.3f %.3f", a / t, b / t, c / t }')
	: "${MBIT:=0}"
}

# check_split WHAT: measured shares within 0.1 of 4:2:1 and at least
# 85% of the 14 Mbit/s sum (11.9), well above the fastest link alone (8):
# the links are aggregated. tbf is the limit, not the CPU: 13.4 Mbit/s
# (96%) on 6.1 under TCG. (With another TCG guest on the same two CPUs,
# 8 TCP streams reached only 10.9-11.7: run one VM at a time.)
check_split()
{
	local what=$1 mbit s

	iperf_tcp 12 8
	mbit=$MBIT
	read -r -a s <<< "$SHARES"
	echo "    $what: $mbit Mbit/s, traffic shares ${s[*]} (target 0.571 0.286 0.143)"
	ztb_fcmp "$mbit" ">=" 11.9
	check_err $? "$what: $mbit Mbit/s is under 85% of 14"
	ztb_fcmp "${s[0]}" ">=" 0.471 && ztb_fcmp "${s[0]}" "<=" 0.671 &&
	ztb_fcmp "${s[1]}" ">=" 0.186 && ztb_fcmp "${s[1]}" "<=" 0.386 &&
	ztb_fcmp "${s[2]}" ">=" 0.043 && ztb_fcmp "${s[2]}" "<=" 0.243
	check_err $? "$what: shares ${s[*]} not within 0.1 of 4:2:1; links $(ztb_ctl "$NS_A" --json bond show zb0 | jq -c '[.links[] | [.name, .state, .failures, .flows]]') flow_moves $(ztb_bond_field "$NS_A" flow_moves)"
}

alloc_from_speed()
{
	local i

	RET=0
	topo || { check_err 1 "set-up failed"; log_test "allocation from speed"; return; }
	for i in 0 1 2; do
		ztb_ctl "$NS_A" link set zb0 "a$((i + 1))" speed "${RATES[i]}"
	done
	[[ $(ztb_link_field "$NS_A" a1 allocation) == 0.571428 &&
	   $(ztb_link_field "$NS_A" a3 allocation) == 0.142857 ]]
	check_err $? "allocation not 4:2:1 ($(ztb_link_field "$NS_A" a1 allocation), $(ztb_link_field "$NS_A" a3 allocation))"
	check_split speed
	log_test "balance-aware: allocation from speed 8/4/2, 8 TCP streams use the sum"
}

alloc_explicit()
{
	RET=0
	topo || { check_err 1 "set-up failed"; log_test "allocation from alloc"; return; }
	ztb_ctl "$NS_A" link set zb0 a1 alloc 0.57
	ztb_ctl "$NS_A" link set zb0 a2 alloc 0.29
	ztb_ctl "$NS_A" link set zb0 a3 alloc 0.14
	[[ $(ztb_link_field "$NS_A" a2 allocation) == 0.29 ]]
	check_err $? "allocation of a2 is $(ztb_link_field "$NS_A" a2 allocation), not alloc 0.29"
	check_split alloc
	log_test "balance-aware: explicit alloc 0.57/0.29/0.14"
}

# capacity_alloc: "CAP1 CAP2 CAP3 ALLOC1 ALLOC2 ALLOC3" of a1..a3, one readout
capacity_alloc()
{
	ztb_ctl "$NS_A" --json bond show zb0 |
		jq -r '[("a1", "a2", "a3") as $n | .links[] | select(.name == $n)] |
		       [.[].capacity_kbps] + [.[].allocation] | map(tostring) | join(" ")'
}

# Automatic allocation is measured quality times measured capacity: the
# links were busy under the 8 streams (tbf's queue), so each link's
# capacity is its tbf rate, and the allocation follows it.
alloc_automatic()
{
	local c i r

	RET=0
	topo failoverInterval 1000 ||
		{ check_err 1 "set-up failed"; log_test "automatic allocation"; return; }
	read -r -a c <<< "$(capacity_alloc)"
	[[ ${c[0]} == 0 && ${c[1]} == 0 && ${c[2]} == 0 ]]
	check_err $? "capacities known before any load: ${c[*]:0:3}"
	check_split automatic
	read -r -a c <<< "$(capacity_alloc)"
	echo "    capacity_kbps ${c[*]:0:3}, allocation ${c[*]:3:3}"
	for i in 0 1 2; do
		r=$((RATES[i] * 1000))
		ztb_fcmp "${c[i]:-0}" ">=" "$((r * 3 / 4))" &&
			ztb_fcmp "${c[i]:-0}" "<=" "$((r * 5 / 4))"
		check_err $? "a$((i + 1)) capacity_kbps ${c[i]} not within 25% of its tbf rate $r"
	done
	ztb_fcmp "${c[3]:-0}" ">" "${c[4]:-0}" && ztb_fcmp "${c[4]:-0}" ">" "${c[5]:-0}" &&
		ztb_fcmp "${c[3]:-0}" ">=" "$(awk -v a="${c[5]:-1}" 'BEGIN { print 2.5 * a }')"
	check_err $? "automatic allocation ${c[*]:3:3} does not follow the capacities ${c[*]:0:3}"
	log_test "balance-aware: automatic allocation (measured quality x measured capacity) with tbf 8/4/2"
}

# udp_flows N SECONDS: N UDP flows (distinct source ports) at a low rate.
udp_flows()
{
	ztb_iperf_server "$NS_B" 10.0.0.2 5203 "$2"
	ip netns exec "$NS_A" iperf3 -c 10.0.0.2 -p 5203 -u -b 50k -P "$1" -t "$2" \
		>/dev/null 2>&1 &
}

link_down()
{
	[[ $(ztb_link_field "$NS_A" "$1" state) == down ]]
}

flows_on()
{
	ztb_link_field "$NS_A" "$1" flows
}

flow_static_failure()
{
	local m0 m1 m2 f1 f2 f3 g1 g2 g3

	RET=0
	topo balancePolicy flow-static ||
		{ check_err 1 "set-up failed"; log_test "flow-static"; return; }
	udp_flows 24 14
	sleep 4
	m0=$(ztb_bond_field "$NS_A" flow_moves)
	sleep 3
	m1=$(ztb_bond_field "$NS_A" flow_moves)
	[[ $m1 -eq $m0 ]]
	check_err $? "flow-static moved flows between healthy links ($m0 -> $m1)"
	f1=$(flows_on a1) f2=$(flows_on a2) f3=$(flows_on a3)
	ip -n "$NS_B" link set b3 down
	sleep 3
	m2=$(ztb_bond_field "$NS_A" flow_moves)
	g1=$(flows_on a1) g2=$(flows_on a2) g3=$(flows_on a3)
	echo "    flows before a3 failed: $f1 $f2 $f3, after: $g1 $g2 $g3; moved $((m2 - m1))"
	[[ $((m2 - m1)) -ge 1 && $((m2 - m1)) -le $f3 ]]
	check_err $? "moved $((m2 - m1)) flows, a3 had $f3"
	[[ $g3 -eq 0 ]]
	check_err $? "$g3 flows still on the failed a3"
	[[ $g1 -ge $f1 && $g2 -ge $f2 ]]
	check_err $? "flows left healthy links ($f1 $f2 -> $g1 $g2)"
	ip -n "$NS_B" link set b3 up
	wait
	log_test "balance-aware flow-static: no moves while healthy; a failed link's flows move, no others"
}

flow_dynamic_rebalance()
{
	local f3 m0 m1 m2 links cap

	RET=0
	topo balancePolicy flow-dynamic ||
		{ check_err 1 "set-up failed"; log_test "flow-dynamic"; return; }
	ip -n "$NS_B" link set b3 down
	slowwait 5 link_down a3
	udp_flows 24 20
	sleep 4
	[[ $(flows_on a3) -eq 0 ]]
	check_err $? "flows on a link that is down"
	(($(flows_on a1) + $(flows_on a2) >= 20))
	check_err $? "the UDP flows are not there: $(flows_on a1) + $(flows_on a2)"
	m0=$(ztb_bond_field "$NS_A" flow_moves)
	ip -n "$NS_B" link set b3 up
	sleep 5
	f3=$(flows_on a3)
	m1=$(ztb_bond_field "$NS_A" flow_moves)
	links=$(ztb_ctl "$NS_A" --json bond show zb0 |
		jq -c '[.links[] | [.name, .state, .flows, .capacity_kbps, .allocation]]')
	echo "    a3 back: $f3 flows on it, $((m1 - m0)) moved; name, state, flows, capacity, allocation: $links"
	[[ $f3 -ge 2 && $((m1 - m0)) -le $((f3 + 1)) ]]
	check_err $? "rebalancing gave a3 $f3 flows with $((m1 - m0)) moves ($links)"
	# Seconds without carrier are no measure of capacity: a few bytes
	# sent around the loss once made an estimate of 2 kbit/s, and with a
	# capacity known on a1 or a2 that left a3 no share.
	cap=$(ztb_link_field "$NS_A" a3 capacity_kbps)
	[[ $cap -eq 0 || $cap -ge 1000 ]]
	check_err $? "a3 came back with a capacity of $cap kbit/s measured while it was down"
	# Balanced, the flows stay put: equal links' measured shares differ
	# by noise and short flows come and go, which once moved a flow back
	# and forth between a1 and a2 every few seconds.
	sleep 5
	m2=$(ztb_bond_field "$NS_A" flow_moves)
	[[ $m2 -eq $m1 ]]
	check_err $? "$((m2 - m1)) flows moved between balanced links"
	wait
	log_test "balance-aware flow-dynamic: a returning link gets its share back with minimal moves"
}

# The bond and each of its links count no flow, in one readout: the
# kernel's own traffic (neighbour probes, MLD) may start a flow at any time.
no_flows()
{
	ztb_ctl "$NS_A" bond show zb0 --json |
		jq -e '.flows == 0 and ([.links[].flows // 0] | add) == 0' >/dev/null
}

# flowExpiry: flows idle longer than it leave the table (the links'
# counts drop with them); the default is ZeroTier's 243 s.
flow_idle_expiry()
{
	local f0 f1 t0 t

	RET=0
	topo balancePolicy flow-static ||
		{ check_err 1 "set-up failed"; log_test "flow idle expiry"; return; }
	[[ $(ztb_bond_field "$NS_A" flowExpiry) == 243000 ]]
	check_err $? "default flowExpiry $(ztb_bond_field "$NS_A" flowExpiry), not 243000"
	ztb_ctl "$NS_A" bond set zb0 flowExpiry 3000
	check_err $? "cannot set flowExpiry 3000"
	udp_flows 12 4
	sleep 3
	f0=$(ztb_bond_field "$NS_A" flows)
	wait
	t0=$SECONDS
	# still there well within the expiry, gone a tick after it
	sleep 1
	f1=$(ztb_bond_field "$NS_A" flows)
	slowwait 10 no_flows
	check_err $? "flows still in the table $((SECONDS - t0)) s after the traffic stopped: $(ztb_ctl "$NS_A" bond show zb0 --json | jq -c '[.flows, [.links[].flows]]')"
	t=$((SECONDS - t0))
	echo "    flows $f0 while sending, $f1 a second after, 0 after ${t} s (flowExpiry 3 s)"
	[[ $f0 -ge 12 && $f1 -ge 12 ]]
	check_err $? "flows $f0 while sending and $f1 a second after, not >= 12"
	((t >= 2))
	check_err $? "flows gone ${t} s after the traffic, before flowExpiry 3 s"
	log_test "balance-aware: idle flows expire after flowExpiry, and the links' counts with them"
}

packet_mode()
{
	local i b d s0

	RET=0
	topo balancePolicy packet ||
		{ check_err 1 "set-up failed"; log_test "packet mode"; return; }
	for i in 0 1 2; do
		ztb_ctl "$NS_A" link set zb0 "a$((i + 1))" speed "${RATES[i]}"
	done
	b=$(ztb_data_stat "$NS_A" a1 tx_packets)
	d=$(ztb_data_stat "$NS_A" a3 tx_packets)
	ip netns exec "$NS_A" ping -q -c 280 -i 0.005 10.0.0.2 >/dev/null 2>&1
	b=$(( $(ztb_data_stat "$NS_A" a1 tx_packets) - b ))
	d=$(( $(ztb_data_stat "$NS_A" a3 tx_packets) - d ))
	s0=$(awk -v a="$b" -v c="$d" 'BEGIN { printf "%.2f", c ? a / c : 0 }')
	echo "    a1 $b packets, a3 $d packets (ratio $s0, target 4)"
	ztb_fcmp "$s0" ">=" 3.5 && ztb_fcmp "$s0" "<=" 4.5
	check_err $? "per-packet split a1:a3 = $s0, not 4"
	log_test "balance-aware packet: packets split by share"
}

ztb_require_root
ztb_require_module
ztb_require_ctl
ztb_require_cmd jq tc iperf3
trap ztb_cleanup EXIT
tests_run
ztb_exit
