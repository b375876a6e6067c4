#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Paths measured on DATA traffic between two ztbonds: the receiver counts
# loss from the gaps in each path's DATA sequence, and one DATA frame in
# 16 asks the peer for an ECHO, a round trip measured on traffic.
# monitorStrategy passive sends no PROBE and still measures rtt and loss
# while traffic flows; dynamic (the default) stops probing a path while
# its traffic is answered and probes again when traffic stops; active
# probes always.
#
# Every link runs ZeroTier's default flow rules (tc passes only IPv4, ARP
# and IPv6, both ways).

# The dynamic case also checks that no link failed (failures) throughout:
# dynamic once resumed probing a path only when its last ECHO was
# failoverInterval old, the very tick that wrote the path off, so a pause
# in the ping took a link out of the bond and punished it.
ALL_TESTS="
	passive_measures_traffic
	dynamic_probes_only_without_traffic
	balance_rr_data_header_measured
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

PING_PID=

# NS sees B (A) as a DATA peer on N live paths
data_paths()
{
	[[ $(ztb_ctl "$1" --json peer list zb0 2>/dev/null |
	     jq '[.. | objects | select(has("alive") and .alive == true and .data == true) | .link] | unique | length') -ge $2 ]]
}

# sum NS FIELD: the field summed over NS's links
sum()
{
	ztb_ctl "$1" --json bond show zb0 | jq "[.links[].$2 // 0] | add"
}

field_at_least()
{
	local v

	v=$(ztb_link_field "$1" "$2" "$3")
	[[ -n $v ]] && ztb_fcmp "$v" ">=" "$4"
}

# ping_start INTERVAL: a fast ping A -> B in the background
ping_start()
{
	ip netns exec "$NS_A" ping -q -i "$1" -W 1 10.0.0.2 >/dev/null 2>&1 &
	PING_PID=$!
}

ping_stop()
{
	[[ -n $PING_PID ]] || return 0
	kill "$PING_PID" 2>/dev/null
	wait "$PING_PID" 2>/dev/null
	PING_PID=
}

# Three links, A -> B: a1 +40 ms, a2 5% loss, a3 clean. Under broadcast
# with dedup every ping and reply crosses every link in a DATA frame. B
# measures the loss of what it receives (A -> B); A measures round trips
# from the ECHOs B sends for A's DATA frames.
passive_measures_traffic()
{
	local p0 p1 r1 r1s= r3 e1 l1 l2 l3 lost2 k

	RET=0
	ztb_zt_topo 3 broadcast dedup true monitorStrategy passive failoverInterval 250 ||
		{ check_err 1 "set-up failed"; log_test "passive: rtt and loss from traffic"; return; }
	slowwait 10 data_paths "$NS_A" 3
	check_err $? "A does not see B as a DATA peer on 3 paths"
	slowwait 10 data_paths "$NS_B" 3
	check_err $? "B does not see A as a DATA peer on 3 paths"
	tc -n "$NS_A" qdisc add dev a1 root netem delay 40ms limit 10000
	tc -n "$NS_A" qdisc add dev a2 root netem loss 5% limit 10000
	p0=$(($(sum "$NS_A" probes_sent) + $(sum "$NS_B" probes_sent)))

	ping_start 0.01
	# the loss window holds 1024 outcomes: a full one on the lossy path
	slowwait 60 field_at_least "$NS_B" b2 probes 1024
	check_err $? "B's b2 counted too few DATA frames: $(ztb_link_field "$NS_B" b2 probes)"
	sleep 2
	# the mean of 64 samples (6 a second here): a stall of a TCG guest
	# can weigh on one reading; three readings 4 s apart, one must fit
	for k in 1 2 3; do
		r1=$(ztb_link_field "$NS_A" a1 rtt_ms)
		r1s+=" $r1"
		[[ -n $r1 ]] && ztb_fcmp "$r1" ">=" 30 && ztb_fcmp "$r1" "<=" 50 && break
		((k < 3)) && sleep 4
	done
	r3=$(ztb_link_field "$NS_A" a3 rtt_ms)
	e1=$(ztb_link_field "$NS_A" a1 rtt_echoes)
	l1=$(ztb_link_field "$NS_B" b1 loss_ratio)
	l2=$(ztb_link_field "$NS_B" b2 loss_ratio)
	l3=$(ztb_link_field "$NS_B" b3 loss_ratio)
	lost2=$(ztb_link_field "$NS_B" b2 loss_data_frames)
	p1=$(($(sum "$NS_A" probes_sent) + $(sum "$NS_B" probes_sent)))
	ping_stop
	echo "    A: a1 rtt$r1s ms ($e1 echoes), a3 rtt $r3 ms; B: loss b1 $l1, b2 $l2 ($lost2 frames), b3 $l3; probes sent $p0 -> $p1"

	[[ $p1 -eq $p0 ]]
	check_err $? "passive sent probes: $p0 -> $p1"
	[[ -n $r1 && -n $r3 && -n $l1 && -n $l2 && -n $l3 && -n $lost2 ]]
	check_err $? "readouts missing"
	ztb_fcmp "$e1" ">" 0
	check_err $? "no ECHO answered a1's DATA frames"
	ztb_fcmp "$r1" ">=" 30 && ztb_fcmp "$r1" "<=" 50
	check_err $? "a1 rtt_ms$r1s not within 25% of 40"
	ztb_fcmp "$r3" "<" 10
	check_err $? "clean a3 rtt_ms $r3 affected"
	ztb_fcmp "$l2" ">=" 0.03 && ztb_fcmp "$l2" "<=" 0.08
	check_err $? "b2 loss_ratio $l2 not in 0.03..0.08"
	ztb_fcmp "$lost2" ">" 0
	check_err $? "b2 counted no lost DATA frames"
	ztb_fcmp "$l1" "<" 0.01 && ztb_fcmp "$l3" "<" 0.01
	check_err $? "clean directions' loss_ratio b1 $l1, b3 $l3 not under 0.01"
	log_test "passive: no probes; rtt (netem +40 ms) and loss (netem 5%) measured on DATA traffic"

	# without traffic and without probes, HELLO keeps the paths alive
	RET=0
	sleep 2
	[[ $(ztb_ctl "$NS_A" --json peer list zb0 |
	     jq '[.. | objects | select(has("alive") and .alive == true)] | length') -eq 3 ]]
	check_err $? "paths died when traffic stopped: $(ztb_ctl "$NS_A" peer list zb0)"
	log_test "passive: paths stay alive on HELLO when traffic stops"
}

