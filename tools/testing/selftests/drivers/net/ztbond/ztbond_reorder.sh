#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# balance-rr with dataHeader: A sends frames for B (a ztbond) in DATA
# frames numbered for B, and B delivers them in order. Two links of
# 10 Mbit/s (tbf; 3 on the debug kernel, see RATE) with 5 ms and 15 ms of
# delay (netem): one TCP stream reaches at least 1.5 times one link; a
# frame lost on one path is given up as soon as the other path passed it;
# the MTU leaves room for the header; bond show reports the key and the
# counters.
#
# Linux's TCP copes with reordering well (RACK, an adaptive reordering
# threshold), so plain balance-rr also gets well above one link here and
# throughput alone does not show what the window does. What it does is
# deliver in order: B's TCP queues segments out of order (TcpExt
# TCPOFOQueue) for most of a plain balance-rr stream, and with the window
# only where a frame was really lost. The test compares the two per segment
# received.

ALL_TESTS="
	reorder_mtu_and_readout
	reorder_one_tcp_stream
	reorder_loss_does_not_stall
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

DELAYS=(5 15)	# ms on link 1 and 2, both directions
# Mbit/s per link, A -> B. The links must be slower than the machine:
# with dataHeader the bond gives up GSO, so the stack hands it one frame
# per MTU and the guest's per-frame cost limits the stream. Debian's
# kernels under TCG carry 17 Mbit/s of it; the debug kernel (KASAN,
# lockdep, kmemleak) about 860 frames a second, 9.5 Mbit/s, whatever the
# window does (plain balance-rr keeps GSO and reaches 17 there too). So
# the debug kernel gets 3 Mbit/s links, ZTBOND_REORDER_RATE any other.
if [[ $(uname -r) == *-ztbond-debug ]]; then
	: "${ZTBOND_REORDER_RATE:=3}"
fi
RATE=${ZTBOND_REORDER_RATE:-10}

topo()
{
	local i

	ztb_topo_destroy
	ztb_topo_create balance-rr 2 || return 1
	for i in 1 2; do
		tc -n "$NS_A" qdisc add dev "a$i" root handle 1: tbf \
			rate "${RATE}mbit" burst 16kb latency 50ms &&
		tc -n "$NS_A" qdisc add dev "a$i" parent 1:1 handle 10: netem \
			delay "${DELAYS[i - 1]}ms" limit 10000 &&
		tc -n "$NS_B" qdisc add dev "b$i" root netem \
			delay "${DELAYS[i - 1]}ms" limit 10000 || return 1
	done
	ztb_wait_ping "$NS_A" 10.0.0.2 20
}

# A heard B on both links, and B takes ordered DATA frames
b_takes_order()
{
	[[ $(ztb_ctl "$NS_A" --json peer list zb0 2>/dev/null |
	     jq '[.. | objects | select(has("alive") and .alive == true and .data == true) | .link] | unique | length') -eq 2 ]]
}

# iperf_one SECONDS: one TCP stream A -> B; prints Mbit/s received
iperf_one()
{
	ztb_iperf_server "$NS_B" 10.0.0.2 5210 "$1"
	local out

	out=$(ip netns exec "$NS_A" timeout $(($1 + 30)) iperf3 -c 10.0.0.2 -p 5210 \
		-t "$1" -J 2>&1)
	# a run without a result says why on stderr (the test's log)
	jq -e '.end.sum_received' <<< "$out" > /dev/null 2>&1 ||
		echo "    iperf3 gave no result: $(jq -r '.error // empty' <<< "$out" 2>/dev/null || head -c 300 <<< "$out")" >&2
	jq -r '.end.sum_received.bits_per_second // 0 | . / 1e6 | . * 10 | floor | . / 10' <<< "$out" 2>/dev/null ||
		echo 0
	wait
}

# B's TCP: "out-of-order-queued received" segments, TcpExt TCPOFOQueue and
# Tcp InSegs (the namespace's /proc/net/netstat and snmp)
tcp_ofo()
{
	ip netns exec "$NS_B" awk '
		$1 == "TcpExt:" && !ofo_k { for (i = 2; i <= NF; i++) if ($i == "TCPOFOQueue") ofo_k = i; next }
		$1 == "TcpExt:" { ofo = $ofo_k }
		$1 == "Tcp:" && !in_k { for (i = 2; i <= NF; i++) if ($i == "InSegs") in_k = i; next }
		$1 == "Tcp:" { ins = $in_k }
		END { print ofo + 0, ins + 0 }' /proc/net/netstat /proc/net/snmp
}

# ofo_rate "OFO0 IN0" "OFO1 IN1": out-of-order segments per 1000 received
ofo_rate()
{
	awk -v a="$1" -v b="$2" 'BEGIN { split(a, x); split(b, y);
		n = y[2] - x[2]; printf "%.1f\n", (n > 0 ? 1000 * (y[1] - x[1]) / n : 0) }'
}

# what the bonds counted, for a failure's reason
reorder_counters()
{
	echo "A: $(ztb_ctl "$NS_A" --json bond show zb0 | jq -c '{mtu: .mtu, links: [.links[] | {name, tx_packets, tx_dropped}]}')" \
	     "B: $(ztb_ctl "$NS_B" --json bond show zb0 | jq -c '{reorder_held, reorder_lost, reorder_late, dedup_dropped, links: [.links[] | {name, rx_packets, rx_dropped, ctl_bad}]}')"
}

