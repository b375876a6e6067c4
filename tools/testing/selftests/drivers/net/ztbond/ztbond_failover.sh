#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Link events: carrier-loss failover in active-backup (and fail back),
# downDelay, a link deleted while traffic runs, a link whose device
# vanishes and comes back under the same name (a ZeroTier tap whose
# process restarts), a ztbond talking to a plain host behind a Linux
# bridge, and unloading the module while bonds carry traffic.

ALL_TESTS="
	ab_carrier_failover
	ab_admin_down
	ab_down_delay
	ab_up_delay
	ab_failover_to_chain
	link_deleted_under_traffic
	link_reregistered
	plain_host_behind_bridge
	unload_with_live_bonds
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

active_of()
{
	ztb_ctl "$1" --json bond show zb0 |
		sed -n 's/.*"active_link": *"\([^"]*\)".*/\1/p' | head -1
}

# Carrier semantics only: punishment (ztbond_quality.sh) would hold a link
# that flaps twice within a minute out for 8 s.
topo()
{
	ztb_topo_destroy
	ztb_topo_create "" 2 || return 1
	ztb_ctl "$NS_A" bond set zb0 punishBase 0 policy "$@" &&
	ztb_ctl "$NS_B" bond set zb0 punishBase 0 policy "$@" &&
	ztb_wait_ping "$NS_A" 10.0.0.2 20
}

# Carrier changes reach the bond through linkwatch, which may hold a
# carrier-loss event back by up to a second: wait for states, never sleep.
is_active()
{
	[[ $(active_of "$1") == "$2" ]]
}

wait_active()
{
	slowwait 10 is_active "$1" "$2"
}

has_carrier()
{
	[[ $(ip netns exec "$1" cat "/sys/class/net/$2/carrier" 2>/dev/null) == "$3" ]]
}

wait_carrier()
{
	slowwait 10 has_carrier "$@"
}

# link_in_state NS LINK STATE: ztbondctl reports LINK of NS's zb0 in STATE.
link_in_state()
{
	ztb_ctl "$1" --json bond show zb0 | tr -d ' \n' | tr '{' '\n' |
		grep "\"name\":\"$2\"" | grep -q "\"state\":\"$3\""
}

# failoverTo chains: a1 (primary) -> a2 -> a4, with a3 the first spare in
# enslave order. a2 is down when a1 fails: the bond follows the chain to
# a4, not to a3; when a4 fails too, the failover queue gives a3.
ab_failover_to_chain()
{
	RET=0
	ztb_topo_destroy
	ztb_topo_create "" 4 &&
	ztb_ctl "$NS_A" bond set zb0 punishBase 0 policy active-backup &&
	ztb_ctl "$NS_A" link set zb0 a1 mode primary failoverTo a2 &&
	ztb_ctl "$NS_A" link set zb0 a2 failoverTo a4 &&
	ztb_wait_ping "$NS_A" 10.0.0.2 20
	check_err $? "set-up (4 links, failoverTo a1 -> a2 -> a4)"
	wait_active "$NS_A" a1
	check_err $? "active link is $(active_of "$NS_A"), expected primary a1"
	ip -n "$NS_B" link set b2 down
	slowwait 10 link_in_state "$NS_A" a2 down
	check_err $? "a2 did not go down"
	ip -n "$NS_B" link set b1 down
	wait_active "$NS_A" a4
	check_err $? "a1 failed with a2 down: active $(active_of "$NS_A"), expected a4 (a2's failoverTo)"
	ip -n "$NS_B" link set b4 down
	wait_active "$NS_A" a3
	check_err $? "the chain is down: active $(active_of "$NS_A"), expected a3"
	log_test "active-backup: failoverTo chains past a link that is down (a1 -> a2 -> a4), then the failover queue"
}