# Two links, broadcast with dedup, failoverInterval 500 (a probe per path
# every 125 ms). The ping every 5 ms puts a DATA frame asking for an
# ECHO on each path every 80 ms, both ways. A stall of the guest longer
# than failoverInterval (seen under TCG) is a real gap in the measurement
# and rightly brings a probe: at most 2 per side are let through.
dynamic_probes_only_without_traffic()
{
	local a0 a1 a2 a3 b1 b2 e0 e1 x0 x1 f0 f1 t0 t1

	RET=0
	ztb_zt_topo 2 broadcast dedup true monitorStrategy dynamic failoverInterval 500 ||
		{ check_err 1 "set-up failed"; log_test "dynamic"; return; }
	slowwait 10 data_paths "$NS_A" 2
	check_err $? "A does not see B as a DATA peer on 2 paths"
	slowwait 10 data_paths "$NS_B" 2
	check_err $? "B does not see A as a DATA peer on 2 paths"
	f0=$(($(sum "$NS_A" failures) + $(sum "$NS_B" failures)))
	# the reads take time of their own (TCG): say how long the second was
	t0=$EPOCHREALTIME
	a0=$(sum "$NS_A" probes_sent)
	sleep 1
	t1=$EPOCHREALTIME
	a1=$(sum "$NS_A" probes_sent)
	echo "    idle: $((a1 - a0)) probes between reads started $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s apart"
	ztb_fcmp "$((a1 - a0))" ">=" 12
	check_err $? "idle: only $((a1 - a0)) probes in a second on 2 paths"

	ping_start 0.005
	sleep 2
	a2=$(sum "$NS_A" probes_sent)
	b1=$(sum "$NS_B" probes_sent)
	e0=$(sum "$NS_A" rtt_echoes)
	sleep 3
	a3=$(sum "$NS_A" probes_sent)
	b2=$(sum "$NS_B" probes_sent)
	e1=$(sum "$NS_A" rtt_echoes)
	echo "    with traffic over 3 s: A $((a3 - a2)), B $((b2 - b1)) probes, A $((e1 - e0)) echoes"
	[[ $((a3 - a2)) -le 2 && $((b2 - b1)) -le 2 ]]
	check_err $? "probes sent while traffic measured the paths: A $((a3 - a2)), B $((b2 - b1))"
	if ((RET)); then
		ztb_ctl "$NS_A" --json bond show zb0 | jq -c '.links[] | {name, probes_sent, rtt_echoes, paths, peer, eligible, failures, punished_ms, ctl_replay}'
		ztb_ctl "$NS_A" --json peer list zb0 | jq -c .
		ztb_ctl "$NS_B" --json bond show zb0 | jq -c '.links[] | {name, probes_sent, rtt_echoes, paths, peer, eligible, failures, punished_ms, ctl_replay}'
	fi
	ztb_fcmp "$((e1 - e0))" ">=" 40
	check_err $? "only $((e1 - e0)) ECHOs in 3 s"
	[[ -n $(ztb_link_field "$NS_A" a1 rtt_ms) ]]
	check_err $? "a1 has no rtt_ms"

	# active probes whatever the traffic
	ztb_ctl "$NS_A" bond set zb0 monitorStrategy active
	sleep 1
	x0=$(sum "$NS_A" probes_sent)
	sleep 1
	x1=$(sum "$NS_A" probes_sent)
	echo "    active with traffic: $((x1 - x0)) probes in about a second"
	ztb_fcmp "$((x1 - x0))" ">=" 12
	check_err $? "active sent only $((x1 - x0)) probes in a second with traffic"
	ztb_ctl "$NS_A" bond set zb0 monitorStrategy dynamic
	ping_stop

	sleep 1
	a0=$(sum "$NS_A" probes_sent)
	sleep 1
	a1=$(sum "$NS_A" probes_sent)
	echo "    traffic stopped: $((a1 - a0)) probes in about a second"
	ztb_fcmp "$((a1 - a0))" ">=" 12
	check_err $? "probes did not resume after traffic stopped: $((a1 - a0)) in a second"
	[[ $(ztb_ctl "$NS_A" --json peer list zb0 |
	     jq '[.. | objects | select(has("alive") and .alive == true)] | length') -eq 2 ]]
	check_err $? "paths not alive: $(ztb_ctl "$NS_A" peer list zb0)"
	# a pause in traffic is no outage: no link left either bond
	f1=$(($(sum "$NS_A" failures) + $(sum "$NS_B" failures)))
	[[ $f1 -eq $f0 ]]
	check_err $? "links failed while no path did: failures $f0 -> $f1"
	log_test "dynamic: no probes while traffic measures the paths, probes again when it stops; active probes anyway"
}