reorder_mtu_and_readout()
{
	local m0 m1 m2 out

	RET=0
	topo
	check_err $? "topology"
	m0=$(ip -n "$NS_A" -j link show zb0 | jq .[0].mtu)
	ztb_ctl "$NS_A" bond set zb0 dataHeader true reorderTimeout 80
	check_err $? "cannot set dataHeader"
	m1=$(ip -n "$NS_A" -j link show zb0 | jq .[0].mtu)
	out=$(ztb_ctl "$NS_A" --json bond show zb0)
	[[ $(jq -r '"\(.dataHeader) \(.reorderTimeout)"' <<< "$out") == "true 80" ]]
	check_err $? "bond show does not report dataHeader true, reorderTimeout 80: $out"
	ztb_ctl "$NS_A" bond set zb0 reorderTimeout 0 2>/dev/null
	check_fail $? "reorderTimeout 0 was accepted"
	ztb_ctl "$NS_A" bond set zb0 dataHeader false
	m2=$(ip -n "$NS_A" -j link show zb0 | jq .[0].mtu)
	echo "    MTU $m0, with dataHeader $m1, without again $m2"
	((m1 == m0 - 122 && m2 == m0))
	check_err $? "MTU did not make room for the DATA header and come back: $m0 $m1 $m2"
	log_test "reorder: dataHeader costs 122 bytes of MTU while on; bond show reports it; bad timeout refused"
}

reorder_one_tcp_stream()
{
	local plain ordered held lost t0 ofo_plain ofo_ordered

	RET=0
	ztb_ctl "$NS_A" bond set zb0 dataHeader false reorderTimeout 50
	t0=$(tcp_ofo)
	plain=$(iperf_one 6)
	ofo_plain=$(ofo_rate "$t0" "$(tcp_ofo)")
	ztb_ctl "$NS_A" bond set zb0 dataHeader true
	check_err $? "cannot set dataHeader"
	slowwait 20 b_takes_order
	check_err $? "A never heard B take ordered DATA frames on both links"
	t0=$(tcp_ofo)
	ordered=$(iperf_one 6)
	ofo_ordered=$(ofo_rate "$t0" "$(tcp_ofo)")
	# a throughput figure on a shared TCG host: the better of two runs
	if ztb_fcmp "$ordered" "<" "$(awk -v r="$RATE" 'BEGIN { print 1.5 * r }')"; then
		echo "    first run $ordered Mbit/s; once more"
		t0=$(tcp_ofo)
		ordered=$(iperf_one 6)
		ofo_ordered=$(ofo_rate "$t0" "$(tcp_ofo)")
	fi
	held=$(ztb_ctl "$NS_B" --json bond show zb0 | jq .reorder_held)
	lost=$(ztb_ctl "$NS_B" --json bond show zb0 | jq .reorder_lost)
	echo "    one TCP stream over ${RATE}+${RATE} Mbit/s, ${DELAYS[*]} ms: $plain Mbit/s plain, $ordered Mbit/s with dataHeader (B held $held, gave up $lost)"
	echo "    B's TCP queued out of order: $ofo_plain per 1000 segments plain, $ofo_ordered with dataHeader"
	ztb_fcmp "$ordered" ">=" "$(awk -v r="$RATE" 'BEGIN { print 1.5 * r }')"
	check_err $? "one TCP stream with the reorder window reached $ordered Mbit/s, under 1.5 x $RATE; $(reorder_counters)"
	((held > 0))
	check_err $? "B held no frame for order: the window was not used"
	# the window's effect, apart from what TCP tolerates: at most a quarter
	# of plain balance-rr's out-of-order segments
	ztb_fcmp "$ofo_plain" ">" 0 &&
		ztb_fcmp "$ofo_ordered" "<=" "$(awk -v p="$ofo_plain" 'BEGIN { print p / 4 }')"
	check_err $? "out-of-order segments per 1000: $ofo_plain plain, $ofo_ordered with the window (want at most a quarter)"
	log_test "reorder: one TCP stream over 2 x ${RATE} Mbit/s with ${DELAYS[0]}/${DELAYS[1]} ms reaches 1.5 x one link with dataHeader, delivered in order"
}

reorder_loss_does_not_stall()
{
	local lost0 lost1 out rx

	RET=0
	lost0=$(ztb_ctl "$NS_B" --json bond show zb0 | jq .reorder_lost)
	tc -n "$NS_A" qdisc change dev a2 parent 1:1 handle 10: netem \
		delay "${DELAYS[1]}ms" loss 10% limit 10000
	check_err $? "cannot add loss"
	# 300 pings: link 2 carries at least a third of them whatever
	# packetsPerLink, so that none lost has a chance below 1e-4 (with
	# 100, 0.9^36 = 2% of the runs lost nothing there)
	out=$(ip netns exec "$NS_A" ping -q -c 300 -i 0.01 -W 1 10.0.0.2 2>&1)
	rx=$(grep -o '[0-9]* received' <<< "$out" | tr -dc 0-9)
	lost1=$(ztb_ctl "$NS_B" --json bond show zb0 | jq .reorder_lost)
	echo "    10% loss on link 2: $rx/300 pings answered, B gave up $((lost1 - lost0)) sequence numbers"
	((rx >= 210 && lost1 > lost0))
	check_err $? "lost frames stalled the stream or were not given up: $out"
	tc -n "$NS_A" qdisc change dev a2 parent 1:1 handle 10: netem \
		delay "${DELAYS[1]}ms" limit 10000
	log_test "reorder: frames lost on one path are given up, the stream goes on"
}

trap ztb_cleanup EXIT

ztb_require_root
ztb_require_module
ztb_require_ctl
ztb_require_cmd tc iperf3 jq ss

tests_run

ztb_exit
