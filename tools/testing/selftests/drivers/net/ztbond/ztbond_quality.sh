#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The quality engine between two ztbonds: discovery (HELLO), probes,
# measured RTT, jitter and loss, quality, failure detection by probes when
# carrier stays up (a blackholed overlay), punishment of flapping links,
# linkSelectMethod on the primary's return, "bond rotate", a remote ztbond
# with a policy of its own (peerSpecificBonds), and control
# frame authentication against forged and malformed frames.
#
# Every test runs with ZeroTier's default flow rules on every link (tc
# drops all ethertypes but IPv4, ARP and IPv6, both ways), so everything
# shown here also crosses a ZeroTier network.

ALL_TESTS="
	discovery
	rtt_jitter_loss
	blackhole_failover
	select_on_return
	flap_punishment
	carrier_blip
	rotate
	peer_policy_remote_bond
	forged_frames
	hello_flood
	over_maximum
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

FORGE=$ZTB_LIB_DIR/ctlforge.py

has_path()
{
	[[ $(ztb_link_field "$1" "$2" paths) -ge 1 ]]
}

probes_at_least()
{
	local v

	v=$(ztb_link_field "$1" "$2" probes)
	[[ -n $v && $v -ge $3 ]]
}

is_active()
{
	[[ $(ztb_bond_field "$1" active_link) == "$2" ]]
}

link_state()
{
	[[ $(ztb_link_field "$1" "$2" state) == "$3" ]]
}

discovery()
{
	local peer mac

	RET=0
	ztb_zt_topo 2 active-backup failoverInterval 250 ||
		{ check_err 1 "set-up failed"; log_test "discovery"; return; }
	slowwait 10 has_path "$NS_A" a1
	check_err $? "a1 found no peer"
	slowwait 10 has_path "$NS_A" a2
	check_err $? "a2 found no peer"
	peer=$(ztb_link_field "$NS_A" a1 peer)
	mac=$(ip -n "$NS_B" -j link show b1 | jq -r '.[0].address')
	[[ $peer == "$mac" ]]
	check_err $? "a1's peer is $peer, expected b1's MAC $mac"
	[[ $(ztb_link_field "$NS_A" a1 peer_id) == $(ztb_bond_field "$NS_B" bond_id) ]]
	check_err $? "a1's peer bond id is not B's bond id"
	[[ $(ztb_bond_field "$NS_A" authenticated) == false ]]
	check_err $? "a bond without authKey must say it is unauthenticated"
	ztb_ctl "$NS_A" bond show zb0 | grep -q unauthenticated
	check_err $? "bond show does not warn about missing authentication"
	slowwait 10 probes_at_least "$NS_A" a1 4
	check_err $? "no probes answered on a1"
	[[ -n $(ztb_link_field "$NS_A" a1 rtt_ms) ]]
	check_err $? "a1 has no rtt_ms"
	log_test "discovery: HELLO finds the peer link on every link, probes answered, through ZeroTier's flow rules"

	# peer list: one peer (B), reached from a1 and a2, each path alive
	RET=0
	local want
	want=$(jq -cn --arg id "$(ztb_bond_field "$NS_B" bond_id)" \
		--arg bmac "$(ip -n "$NS_B" -j link show zb0 | jq -r '.[0].address')" \
		--arg m1 "$mac" \
		--arg m2 "$(ip -n "$NS_B" -j link show b2 | jq -r '.[0].address')" \
		'[{peer_id: $id, bond_mac: $bmac, policy: "active-backup",
		   paths: [{link: "a1", peer_mac: $m1, alive: true},
			   {link: "a2", peer_mac: $m2, alive: true}]}]')
	peer=$(ztb_ctl "$NS_A" peer list zb0 --json |
		jq -c '[.[] | {peer_id, bond_mac, policy,
			paths: [.paths[] | {link, peer_mac, alive}] | sort_by(.link)}]')
	[[ $peer == "$want" ]]
	check_err $? "peer list: $peer, expected $want"
	ztb_ctl "$NS_A" peer list zb0 | grep -q "^  a2 .*-> .* alive .*rtt [0-9.]* ms"
	check_err $? "peer list table: $(ztb_ctl "$NS_A" peer list zb0)"
	log_test "peer list: B's bond with a live path from each link, as JSON and as a table"
}

# NS LINK FROM N: LINK sent N probes since its probes_sent was FROM
sent_since()
{
	local v

	v=$(ztb_link_field "$1" "$2" probes_sent)
	[[ -n $v && $v -ge $(($3 + $4)) ]]
}

