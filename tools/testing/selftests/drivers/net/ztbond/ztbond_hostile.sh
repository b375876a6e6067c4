#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hostile frames: a raw socket on the wire side of link a1 (A's end of the
# a1-b1 veth, so B receives whatever it sends as if from another member of
# the segment) injects malformed, truncated and forged DATA and control
# frames at B while A pings B every 10 ms. Both bonds run balance-rr with
# dataHeader, so the real traffic is ordered DATA frames through B's
# reorder window. Checked: every malformed frame is dropped and counted as
# ctl_bad (exactly), nothing malformed reaches B's stack, well-formed
# frames with extreme field values are delivered once each, replays (plain
# and ordered) are dropped and counted in dedup_dropped, the reorder
# counters say what the doc says, ordered frames from 1000 made-up bonds
# leave the real sender working, a HELLO flood keeps the path table within
# 8, the bonds' settings are unchanged, and the ping stream barely
# notices; then, with authKey (a settings change of its own, so after the
# ping is judged), forged DATA frames are counted as ctl_auth_fail. The
# harness checks dmesg for the rest.

ALL_TESTS="
	setup
	malformed_data
	extremes_delivered
	dedup_replay
	ordered_replay
	ordered_gap_late_wrap
	ordered_flood
	control_frames
	settings_unchanged
	traffic_kept_flowing
	authenticated_data
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

DFORGE=$ZTB_LIB_DIR/dataforge.py
CFORGE=$ZTB_LIB_DIR/ctlforge.py
PING_OUT=
PING_PID=
B1_MAC=
B_MAC=
CFG_B=

# forge KIND [ARGS...]: dataforge.py from A's side of a1 at B's b1; prints
# how many frames it sent
forge()
{
	local kind=$1; shift

	ip netns exec "$NS_A" python3 "$DFORGE" a1 "$kind" \
		--dst "$B1_MAC" --bond "$B_MAC" "$@"
}

# Udp NoPorts of B: the carried frames go to 10.0.0.2 port 9
noports()
{
	ip netns exec "$NS_B" awk '/^Udp:/ { if (h) { print $3; exit } h = 1 }' \
		/proc/net/snmp
}

b1()
{
	ztb_link_field "$NS_B" b1 "$1"
}

bfield()
{
	ztb_bond_field "$NS_B" "$1"
}

# the guest's slab in kB (the module allocates nothing per frame or peer)
slab_kb()
{
	awk '/^Slab:/ { print $2 }' /proc/meminfo
}

# b_takes_order: A heard B take ordered DATA frames on both links
b_takes_order()
{
	[[ $(ztb_ctl "$NS_A" --json peer list zb0 2>/dev/null |
	     jq '[.. | objects | select(has("alive") and .alive == true and .data == true) | .link] | unique | length') -eq 2 ]]
}

# expect WHAT GOT WANT: check_err unless equal
expect()
{
	[[ $2 -eq $3 ]]
	check_err $? "$1: $2, expected $3"
}

setup()
{
	RET=0
	ztb_topo_destroy
	ztb_topo_create balance-rr 2 &&
	ztb_ctl "$NS_A" bond set zb0 dataHeader true &&
	ztb_ctl "$NS_B" bond set zb0 dataHeader true &&
	ztb_wait_ping "$NS_A" 10.0.0.2 20
	check_err $? "set-up failed"
	slowwait 20 b_takes_order
	check_err $? "A never heard B take ordered DATA frames on both links"
	B1_MAC=$(ip -n "$NS_B" -j link show b1 | jq -r '.[0].address')
	B_MAC=$(ip -n "$NS_B" -j link show zb0 | jq -r '.[0].address')
	CFG_B=$(ztb_ctl "$NS_B" config dump zb0; ztb_bond_field "$NS_B" bond_id)
	PING_OUT=$(mktemp)
	ip netns exec "$NS_A" ping -q -i 0.01 -W 1 10.0.0.2 >"$PING_OUT" 2>&1 &
	PING_PID=$!
	log_test "hostile: two ztbonds, balance-rr with dataHeader, ping every 10 ms"
}

malformed_data()
{
	local bad0 auth0 np0 nb nr

	RET=0
	bad0=$(b1 ctl_bad)
	auth0=$(b1 ctl_auth_fail)
	np0=$(noports)
	nb=$(forge bad)
	nr=$(forge random --count 500)
	sleep 0.5
	echo "    $nb malformed DATA frames, $nr random payloads: ctl_bad $bad0 -> $(b1 ctl_bad)"
	expect "ctl_bad rise" $(($(b1 ctl_bad) - bad0)) $((nb + nr))
	expect "ctl_auth_fail rise" $(($(b1 ctl_auth_fail) - auth0)) 0
	expect "malformed frames delivered" $(($(noports) - np0)) 0
	log_test "malformed DATA (truncated, len, short inner frame, flags, UDP length, checksum, hop limit, every field) and random bytes: dropped, each counted in ctl_bad"
}