ab_carrier_failover()
{
	local d1 d2

	RET=0
	topo active-backup || { check_err 1 "set-up failed"; log_test "active-backup carrier failover"; return; }
	ztb_ctl "$NS_A" link set zb0 a1 mode primary
	ztb_ctl "$NS_B" link set zb0 b1 mode primary
	wait_active "$NS_A" a1
	check_err $? "active link is $(active_of "$NS_A"), expected primary a1"

	# carrier loss on a1: its peer goes down
	ip -n "$NS_B" link set b1 down
	wait_active "$NS_A" a2
	check_err $? "after carrier loss the active link is $(active_of "$NS_A"), expected a2"
	d2=$(ztb_tx_packets "$NS_A" a2)
	ztb_ping "$NS_A" 10.0.0.2 10
	check_err $? "ping failed after failover"
	(( $(ztb_tx_packets "$NS_A" a2) - d2 >= 10 ))
	check_err $? "traffic did not move to a2"

	# fail back (linkSelectMethod always) when the primary returns
	ip -n "$NS_B" link set b1 up
	wait_active "$NS_A" a1
	check_err $? "no fail back to primary a1 (active $(active_of "$NS_A"))"
	d1=$(ztb_tx_packets "$NS_A" a1)
	ztb_ping "$NS_A" 10.0.0.2 10
	check_err $? "ping failed after fail back"
	(( $(ztb_tx_packets "$NS_A" a1) - d1 >= 10 ))
	check_err $? "traffic did not return to a1"

	# failure: stay on the spare when the primary returns
	ztb_ctl "$NS_A" bond set zb0 linkSelectMethod failure
	ip -n "$NS_B" link set b1 down
	wait_active "$NS_A" a2
	check_err $? "no failover with linkSelectMethod failure"
	ip -n "$NS_B" link set b1 up
	slowwait 10 link_in_state "$NS_A" a1 up
	check_err $? "a1 did not come back up"
	[[ $(active_of "$NS_A") == a2 ]]
	check_err $? "linkSelectMethod failure returned to the primary"

	# the bond loses carrier only when no link can transmit
	ip -n "$NS_B" link set b1 down
	ip -n "$NS_B" link set b2 down
	wait_carrier "$NS_A" zb0 0
	check_err $? "bond keeps carrier with every link down"
	ip -n "$NS_B" link set b2 up
	wait_carrier "$NS_A" zb0 1
	check_err $? "bond carrier did not return with a link"
	log_test "active-backup: carrier failover, fail back, failure method, bond carrier"
}

ab_admin_down()
{
	RET=0
	topo active-backup || { check_err 1 "set-up failed"; log_test "admin down"; return; }
	ztb_ctl "$NS_A" link set zb0 a1 mode primary
	wait_active "$NS_A" a1
	ip -n "$NS_A" link set a1 down
	wait_active "$NS_A" a2
	check_err $? "no failover when the active link was set admin down"
	ztb_wait_ping "$NS_A" 10.0.0.2 10
	check_err $? "ping failed with a1 admin down"
	ip -n "$NS_A" link set a1 up
	wait_active "$NS_A" a1
	check_err $? "no return to a1 after admin up"
	ztb_ping "$NS_A" 10.0.0.2 5
	check_err $? "ping failed after a1 came back"
	log_test "active-backup: a link set admin down fails over, and back"
}

# A delay state is read from the events "ztbondctl monitor" prints, each
# stamped when it arrived, not from polling "bond show": on a slow kernel
# (the debug kernel under TCG takes 2 to 4 s a ztbondctl call) a poll that
# sees going-down can return after the state has already ended.
EVENTS=
MON=

# mon_start NS: NS's zb0 monitored into $EVENTS, and known to be listening
# (a no-op "bond set" reached it) before the test acts.
mon_start()
{
	EVENTS=$(mktemp)
	ztb_ctl "$1" monitor zb0 --json > "$EVENTS" 2>&1 &
	MON=$!
	slowwait 30 mon_hears "$1"
}

mon_hears()
{
	ztb_ctl "$1" bond set zb0 punishBase 0 &&
		grep -q '"event":"bond-change"' "$EVENTS"
}

mon_stop()
{
	kill "$MON" 2>/dev/null
	wait "$MON" 2>/dev/null
	MON=
}

