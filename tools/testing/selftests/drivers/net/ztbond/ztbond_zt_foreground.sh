#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "ztbondctl zt up --foreground" with the bond (see zt_lib.sh for the
# namespaces): a member killed with SIGKILL is restarted with the same
# identity, its tap re-enslaved, a client reaches the bond again, and
# SIGTERM to the supervisor deletes the bond and stops the members.
# Under traffic: a client pings the bond every 10 ms while the member
# whose MAC it learned is killed; the member's link is back within 5 s and
# the longest pause in the client's replies is at most the bond's
# failoverInterval.

ALL_TESTS="
	zt_foreground_restarts
	zt_foreground_kill_under_traffic
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh
# shellcheck source=zt_lib.sh
source "$(dirname "$(readlink -f "$0")")"/zt_lib.sh

zt_foreground_restarts()
{
	local fg rc t0 n0

	RET=0
	# shellcheck disable=SC2046
	ip netns exec "$HUB" "$ZTBONDCTL" zt $(up_args) --address 10.55.0.1/24 \
		--foreground > "$T/fg.log" 2>&1 &
	fg=$!
	slowwait 60 grep -q supervising "$T/fg.log"
	check_err $? "zt up --foreground did not come up: $(tail -n 5 "$T/fg.log")"
	start_client
	check_err $? "client member did not start: $(cat "$T/client.log")"
	ztb_wait_ping "$CLI" 10.55.0.1 30
	check_err $? "client cannot reach the bond under the supervisor"
	n0=$(nodes)
	kill -9 "$(awk 'NR == 1' "$T/h/ztbond0/member0/zerotier-one.pid")"
	t0=$SECONDS
	slowwait 20 grep -q 'member 0: back as pid' "$T/fg.log"
	check_err $? "member 0 not restarted: $(tail -n 5 "$T/fg.log")"
	[[ $(nodes) == "$n0" && $(links_json) == "ztbond0-0 ztbond0-1" ]]
	check_err $? "after the restart: node ids $n0 -> $(nodes), links $(links_json)"
	ztb_wait_ping "$CLI" 10.55.0.1 10
	check_err $? "client cannot reach the bond after the restart"
	echo "member 0 back and re-enslaved after $((SECONDS - t0)) s"
	kill -TERM "$fg"
	wait "$fg"
	rc=$?
	[[ $rc == 0 && $(procs) == 0 ]] && ! ip -n "$HUB" link show ztbond0 >/dev/null 2>&1
	check_err $? "SIGTERM to the supervisor (rc $rc) left processes ($(procs)) or the bond"
	log_test "zt up --foreground restarts a killed member and re-enslaves its tap; SIGTERM tears down"
}

# ms since the epoch
now_ms()
{
	echo $(($(date +%s%N) / 1000000))
}

# is tap $1 in the hub's bond?
enslaved()
{
	ip -n "$HUB" -o link show dev "$1" 2>/dev/null | grep -q "master ztbond0"
}

# Has the monitor writing to file $1 started listening? A bond change that
# changes nothing, repeated until the monitor reports one.
monitor_ready()
{
	ztb_ctl "$HUB" bond set ztbond0 packetsPerLink 64 > /dev/null 2>&1
	grep -q '"bond-change"' "$1"
}

# ms since the epoch of the first event in monitor file $1 for link $2 in
# state $3 at or after $4 (ms since the epoch)
event_ms()
{
	local t ms

	while read -r t; do
		ms=$(($(date -d "$t" +%s%N) / 1000000))
		((ms >= $4)) && { echo "$ms"; return 0; }
	done < <(jq -R -r --arg l "$2" --arg s "$3" \
		 'fromjson? | select(.link == $l and .state == $s) | .time' "$1")
	return 1
}

# the longest pause between two replies in "ping -D" output $1, in ms
longest_gap()
{
	awk -F'[][]' '/bytes from/ { t = $2 * 1000; if (n++ && t - last > max) max = t - last; last = t }
		      END { printf "%d\n", max }' "$1"
}