# One run measures three links at once: a1 +40 ms one way, a2 5% loss
# one way, a3 clean. failoverInterval 250 probes every 62.5 ms. The loss
# window (1024 outcomes) must hold only probes sent under netem: with 700
# of them and the set-up's clean ones before, a2 read 0.0298 once.
# A link whose quality goes over a maximum (linkQuality lat_max 20 ms; a1
# gets 40 ms one way) is ineligible and punished although its probes are
# answered, the bond leaves it; once it is back under the maximum and the
# punishment has faded it is readmitted and, primary, active again.
over_maximum()
{
	local cfg

	RET=0
	ztb_zt_topo 2 active-backup ||
		{ check_err 1 "set-up failed"; log_test "quality maximum"; return; }
	cfg=$(mktemp)
	cat > "$cfg" <<-'EOF'
	{ "settings": { "defaultBondingPolicy": "active-backup", "active-backup": {
	    "failoverInterval": 500, "upDelay": 500,
	    "linkQuality": { "lat_max": 20 } } } }
	EOF
	ztb_ctl "$NS_A" config apply zb0 "$cfg" > /dev/null
	check_err $? "config apply with linkQuality lat_max 20 failed"
	rm -f "$cfg"
	ztb_ctl "$NS_A" bond set zb0 punishBase 2000 &&
	ztb_ctl "$NS_A" link set zb0 a1 mode primary
	check_err $? "punishBase, primary"
	slowwait 10 is_active "$NS_A" a1
	slowwait 10 probes_at_least "$NS_A" a2 8
	tc -n "$NS_A" qdisc add dev a1 root netem delay 40ms
	slowwait 20 is_active "$NS_A" a2
	check_err $? "a1 over lat_max (rtt $(ztb_link_field "$NS_A" a1 rtt_ms) ms) still active"
	[[ $(ztb_link_field "$NS_A" a1 eligible) == false ]]
	check_err $? "a1 over lat_max still eligible"
	[[ $(ztb_link_field "$NS_A" a1 punished_ms) -gt 0 ||
	   $(ztb_link_field "$NS_A" a1 state) == punished ]]
	check_err $? "a1 over lat_max not punished (state $(ztb_link_field "$NS_A" a1 state))"
	ztb_ping "$NS_A" 10.0.0.2 3
	check_err $? "no traffic on a2"
	tc -n "$NS_A" qdisc del dev a1 root
	slowwait 30 is_active "$NS_A" a1
	check_err $? "a1 under lat_max again not readmitted: state $(ztb_link_field "$NS_A" a1 state), rtt $(ztb_link_field "$NS_A" a1 rtt_ms) ms"
	log_test "a link over a quality maximum (lat_max) is ineligible, punished, and readmitted once under it"
}

# alloc_below L1 L2: A's balance-aware allocation of L1 is below L2's
alloc_below()
{
	local a b

	a=$(ztb_link_field "$NS_A" "$1" allocation)
	b=$(ztb_link_field "$NS_A" "$2" allocation)
	[[ -n $a && -n $b ]] && ztb_fcmp "$a" "<" "$b"
}