extremes_delivered()
{
	local bad0 np0 n

	RET=0
	bad0=$(b1 ctl_bad)
	np0=$(noports)
	n=$(forge extremes)
	sleep 0.5
	expect "well-formed frames with extreme fields delivered" $(($(noports) - np0)) "$n"
	expect "ctl_bad rise" $(($(b1 ctl_bad) - bad0)) 0
	log_test "DATA with bond_id, seq, ifindex, bond_mac, bond_seq at their extremes and an unchecked tag: delivered once each"
}

dedup_replay()
{
	local d0 np0 n

	RET=0
	d0=$(bfield dedup_dropped)
	np0=$(noports)
	n=$(forge replay --count 50 --id 0xd0d0)
	sleep 0.5
	echo "    $n copies of one DATA frame: delivered $(($(noports) - np0)), dedup_dropped +$(($(bfield dedup_dropped) - d0))"
	expect "copies delivered" $(($(noports) - np0)) 1
	expect "dedup_dropped rise" $(($(bfield dedup_dropped) - d0)) $((n - 1))
	log_test "replayed DATA frame: delivered once, the copies counted in dedup_dropped"
}

# Ordered frames skip the dedup window; a frame already delivered must not
# go up a second time as "late".
ordered_replay()
{
	local d0 np0 late0 n

	RET=0
	d0=$(bfield dedup_dropped)
	late0=$(bfield reorder_late)
	np0=$(noports)
	n=$(forge ordered-replay --count 50 --id 0x0dd0)
	sleep 0.5
	echo "    $n ordered frames, 10 of them new: delivered $(($(noports) - np0)), dedup_dropped +$(($(bfield dedup_dropped) - d0)), reorder_late +$(($(bfield reorder_late) - late0))"
	expect "ordered frames delivered" $(($(noports) - np0)) 10
	expect "dedup_dropped rise" $(($(bfield dedup_dropped) - d0)) $((n - 10))
	log_test "replayed ordered DATA frames: delivered once, the copies counted in dedup_dropped"
}

ordered_gap_late_wrap()
{
	local h0 l0 t0 d0 np0

	RET=0
	h0=$(bfield reorder_held)
	l0=$(bfield reorder_lost)
	t0=$(bfield reorder_late)
	np0=$(noports)
	forge ordered-gap --id 0x9a9 >/dev/null
	sleep 0.5	# reorderTimeout 50 ms gives the gap up
	# the real traffic may add to the reorder counters, never take away
	(($(bfield reorder_held) - h0 >= 2))
	check_err $? "frames 2 and 3 after the gap not counted as held"
	(($(bfield reorder_lost) - l0 >= 1))
	check_err $? "the gap at 1 not given up"
	expect "frames 0, 2, 3 delivered" $(($(noports) - np0)) 3
	d0=$(bfield dedup_dropped)
	forge ordered-late --id 0x9a9 >/dev/null
	sleep 0.3
	(($(bfield reorder_late) - t0 >= 1))
	check_err $? "frame 1 after its gap was given up not counted as late"
	expect "late frame 1 delivered" $(($(noports) - np0)) 4
	forge ordered-late --id 0x9a9 >/dev/null
	sleep 0.3
	expect "late frame 1 again delivered" $(($(noports) - np0)) 4
	expect "its copy counted in dedup_dropped" $(($(bfield dedup_dropped) - d0)) 1
	forge ordered-wrap --id 0x3a9 >/dev/null
	sleep 0.3
	expect "2^64-2, 2^64-1, 0, 1 delivered" $(($(noports) - np0)) 8
	log_test "ordered DATA: a gap is held, given up after reorderTimeout, the late frame delivered once; a sequence that wraps goes on"
}

ordered_flood()
{
	local out loss n paths s0

	RET=0
	s0=$(slab_kb)
	out=$(ip netns exec "$NS_A" ping -q -c 1000 -i 0.01 -W 1 10.0.0.2 2>&1 &
	      n=$(forge ordered-flood --count 4000); echo "flood $n"; wait)
	n=$(sed -n 's/^flood //p' <<< "$out")
	loss=$(grep -o '[0-9.]*% packet loss' <<< "$out" | tr -dc 0-9.)
	echo "    $n ordered frames from 1000 made-up bonds during 1000 pings: ${loss}% lost; B held $(bfield reorder_held) lost $(bfield reorder_lost) late $(bfield reorder_late); slab $s0 -> $(slab_kb) kB"
	ztb_fcmp "${loss:-100}" "<=" 2
	check_err $? "the real traffic suffered: $out"
	ztb_ping "$NS_A" 10.0.0.2 20
	check_err $? "pings lost after the flood"
	paths=$(ztb_ctl "$NS_B" peer list zb0 --json | jq '[.[].paths[]] | length')
	((paths <= 16))
	check_err $? "B's peer table has $paths paths"
	[[ $(ztb_ctl "$NS_B" peer list zb0 --json | jq -r --arg id "$(ztb_bond_field "$NS_A" bond_id)" \
		'[.[] | select(.peer_id == $id) | .paths[] | select(.alive)] | length') -eq 2 ]]
	check_err $? "B lost its live paths to A"
	log_test "ordered DATA from 1000 made-up bonds (reorder table of 8): bounded, real sender keeps working"
}