# delay_held LINK PENDING FINAL DELAY_MS BEFORE AFTER: in $EVENTS, LINK
# went to PENDING (going-down/going-up) while BEFORE was active, stayed
# there DELAY_MS (less 1 s for the monitor's own scheduling, at most 6 s
# more), the active link did not change meanwhile, and AFTER took over
# once LINK reached FINAL. The last PENDING before FINAL counts: a tap
# whose peer went silent while its carrier was down is held down again
# until the peer answers.
delay_held()
{
	python3 - "$EVENTS" "$@" <<-'PY'
	import json, sys
	from datetime import datetime
	path, link, pending, final, delay, before, after = sys.argv[1:]
	delay = int(delay)
	evs = [json.loads(l) for l in open(path) if l.startswith("{")]
	ms = lambda e: datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1000
	state = lambda i, s: (evs[i]["event"] == "link-state" and
	                      evs[i].get("link") == link and evs[i]["state"] == s)
	def fail(msg):
	    sys.exit(msg + "; events:\n" + "\n".join(map(json.dumps, evs)))
	f = next((i for i in range(len(evs)) if state(i, final)), None)
	p = next((i for i in reversed(range(f or 0)) if state(i, pending)), None)
	if f is None or p is None:
	    fail("no %s then %s of %s" % (pending, final, link))
	if evs[p]["active_link"] != before:
	    fail("%s %s with %s active, expected %s" % (link, pending, evs[p]["active_link"], before))
	moved = [e for e in evs[p:f + 1] if e["active_link"] != before]
	if moved:
	    fail("active link changed during %s: %s" % (pending, json.dumps(moved[0])))
	if not any(e["event"] == "active-change" and e["active_link"] == after for e in evs[f:]):
	    fail("no active-change to %s after %s %s" % (after, link, final))
	held = ms(evs[f]) - ms(evs[p])
	print("    %s %s for %d ms (delay %d ms)" % (link, pending, held, delay))
	if not delay - 1000 <= held <= delay + 6000:
	    fail("%s held %s for %d ms, expected %d" % (link, pending, held, delay))
	PY
}

ab_down_delay()
{
	RET=0
	topo active-backup downDelay 4000 || { check_err 1 "set-up failed"; log_test "downDelay"; return; }
	ztb_ctl "$NS_A" link set zb0 a1 mode primary
	wait_active "$NS_A" a1
	check_err $? "primary a1 not active"
	mon_start "$NS_A"
	check_err $? "monitor did not start"
	ip -n "$NS_B" link set b1 down
	wait_active "$NS_A" a2
	check_err $? "no failover after downDelay (active $(active_of "$NS_A"))"
	mon_stop
	delay_held a1 going-down down 4000 a1 a2
	check_err $? "downDelay not held"
	rm -f "$EVENTS"
	ztb_ping "$NS_A" 10.0.0.2 5
	check_err $? "ping failed after delayed failover"
	log_test "active-backup: downDelay holds the link, then fails over"
}

ab_up_delay()
{
	RET=0
	topo active-backup upDelay 4000 || { check_err 1 "set-up failed"; log_test "upDelay"; return; }
	ztb_ctl "$NS_A" link set zb0 a1 mode primary
	wait_active "$NS_A" a1
	check_err $? "primary a1 not active"
	ip -n "$NS_B" link set b1 down
	wait_active "$NS_A" a2
	check_err $? "no failover when the primary lost carrier"
	mon_start "$NS_A"
	check_err $? "monitor did not start"
	ip -n "$NS_B" link set b1 up
	wait_active "$NS_A" a1
	check_err $? "no return to the primary after upDelay (active $(active_of "$NS_A"))"
	mon_stop
	delay_held a1 going-up up 4000 a2 a1
	check_err $? "upDelay not held"
	rm -f "$EVENTS"
	ztb_ping "$NS_A" 10.0.0.2 5
	check_err $? "ping failed after the primary returned"
	log_test "active-backup: upDelay holds a returning link back, then fails back"
}

link_deleted_under_traffic()
{
	local pid

	RET=0
	topo balance-rr packetsPerLink 1 || { check_err 1 "set-up failed"; log_test "link deleted under traffic"; return; }
	ip netns exec "$NS_A" ping -q -f -w 6 10.0.0.2 >/dev/null 2>&1 &
	pid=$!
	sleep 1
	ip -n "$NS_B" link del b1	# deletes the veth pair: a1 vanishes from A's bond
	check_err $? "deleting a link's device failed"
	wait $pid
	# B announced its remaining link's MAC (gratuitous ARP): A must not
	# need a neighbour timeout to reach it again
	ztb_wait_ping "$NS_A" 10.0.0.2 5
	check_err $? "ping over the remaining link failed"
	ztb_ctl "$NS_A" --json bond show zb0 | grep -q '"a1"'
	check_fail $? "deleted link still listed"
	log_test "a link deleted while traffic runs; the bond carries on"
}