rtt_jitter_loss()
{
	local r1 r3 l2 l3 p1 p1j p3 q1 q2 q3 s0 m1 mr1 e3 v3

	RET=0
	ztb_zt_topo 3 balance-rr failoverInterval 250 ||
		{ check_err 1 "set-up failed"; log_test "rtt, jitter and loss"; return; }
	slowwait 10 has_path "$NS_A" a2
	tc -n "$NS_A" qdisc add dev a1 root netem delay 40ms
	tc -n "$NS_A" qdisc add dev a2 root netem loss 5%
	s0=$(ztb_link_field "$NS_A" a2 probes_sent)
	slowwait 180 sent_since "$NS_A" a2 "${s0:-0}" 1100
	check_err $? "a2 sent too few probes under netem: $(ztb_link_field "$NS_A" a2 probes_sent) since ${s0:-none}"

	r1=$(ztb_link_field "$NS_A" a1 rtt_ms)
	r3=$(ztb_link_field "$NS_A" a3 rtt_ms)
	l2=$(ztb_link_field "$NS_A" a2 loss_ratio)
	l3=$(ztb_link_field "$NS_A" a3 loss_ratio)
	p1=$(ztb_link_field "$NS_A" a1 pdv_ms)
	q1=$(ztb_link_field "$NS_A" a1 quality)
	q2=$(ztb_link_field "$NS_A" a2 quality)
	q3=$(ztb_link_field "$NS_A" a3 quality)
	echo "    a1 rtt $r1 ms pdv $p1 ms q $q1; a2 loss $l2 q $q2; a3 rtt $r3 ms loss $l3 q $q3"
	ztb_fcmp "$r1" ">=" 30 && ztb_fcmp "$r1" "<=" 50
	check_err $? "a1 rtt_ms $r1 not within 25% of 40"
	ztb_fcmp "$r3" "<" 10
	check_err $? "clean a3 rtt_ms $r3 affected"
	ztb_fcmp "$l2" ">=" 0.03 && ztb_fcmp "$l2" "<=" 0.08
	check_err $? "a2 loss_ratio $l2 not in 0.03..0.08"
	ztb_fcmp "$l3" "<" 0.01
	check_err $? "clean a3 loss_ratio $l3 not under 0.01"
	ztb_fcmp "$q1" "<" "$q3" && ztb_fcmp "$q2" "<" "$q3"
	check_err $? "quality of the bad links ($q1, $q2) not below the clean one ($q3)"
	# one readout: the window moves between two
	read -r m1 mr1 < <(ztb_ctl "$NS_A" bond show zb0 --json |
		jq -r '.links[] | select(.name == "a1") | "\(.ltm_ms) \(.rtt_ms)"')
	ztb_fcmp "$m1" ">=" "$mr1" && ztb_fcmp "$m1" ">=" 30
	check_err $? "a1 ltm_ms $m1: the largest RTT is below the mean $mr1 or the delay"
	e3=$(ztb_link_field "$NS_A" a3 error_ratio)
	v3=$(ztb_link_field "$NS_A" a3 availability)
	ztb_fcmp "$e3" "<" 0.05 && ztb_fcmp "$v3" ">=" 0.9
	check_err $? "clean a3: error_ratio $e3 (expected below 0.05), availability $v3 (expected 0.9 or more)"

	# jitter: 40 ms +- 20 ms (sd 11.5 ms); 64 samples (4 s) replace the
	# window. Compared with the clean link measured at the same time, so
	# that the VM's own scheduling noise cancels out.
	tc -n "$NS_A" qdisc change dev a1 root netem delay 40ms 20ms
	sleep 6
	p1j=$(ztb_link_field "$NS_A" a1 pdv_ms)
	p3=$(ztb_link_field "$NS_A" a3 pdv_ms)
	echo "    a1 pdv with jitter $p1j ms (before $p1 ms), clean a3 pdv $p3 ms"
	# the sum first: awk compares "12.1" with "3.4 + 5" as strings
	ztb_fcmp "$p1j" ">" "$(awk -v a="${p3:-0}" 'BEGIN { print a + 5 }')"
	check_err $? "jitter did not raise pdv_ms ($p1 -> $p1j, clean link $p3)"

	# balance-aware's automatic allocation follows quality: the bad links
	# get less than the clean one
	ztb_ctl "$NS_A" bond set zb0 policy balance-aware
	slowwait 5 alloc_below a1 a3 && slowwait 5 alloc_below a2 a3
	check_err $? "allocation of the bad links not below the clean one: a1 $(ztb_link_field "$NS_A" a1 allocation), a2 $(ztb_link_field "$NS_A" a2 allocation), a3 $(ztb_link_field "$NS_A" a3 allocation)"
	echo "    balance-aware allocation: a1 $(ztb_link_field "$NS_A" a1 allocation), a2 $(ztb_link_field "$NS_A" a2 allocation), a3 $(ztb_link_field "$NS_A" a3 allocation)"
	log_test "rtt, jitter and loss measured per link; quality and allocation of the bad links drop"
}

# ping -i 0.01 for DUR seconds in the background; prints "sent received".
ping_bg()
{
	ip netns exec "$NS_A" ping -q -i 0.01 -w "$1" -W 1 10.0.0.2 2>/dev/null |
		sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' >"$2" &
}