# The control frame kinds of ctlforge.py, at B, without a key.
control_frames()
{
	local bad0 rep0 real s0

	RET=0
	bad0=$(b1 ctl_bad)
	rep0=$(b1 ctl_replay)
	ip netns exec "$NS_A" python3 "$CFORGE" a1 truncated --count 30
	ip netns exec "$NS_A" python3 "$CFORGE" a1 badversion --count 10
	ip netns exec "$NS_A" python3 "$CFORGE" a1 replay --count 10
	sleep 0.5
	expect "truncated and bad version in ctl_bad" $(($(b1 ctl_bad) - bad0)) 40
	expect "replayed HELLOs in ctl_replay" $(($(b1 ctl_replay) - rep0)) 9
	real=$(b1 peer)
	bad0=$(b1 ctl_bad)
	s0=$(slab_kb)
	ip netns exec "$NS_A" python3 "$CFORGE" a1 hello-flood --count 2000
	sleep 0.5
	echo "    2000 fake HELLOs: b1 has $(b1 paths) paths, $(($(b1 ctl_bad) - bad0)) refused for a full table; slab $s0 -> $(slab_kb) kB"
	(($(b1 paths) <= 8))
	check_err $? "path table grew to $(b1 paths)"
	(($(b1 ctl_bad) - bad0 >= 1900 && $(b1 ctl_bad) - bad0 <= 2000))
	check_err $? "refused HELLOs not counted: $(($(b1 ctl_bad) - bad0))"
	[[ $(b1 peer) == "$real" ]]
	check_err $? "the real peer's path was pushed out ($(b1 peer))"
	log_test "control frames: truncated, bad version, replayed and 2000 fake peers' HELLOs counted; path table bounded, real peer kept"
}

settings_unchanged()
{
	local now

	RET=0
	now=$(ztb_ctl "$NS_B" config dump zb0; ztb_bond_field "$NS_B" bond_id)
	[[ $now == "$CFG_B" ]]
	check_err $? "B's settings changed: $(diff <(echo "$CFG_B") <(echo "$now"))"
	log_test "hostile frames changed none of B's settings"
}

authenticated_data()
{
	local key=000102030405060708090a0b0c0d0e0f a0 np0 n

	RET=0
	ztb_ctl "$NS_A" bond set zb0 authKey "$key" &&
	ztb_ctl "$NS_B" bond set zb0 authKey "$key"
	check_err $? "cannot set authKey"
	ztb_wait_ping "$NS_A" 10.0.0.2 10
	a0=$(b1 ctl_auth_fail)
	np0=$(noports)
	n=$(forge extremes)
	n=$((n + $(forge ordered-wrap --id 0xa0a0)))
	n=$((n + $(forge replay --count 5 --id 0xa1a1)))
	sleep 0.5
	expect "forged DATA in ctl_auth_fail" $(($(b1 ctl_auth_fail) - a0)) "$n"
	expect "forged DATA delivered" $(($(noports) - np0)) 0
	ztb_ping "$NS_A" 10.0.0.2 10
	check_err $? "no traffic with the key"
	log_test "authKey: DATA frames without a tag or with a wrong one dropped and counted in ctl_auth_fail"
}

traffic_kept_flowing()
{
	local sent recv

	RET=0
	kill -INT "$PING_PID"
	wait "$PING_PID"
	read -r sent recv < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$PING_OUT")
	echo "    background ping every 10 ms: $sent sent, $recv received"
	((sent > 500 && (sent - recv) * 100 <= 2 * sent))
	check_err $? "background ping: $(cat "$PING_OUT")"
	log_test "hostile: the real traffic kept flowing under all of it (at most 2% lost)"
}

cleanup()
{
	[[ -n $PING_PID ]] && kill "$PING_PID" 2>/dev/null
	rm -f "$PING_OUT"
	ztb_cleanup
}

trap cleanup EXIT

ztb_require_root
ztb_require_module
ztb_require_ctl
ztb_require_cmd jq python3 ping

tests_run

ztb_exit