# balance-rr with dataHeader: each link carries its share of the DATA
# frames, numbered per path; on clean links nothing is lost and both
# links get round trips from traffic.
balance_rr_data_header_measured()
{
	local e1 e2 l1 l2 lost

	RET=0
	ztb_zt_topo 2 balance-rr dataHeader true monitorStrategy passive failoverInterval 250 ||
		{ check_err 1 "set-up failed"; log_test "balance-rr dataHeader"; return; }
	slowwait 10 data_paths "$NS_A" 2
	check_err $? "A does not see B as a DATA peer on 2 paths"
	slowwait 10 data_paths "$NS_B" 2
	ip netns exec "$NS_A" ping -q -c 600 -i 0.005 10.0.0.2 >/dev/null 2>&1
	check_err $? "pings lost"
	sleep 1.5
	e1=$(ztb_link_field "$NS_A" a1 rtt_echoes)
	e2=$(ztb_link_field "$NS_A" a2 rtt_echoes)
	l1=$(ztb_link_field "$NS_B" b1 loss_ratio)
	l2=$(ztb_link_field "$NS_B" b2 loss_ratio)
	lost=$(sum "$NS_B" loss_data_frames)
	echo "    A echoes a1 $e1 a2 $e2; B loss b1 $l1 b2 $l2, $lost frames"
	ztb_fcmp "$e1" ">=" 5 && ztb_fcmp "$e2" ">=" 5
	check_err $? "too few ECHOs: a1 $e1, a2 $e2"
	[[ -n $l1 && -n $l2 ]] && ztb_fcmp "$l1" "==" 0 &&
		ztb_fcmp "$l2" "==" 0 && [[ $lost -eq 0 ]]
	check_err $? "loss on clean links: b1 $l1, b2 $l2, $lost frames"
	[[ -n $(ztb_link_field "$NS_A" a2 rtt_ms) ]]
	check_err $? "a2 has no rtt_ms"
	log_test "balance-rr dataHeader: both links measured on traffic, nothing lost on clean links"
}

cleanup()
{
	ping_stop
	ztb_cleanup
}

ztb_require_root
ztb_require_module
ztb_require_ctl
ztb_require_cmd jq
ztb_require_cmd tc
trap cleanup EXIT

tests_run
ztb_exit