blackhole_failover()
{
	local tmp lost sent recv pun events mon ping v1 v2

	RET=0
	ztb_zt_topo 2 active-backup failoverInterval 250 upDelay 500 punishBase 2000 ||
		{ check_err 1 "set-up failed"; log_test "blackhole failover"; return; }
	ztb_ctl "$NS_A" link set zb0 a1 mode primary
	ztb_ctl "$NS_B" link set zb0 b1 mode primary
	slowwait 10 is_active "$NS_A" a1
	slowwait 10 has_path "$NS_A" a2
	tmp=$(mktemp)
	events=$(mktemp)
	ip netns exec "$NS_A" "$ZTBONDCTL" monitor zb0 --json > "$events" 2>&1 &
	mon=$!
	ping_bg 6 "$tmp"
	ping=$!
	sleep 1.5
	# the overlay behind a1 dies; the tap keeps its carrier
	tc -n "$NS_A" qdisc add dev a1 root netem loss 100%
	slowwait 5 is_active "$NS_A" a2
	check_err $? "A did not move to a2 (active $(ztb_bond_field "$NS_A" active_link))"
	slowwait 5 is_active "$NS_B" b2
	check_err $? "B did not move to b2"
	[[ $(ztb_link_field "$NS_A" a1 eligible) == false ]]
	check_err $? "blackholed a1 still eligible"
	pun=$(ztb_link_field "$NS_A" a1 punished_ms)
	[[ ${pun:-0} -gt 0 ]]
	check_err $? "blackholed a1 not punished"
	wait "$ping"
	read -r sent recv <"$tmp"
	rm -f "$tmp"
	lost=$((sent - recv))
	echo "    ping every 10 ms: $sent sent, $recv received, outage ~$((lost * 10)) ms; a1 punished $pun ms"
	[[ $sent -gt 100 && $lost -le 50 ]]
	check_err $? "lost $lost of $sent pings (more than 0.5 s)"
	# the outage shows in availability: a1's, not a2's
	v1=$(ztb_link_field "$NS_A" a1 availability)
	v2=$(ztb_link_field "$NS_A" a2 availability)
	ztb_fcmp "$v1" "<" "$v2" && ztb_fcmp "$v2" ">=" 0.9
	check_err $? "availability after the blackhole: a1 $v1 (expected below a2), a2 $v2 (expected 0.9 or more)"

	# healthy again: back after the punishment and upDelay
	tc -n "$NS_A" qdisc del dev a1 root
	slowwait 15 is_active "$NS_A" a1
	check_err $? "primary a1 did not come back"
	log_test "blackhole with carrier up: failover within 0.5 s, punished, back after punishment and upDelay"

	# what "ztbondctl monitor" told an operator meanwhile, in order
	RET=0
	kill "$mon" 2>/dev/null
	wait "$mon" 2>/dev/null
	python3 - "$events" <<-'PY'
	import json, re, sys
	evs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
	def at(pred, start=0):
	    for i in range(start, len(evs)):
	        if pred(evs[i]):
	            return i
	    sys.exit("missing after event %d; got:\n%s" % (start, "\n".join(map(json.dumps, evs))))
	a1 = lambda e, name, **kw: e["event"] == name and e.get("link") == "a1" and \
	    all(e.get(k) == v for k, v in kw.items())
	i = at(lambda e: a1(e, "link-eligible", eligible=False))
	j = at(lambda e: a1(e, "link-punished") and e["punished_ms"] > 0)
	at(lambda e: e["event"] == "active-change" and e.get("active_link") == "a2")
	k = at(lambda e: a1(e, "link-readmitted"), j)
	at(lambda e: a1(e, "link-eligible", eligible=True), k)
	at(lambda e: e["event"] == "active-change" and e.get("active_link") == "a1", k)
	bad = [e for e in evs if e.get("bond") != "zb0" or
	       not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e.get("time", ""))]
	if bad:
	    sys.exit("events without a time or of another bond: %s" % bad)
	PY
	check_err $? "monitor: $(cat "$events")"
	rm -f "$events"
	log_test "monitor: a1 ineligible, punished, a2 active, a1 readmitted and eligible, a1 active again, time-stamped"
}

# flap NS_B's peer of a link: carrier down until A sees it, then up.
link_not_down()
{
	! link_state "$@" down
}

# flap PEER_LINK LINK: one carrier loss of LINK, seen by the bond both ways.
# Waiting for the return too matters: linkwatch delivers carrier changes up
# to a second late, and a second flap started while LINK still shows the
# first one's "down" would be folded into it (no second failure seen).
flap()
{
	ip -n "$NS_B" link set "$1" down
	slowwait 5 link_state "$NS_A" "$2" down
	ip -n "$NS_B" link set "$1" up
	slowwait 5 link_not_down "$NS_A" "$2"
}