zt_foreground_kill_under_traffic()
{
	local fg fint mac link idx pid ping mon t0 t_tap t_in t_back t_up gap replies sent

	RET=0
	# failoverInterval set explicitly: the bound on the pause
	cat > "$T/fg.json" <<-EOF
	{ "settings": { "defaultBondingPolicy": "fast",
	    "policies": { "fast": { "basePolicy": "active-backup", "failoverInterval": 1000 } } } }
	EOF
	# shellcheck disable=SC2046
	ip netns exec "$HUB" "$ZTBONDCTL" zt $(up_args) --address 10.55.0.1/24 \
		--config "$T/fg.json" --foreground > "$T/fg2.log" 2>&1 &
	fg=$!
	slowwait 60 grep -q supervising "$T/fg2.log"
	check_err $? "zt up --foreground did not come up: $(tail -n 5 "$T/fg2.log")"
	if ! ip -n "$CLI" link show ztc > /dev/null 2>&1; then
		start_client
		check_err $? "client member did not start: $(cat "$T/client.log")"
	fi
	slowwait 30 zt_links_up "$HUB" 2
	check_err $? "links not up: $(ztb_ctl "$HUB" bond show ztbond0)"
	ztb_wait_ping "$CLI" 10.55.0.1 30
	check_err $? "client cannot reach the bond"
	fint=$(ztb_ctl "$HUB" --json bond show ztbond0 | jq -r '.failoverInterval')
	[[ $fint == 1000 ]]
	check_err $? "failoverInterval is $fint, not the configured 1000 ms"

	# the member the client sends to: the one whose MAC it learned
	mac=$(ip -n "$CLI" -j neigh show 10.55.0.1 | jq -r '.[0].lladdr // "none"')
	link=$(ztb_ctl "$HUB" --json bond show ztbond0 |
	       jq -r --arg m "$mac" '.links[] | select(.mac == $m) | .name')
	idx=${link##*-}
	[[ -n $link && -f $T/h/ztbond0/member$idx/zerotier-one.pid ]]
	check_err $? "the client's MAC for the bond ($mac) is no link's"
	pid=$(cat "$T/h/ztbond0/member$idx/zerotier-one.pid" 2>/dev/null)

	# the bond's events, for when the link is up in it again
	ip netns exec "$HUB" "$ZTBONDCTL" --json monitor ztbond0 > "$T/mon.json" 2>&1 &
	mon=$!
	slowwait 30 monitor_ready "$T/mon.json"
	check_err $? "the monitor did not start: $(cat "$T/mon.json")"

	ip netns exec "$CLI" ping -D -i 0.01 -W 1 -w 16 10.55.0.1 > "$T/stream.log" 2>&1 &
	ping=$!
	sleep 3
	t0=$(now_ms)
	kill -9 "$pid"
	# the phases: a new tap, enslaved, up in the bond
	slowwait 20 ip -n "$HUB" link show dev "$link" > /dev/null 2>&1
	t_tap=$(($(now_ms) - t0))
	slowwait 20 enslaved "$link"
	t_in=$(($(now_ms) - t0))
	slowwait 20 zt_links_up "$HUB" 2
	check_err $? "member $idx not back in the bond: $(tail -n 5 "$T/fg2.log")"
	t_back=$(($(now_ms) - t0))
	# the monitor's time stamp of the link's "up" is more precise than
	# polling (falls back to it)
	slowwait 5 event_ms "$T/mon.json" "$link" up "$t0" > /dev/null
	t_up=$(event_ms "$T/mon.json" "$link" up "$t0") && t_back=$((t_up - t0))
	kill "$mon" 2>/dev/null
	wait "$mon" 2>/dev/null
	slowwait 20 grep -q "member $idx: back as pid" "$T/fg2.log"
	check_err $? "the supervisor did not report member $idx back: $(tail -n 5 "$T/fg2.log")"
	wait "$ping"
	gap=$(longest_gap "$T/stream.log")
	replies=$(grep -c 'bytes from' "$T/stream.log")
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$T/stream.log")
	echo "    killed member $idx ($link, the client's MAC $mac) under a 10 ms ping: its tap back after $t_tap ms, enslaved after $t_in ms (polled), up in the bond after $t_back ms ($([[ -n $t_up ]] && echo "monitor event" || echo polled)); longest pause $gap ms (failoverInterval $fint ms); $replies of $sent replies"
	((t_back <= 5000))
	check_err $? "member $idx's link rejoined after $t_back ms, more than 5 s"
	((replies > 0 && gap <= fint))
	check_err $? "the client's traffic stopped for $gap ms, more than failoverInterval $fint ms"
	kill -TERM "$fg"
	wait "$fg"
	log_test "zt up --foreground: kill -9 of the member a client uses, under traffic: back within 5 s, no pause over failoverInterval"
}

trap zt_cleanup EXIT

zt_require
zt_setup || { echo "setup failed"; exit "$ksft_fail"; }

tests_run

ztb_exit