link_reregistered()
{
	local i

	RET=0
	topo balance-xor || { check_err 1 "set-up failed"; log_test "link re-registered"; return; }
	for i in 1 2 3; do
		ip -n "$NS_A" link del a2
		ip link add a2 netns "$NS_A" type veth peer name b2 netns "$NS_B"
		ip -n "$NS_A" link set a2 master zb0 && ip -n "$NS_A" link set a2 up
		check_err $? "re-enslaving a re-created a2 failed (round $i)"
		ip -n "$NS_B" link set b2 master zb0 && ip -n "$NS_B" link set b2 up
	done
	ztb_wait_ping "$NS_A" 10.0.0.2 5
	check_err $? "ping failed after the links came back"
	[[ $(ztb_ctl "$NS_A" --json bond show zb0 | grep -o '"name": *"a2"' | wc -l) == 1 ]]
	check_err $? "a2 not listed exactly once"
	log_test "a device that vanishes and returns with the same name is enslaved again"
}

plain_host_behind_bridge()
{
	local d1 d2

	RET=0
	ztb_topo_destroy
	setup_ns NS_A NS_B NS_C || { check_err 1 "namespaces"; log_test "plain host behind bridge"; return; }
	ip link add a1 netns "$NS_A" type veth peer name b1 netns "$NS_B"
	ip link add a2 netns "$NS_A" type veth peer name b2 netns "$NS_B"
	ip link add c0 netns "$NS_C" type veth peer name bc netns "$NS_B"
	ip -n "$NS_B" link add br0 type bridge
	for l in b1 b2 bc; do
		ip -n "$NS_B" link set $l master br0
		ip -n "$NS_B" link set $l up
	done
	ip -n "$NS_B" link set br0 up
	ztb_ctl "$NS_A" bond add zb0 policy balance-rr packetsPerLink 1
	ztb_enslave "$NS_A" zb0 a1 a2
	ip -n "$NS_A" addr add 10.0.0.1/24 dev zb0
	ip -n "$NS_A" link set zb0 up
	ip -n "$NS_C" addr add 10.0.0.3/24 dev c0
	ip -n "$NS_C" link set c0 up
	ztb_wait_ping "$NS_A" 10.0.0.3 20
	check_err $? "bond cannot reach the plain host"
	d1=$(ztb_tx_packets "$NS_A" a1)
	d2=$(ztb_tx_packets "$NS_A" a2)
	ztb_ping "$NS_C" 10.0.0.1 20
	check_err $? "plain host cannot reach the bond"
	(( $(ztb_tx_packets "$NS_A" a1) > d1 && $(ztb_tx_packets "$NS_A" a2) > d2 ))
	check_err $? "balance-rr did not use both links towards the bridge"
	# the plain host learnt one of the bond's link MACs for its address
	# (the bond rewrote the ARP sender), never the bond's own MAC
	ip -n "$NS_C" neigh show 10.0.0.1 | grep -qi -e "$(ip netns exec "$NS_A" cat /sys/class/net/a1/address)" \
		-e "$(ip netns exec "$NS_A" cat /sys/class/net/a2/address)"
	check_err $? "plain host resolved the bond to $(ip -n "$NS_C" neigh show 10.0.0.1)"
	# the bridge learnt the bond's link MACs, never the bond's own MAC
	ip -n "$NS_B" neigh show >/dev/null
	bridge -n "$NS_B" fdb show br br0 | grep -qi "$(ip netns exec "$NS_A" cat /sys/class/net/zb0/address)"
	check_fail $? "the bond's own MAC leaked onto the wire"
	log_test "ztbond talks to a plain host behind a Linux bridge with link MACs"
}

unload_with_live_bonds()
{
	local pid

	RET=0
	if ! modprobe -n -q ztbond 2>/dev/null; then
		log_test_skip "module unload with live bonds" "ztbond not in modules.dep"
		return
	fi
	topo balance-rr packetsPerLink 1 || { check_err 1 "set-up failed"; log_test "unload"; return; }
	ip netns exec "$NS_A" ping -q -f -w 4 10.0.0.2 >/dev/null 2>&1 &
	pid=$!
	sleep 1
	modprobe -r ztbond
	check_err $? "modprobe -r with live bonds failed"
	wait $pid
	[[ ! -d /sys/module/ztbond ]]
	check_err $? "module still loaded"
	ip -n "$NS_A" link show zb0 &>/dev/null
	check_fail $? "bond survived the unload"
	ip -n "$NS_A" link show a1 | grep -q master
	check_fail $? "a1 still has a master after unload"
	modprobe ztbond
	check_err $? "reload failed"
	log_test "module unload with live bonds carrying traffic"
}

ztb_require_root
ztb_require_module
ztb_require_ctl
trap ztb_cleanup EXIT
tests_run
ztb_exit