select_on_return()
{
	local c m slow want

	RET=0
	# METHOD:SLOW:EXPECTED: SLOW (a1 the primary or a2 the spare) has 30
	# ms more; a1 fails and comes back; EXPECTED is then active. always
	# takes the primary back even when it is the worse link, better only
	# when it is the better one, failure never.
	for c in always:a1:a1 always:a2:a1 failure:a2:a2 better:a2:a1 better:a1:a2 optimize; do
		IFS=: read -r m slow want <<< "$c"
		# 500 ms: under a loaded TCG host a 30 ms path's probe replies
		# can take longer than 250 ms and the spare would count as dead
		ztb_zt_topo 2 active-backup failoverInterval 500 punishBase 0 linkSelectMethod "$m" ||
			{ check_err 1 "set-up failed"; break; }
		ztb_ctl "$NS_A" link set zb0 a1 mode primary
		slowwait 10 is_active "$NS_A" a1
		slowwait 10 probes_at_least "$NS_A" a2 8
		if [[ $m == optimize ]]; then
			# no failure at all: the primary gets much worse
			tc -n "$NS_A" qdisc add dev a1 root netem delay 150ms
			slowwait 15 is_active "$NS_A" a2
			check_err $? "optimize: did not move off the degraded primary"
			continue
		fi
		tc -n "$NS_A" qdisc add dev "$slow" root netem delay 30ms
		sleep 5
		ip -n "$NS_B" link set b1 down
		slowwait 5 is_active "$NS_A" a2
		check_err $? "$c: no failover to a2"
		ip -n "$NS_B" link set b1 up
		slowwait 10 link_state "$NS_A" a1 up
		sleep 2
		if [[ $want == a1 ]]; then
			slowwait 5 is_active "$NS_A" a1
		else
			sleep 2
			is_active "$NS_A" a2
		fi
		check_err $? "$m with $slow 30 ms slower: active $(ztb_bond_field "$NS_A" active_link) after a1 came back, expected $want (quality a1 $(ztb_link_field "$NS_A" a1 quality), a2 $(ztb_link_field "$NS_A" a2 quality))"
	done
	log_test "linkSelectMethod on the primary's return: always takes it back even when worse, better only when better, failure never; optimize leaves a degraded primary"
}

flap_punishment()
{
	local p1 p2 p3 events mon

	RET=0
	# punishBase 6000: the second punishment must still be running when
	# the third flap comes, and waiting for each flap's return takes
	# seconds under a loaded TCG host (punishment fades while the link
	# is healthy)
	ztb_zt_topo 2 active-backup failoverInterval 250 punishBase 6000 ||
		{ check_err 1 "set-up failed"; log_test "flap punishment"; return; }
	slowwait 10 link_state "$NS_A" a1 up
	# the punishment given at each failure, as the monitor reports it at
	# that moment (reading punished_ms afterwards races its fading)
	events=$(mktemp)
	ip netns exec "$NS_A" "$ZTBONDCTL" monitor zb0 --json > "$events" 2>&1 &
	mon=$!
	sleep 1
	punishments()
	{
		jq -r 'select(.event == "link-punished" and .link == "a1") |
		       .punished_ms' "$events" | tr '\n' ' '
	}
	flap b1 a1
	sleep 0.5
	p1=$(punishments)
	# the second and third flap back to back: the third comes while the
	# second's punishment is still being served
	flap b1 a1
	flap b1 a1
	# the monitor tells the rest: a1 held out (state punished), then
	# readmitted once the punishment faded
	slowwait 45 grep -q '"event":"link-readmitted"' "$events"
	kill "$mon" 2>/dev/null
	wait "$mon" 2>/dev/null
	p3=$(punishments)
	read -r p2 p3 _ <<< "$p3"
	echo "    punishment at each flap: ${p1:-none} ${p2:-none} ${p3:-none} ms"
	[[ -z $p1 && ${p2:-0} -ge 6000 && ${p3:-0} -gt ${p2:-0} ]]
	check_err $? "punishment does not grow with repeated flaps (${p1:-none}, ${p2:-none}, ${p3:-none})"
	jq -s -e '[.[] | select(.link == "a1")] |
		  (map(.event) | rindex("link-punished")) as $p |
		  (map(.event == "link-state" and .state == "punished") | rindex(true)) as $h |
		  (map(.event) | rindex("link-readmitted")) as $r |
		  $p != null and $h != null and $r != null and $p < $h and $h < $r' \
		"$events" > /dev/null
	check_err $? "a1 not held out while punished, then readmitted: $(jq -c 'select(.link == "a1") | [.event, .state]' "$events" | tr '\n' ' '); a1 now: $(ztb_ctl "$NS_A" bond show zb0 --json | jq -c '.links[] | select(.name == "a1") | {state, eligible, punished_ms, loss_ratio, rtt_ms, pdv_ms, error_ratio}')"
	rm -f "$events"
	slowwait 10 link_state "$NS_A" a1 up
	check_err $? "a1 not up after its readmission"
	[[ $(ztb_link_field "$NS_A" a1 punished_ms) -eq 0 ]]
	check_err $? "punishment did not fade to 0"
	log_test "flapping: first carrier loss forgiven, repeats punished longer each time, punishment fades"
}

# A carrier loss shorter than failoverInterval. Nothing crosses a link
# without carrier, so its paths are dead from that moment on, and it
# comes back once its peer answers again. Were it readmitted on the
# replies from before the loss, the first probe after the return could
# come too late to renew them: the link would leave a second time with
# its carrier up, as a failed link, and be punished for one carrier loss.
# One blip on each of three links, of a half, three quarters and nine
# tenths of failoverInterval (a second loss on one link is a flap).
blip_check()
{
	python3 - "$1" <<-'PY'
	import json, sys
	evs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
	bad = []
	for link in ("a1", "a2", "a3"):
	    mine = [e for e in evs if e.get("link") == link]
	    states = [e["state"] for e in mine if e["event"] == "link-state"]
	    if states.count("down") != 1 or not states or states[-1] != "up":
	        bad.append("%s went %s" % (link, " > ".join(states) or "nowhere"))
	    bad += ["%s punished %d ms" % (link, e["punished_ms"])
	            for e in mine if e["event"] == "link-punished"]
	if bad:
	    sys.exit("; ".join(bad))
	PY
}

carrier_blip()
{
	local l d events mon msg

	RET=0
	ztb_zt_topo 3 active-backup failoverInterval 2000 ||
		{ check_err 1 "set-up failed"; log_test "carrier blip"; return; }
	for l in 1 2 3; do
		slowwait 10 probes_at_least "$NS_A" "a$l" 4
		check_err $? "a$l: no probe answered"
	done
	events=$(mktemp)
	ip netns exec "$NS_A" "$ZTBONDCTL" monitor zb0 --json > "$events" 2>&1 &
	mon=$!
	sleep 1
	for l in 1:1.0 2:1.5 3:1.8; do
		IFS=: read -r l d <<< "$l"
		ip -n "$NS_B" link set "b$l" down
		sleep "$d"
		ip -n "$NS_B" link set "b$l" up
		slowwait 10 link_state "$NS_A" "a$l" up
		check_err $? "a$l not back $d s after its blip: $(ztb_link_field "$NS_A" "a$l" state)"
	done
	# a link readmitted on stale replies is written off within
	# failoverInterval of its return
	sleep 3
	kill "$mon" 2>/dev/null
	wait "$mon" 2>/dev/null
	msg=$(blip_check "$events" 2>&1)
	check_err $? "$msg"
	rm -f "$events"
	log_test "carrier loss shorter than failoverInterval: the link returns once its peer answers, not on its old replies, and is not written off after"
}

rotate()
{
	RET=0
	ztb_zt_topo 3 active-backup ||
		{ check_err 1 "set-up failed"; log_test "rotate"; return; }
	slowwait 10 is_active "$NS_A" a1
	ztb_ctl "$NS_A" bond rotate zb0
	is_active "$NS_A" a2
	check_err $? "rotate: active $(ztb_bond_field "$NS_A" active_link), expected a2"
	ztb_ctl "$NS_A" bond rotate zb0 && ztb_ctl "$NS_A" bond rotate zb0
	is_active "$NS_A" a1
	check_err $? "rotate did not wrap around to a1"
	ztb_ping "$NS_A" 10.0.0.2 3
	check_err $? "no traffic after rotating"
	ztb_ctl "$NS_A" bond set zb0 policy balance-rr
	ztb_ctl "$NS_A" bond rotate zb0 2>/dev/null
	check_fail $? "rotate accepted outside active-backup"
	log_test "bond rotate moves active-backup to the next link and wraps"
}

# data_paths_to_b N: A has live paths to B that take DATA frames on N links
data_paths_to_b()
{
	[[ $(ztb_ctl "$NS_A" --json peer list zb0 2>/dev/null |
	     jq '[.. | objects | select(has("alive") and .alive == true and .data == true) | .link] | unique | length') -eq $1 ]]
}

# A remote ztbond as a peer with its own policy, named by its bond MAC,
# which no frame of it carries (it sends with its link MACs): the peer
# table follows HELLO to every link MAC of that bond.
peer_policy_remote_bond()
{
	local bmac cfg pol p1 p2 d1 d2 dd out m

	RET=0
	ztb_zt_topo 2 active-backup ||
		{ check_err 1 "set-up failed"; log_test "peer policy of a remote ztbond"; return; }
	slowwait 10 has_path "$NS_A" a1 && slowwait 10 has_path "$NS_A" a2
	check_err $? "A did not discover B on both links"
	bmac=$(ip -n "$NS_B" -j link show zb0 | jq -r '.[0].address')
	cfg=$(mktemp)
	printf '{ "settings": { "defaultBondingPolicy": "active-backup",\n  "peerSpecificBonds": { "%s": "broadcast" } } }\n' \
		"$bmac" > "$cfg"
	ztb_ctl "$NS_A" config apply zb0 "$cfg" > /dev/null
	check_err $? "config apply with B's bond MAC as a peer failed"
	rm -f "$cfg"
	pol=$(ztb_ctl "$NS_A" peer list zb0 --json | jq -r '.[0].policy')
	[[ $pol == broadcast ]]
	check_err $? "peer list shows policy $pol for B, not its own broadcast"
	p1=$(ztb_data_stat "$NS_A" a1 tx_packets)
	p2=$(ztb_data_stat "$NS_A" a2 tx_packets)
	dd=$(ztb_bond_field "$NS_B" dedup_dropped)
	out=$(ip netns exec "$NS_A" ping -c 20 -i 0.02 -W 1 10.0.0.2 2>&1)
	d1=$(($(ztb_data_stat "$NS_A" a1 tx_packets) - p1))
	d2=$(($(ztb_data_stat "$NS_A" a2 tx_packets) - p2))
	dd=$(($(ztb_bond_field "$NS_B" dedup_dropped) - dd))
	echo "    20 pings to B: a1 sent $d1, a2 sent $d2 (bond: active-backup, B: broadcast), B dropped $dd copies"
	((d1 >= 20 && d2 >= 20))
	check_err $? "traffic to B is not broadcast: a1 $d1, a2 $d2 of 20"
	# B is a ztbond: the copies travel as DATA frames and B drops them
	! grep -q DUP <<< "$out" && grep -q ' 20 received' <<< "$out"
	check_err $? "B's broadcast copies were not deduplicated (or pings lost): $(tail -n 2 <<< "$out" | tr '\n' ' ')"
	((dd >= 18 && dd <= 30))
	check_err $? "B's dedup_dropped rose by $dd, expected about 20"
	m=$(ip -n "$NS_A" -j link show zb0 | jq .[0].mtu)
	((m == 1500 - 122))
	check_err $? "A's MTU $m has no room for the DATA header of the peer's broadcast"
	# the peer's DATA frames are in the bond's name, with its key
	ztb_ctl "$NS_A" bond set zb0 authKey 00112233445566778899aabbccddeeff &&
	ztb_ctl "$NS_B" bond set zb0 authKey 00112233445566778899aabbccddeeff
	check_err $? "cannot set authKey"
	slowwait 15 data_paths_to_b 2
	check_err $? "A's paths to B did not come back, keyed, on both links"
	out=$(ip netns exec "$NS_A" ping -c 20 -i 0.02 -W 1 10.0.0.2 2>&1)
	! grep -q DUP <<< "$out" && grep -q ' 20 received' <<< "$out"
	check_err $? "with authKey, the peer's broadcast lost pings or duplicated them: $(tail -n 2 <<< "$out" | tr '\n' ' '); B's auth failures $(ztb_link_field "$NS_B" b1 ctl_auth_fail)"
	log_test "peerSpecificBonds: a remote ztbond named by its bond MAC gets its policy on every link MAC it announced, its copies deduplicated, with and without authKey"
}

forged_frames()
{
	local key=000102030405060708090a0b0c0d0e0f before after paths k
	local events mon e1 e2

	RET=0
	# failoverInterval 3000: what is tested is the frames, not the speed
	# of failure detection. At 1000 the bond left a1 during the forgeries
	# in two full runs (once per kernel), never when this case ran alone
	# (6 of 6): the forged frames carry a MAC no path has, so the likely
	# cause is a stall of the guest while python3 starts under TCG.
	ztb_zt_topo 2 active-backup failoverInterval 3000 authKey "$key" ||
		{ check_err 1 "set-up failed"; log_test "forged frames"; return; }
	[[ $(ztb_bond_field "$NS_A" authenticated) == true ]]
	check_err $? "authKey set but bond not authenticated"
	slowwait 10 probes_at_least "$NS_A" a1 4
	check_err $? "authenticated peers do not probe each other"
	slowwait 10 is_active "$NS_A" a1
	check_err $? "before the forgeries: active link $(ztb_bond_field "$NS_A" active_link), not a1"
	# what changes meanwhile, for the verdict's reason
	events=$(mktemp)
	ip netns exec "$NS_A" "$ZTBONDCTL" monitor zb0 --json > "$events" 2>&1 &
	mon=$!
	paths=$(ztb_link_field "$NS_A" a1 paths)
	before=$(ztb_link_field "$NS_A" a1 ctl_auth_fail)
	# another member on the segment of a1, without the key
	for k in hello hello-badtag probe; do
		ip netns exec "$NS_B" python3 "$FORGE" b1 "$k" --count 20 \
			--dst "$(ip -n "$NS_A" -j link show a1 | jq -r '.[0].address')"
	done
	sleep 1
	after=$(ztb_link_field "$NS_A" a1 ctl_auth_fail)
	[[ $((after - before)) -ge 60 ]]
	check_err $? "forged frames not counted as failed authentication ($before -> $after)"
	[[ $(ztb_link_field "$NS_A" a1 paths) -eq $paths ]]
	check_err $? "a forged HELLO created a path"
	before=$(ztb_link_field "$NS_A" a1 ctl_bad)
	ip netns exec "$NS_B" python3 "$FORGE" b1 truncated --count 30
	ip netns exec "$NS_B" python3 "$FORGE" b1 badversion --count 10
	sleep 1
	after=$(ztb_link_field "$NS_A" a1 ctl_bad)
	[[ $((after - before)) -ge 40 ]]
	check_err $? "malformed frames not counted ($before -> $after)"
	kill "$mon" 2>/dev/null
	wait "$mon" 2>/dev/null
	is_active "$NS_A" a1 && [[ $(ztb_link_field "$NS_A" a1 state) == up ]]
	check_err $? "forged frames changed the bond: active $(ztb_bond_field "$NS_A" active_link), a1 $(ztb_link_field "$NS_A" a1 state), events: $(jq -c '[.time, .event, .link, .state, .active_link] | map(select(. != null))' "$events" | tr '\n' ' ')"
	rm -f "$events"
	ztb_ping "$NS_A" 10.0.0.2 3
	check_err $? "no traffic after the forgeries"
	# garbage from the peer's own MAC spoils that path's error ratio (a
	# member can only send with its own MAC on ZeroTier), not the other's
	ip netns exec "$NS_B" python3 "$FORGE" b1 truncated --count 30 \
		--src "$(ip -n "$NS_B" -j link show b1 | jq -r '.[0].address')"
	sleep 1
	e1=$(ztb_link_field "$NS_A" a1 error_ratio)
	e2=$(ztb_link_field "$NS_A" a2 error_ratio)
	# (a healthy path may see a stale probe reply under TCG: not 0)
	ztb_fcmp "$e1" ">" 0.05 && ztb_fcmp "$e2" "<" 0.05
	check_err $? "error_ratio after 30 bad frames from b1's MAC: a1 $e1 (expected above 0.05), a2 $e2 (expected below 0.05)"

	# keys that differ: nothing is accepted, every frame is counted
	ztb_ctl "$NS_B" bond set zb0 authKey 0f0e0d0c0b0a09080706050403020100
	before=$(ztb_link_field "$NS_A" a2 ctl_auth_fail)
	sleep 2
	after=$(ztb_link_field "$NS_A" a2 ctl_auth_fail)
	[[ $after -gt $before ]]
	check_err $? "frames under another key accepted"
	log_test "authKey: forged, malformed and wrongly keyed control frames dropped and counted, bond unchanged"
}

# Without a key anyone may say HELLO: 5000 fake peers must not grow the
# path table past its bound, nor push out the real peer's path.
hello_flood()
{
	local real

	RET=0
	ztb_zt_topo 2 balance-rr failoverInterval 250 ||
		{ check_err 1 "set-up failed"; log_test "HELLO flood"; return; }
	slowwait 10 probes_at_least "$NS_A" a1 4
	real=$(ztb_link_field "$NS_A" a1 peer)
	ip netns exec "$NS_B" python3 "$FORGE" b1 hello-flood --count 5000
	sleep 1
	[[ $(ztb_link_field "$NS_A" a1 paths) -le 8 ]]
	check_err $? "path table grew to $(ztb_link_field "$NS_A" a1 paths)"
	[[ $(ztb_link_field "$NS_A" a1 peer) == "$real" && $(ztb_link_field "$NS_A" a1 state) == up ]]
	check_err $? "the real peer's path was pushed out ($(ztb_link_field "$NS_A" a1 peer))"
	echo "    after 5000 fake HELLOs: $(ztb_link_field "$NS_A" a1 paths) paths, $(ztb_link_field "$NS_A" a1 ctl_bad) refused for a full table"
	ztb_ping "$NS_A" 10.0.0.2 3
	check_err $? "no traffic after the flood"
	log_test "HELLO flood from 5000 fake peers: path table bounded, real peer kept"
}

ztb_require_root
ztb_require_module
ztb_require_ctl
ztb_require_cmd jq tc python3
trap ztb_cleanup EXIT
tests_run
ztb_exit
