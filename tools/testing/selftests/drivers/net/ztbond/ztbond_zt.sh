#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "ztbondctl zt" with the bond: members are ztsim (tools/testing/ztsim, the
# zerotier-one stand-in) in a hub namespace, talking over an underlay
# namespace; Central is ztsim's central.py. "zt up" creates the bond and
# enslaves the taps, a plain client member reaches the bond's address
# through the bridged members, "up" twice changes nothing, "down" leaves no
# bond, tap or process and keeps the identities; under --foreground a
# killed member is restarted and re-enslaved.

ALL_TESTS="
	zt_up_creates_bond
	zt_client_reaches_bond
	zt_status_shows_links
	zt_up_twice
	zt_down_and_up_again
	zt_foreground_restarts
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

NW=8056c2e21c00b0d1
ZTSIM=$ZTBOND_ROOT/tools/testing/ztsim/ztsim
CENTRAL=$ZTBOND_ROOT/tools/testing/ztsim/central.py
T=
CENTRAL_PID=
CLIENT_PID=

cleanup()
{
	local f

	if [[ -n $T ]]; then
		for f in "$T"/h/*/member*/zerotier-one.pid "$T"/client/zerotier-one.pid; do
			[[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null
		done
	fi
	[[ -n $CENTRAL_PID ]] && kill "$CENTRAL_PID" 2>/dev/null
	sleep 0.3
	cleanup_all_ns
	[[ -n $T ]] && rm -rf "$T"
}

zt()
{
	ztb_ctl "$HUB" zt "$@"
}

up_args()
{
	echo up --network "$NW" --count 2 --home "$T/h" --zerotier-one "$ZTSIM" \
		--central-token-file "$T/token" --central-url "http://127.0.0.1:$CPORT" \
		--timeout 30
}

nodes() { cut -c1-10 "$T"/h/ztbond0/member*/identity.public 2>/dev/null | tr '\n' ' '; }
pids() { awk 1 "$T"/h/ztbond0/member*/zerotier-one.pid 2>/dev/null | tr '\n' ' '; }

# live ztsim processes of this test's hub homes
procs()
{
	local n=0 p

	for p in /proc/[0-9]*; do
		[[ $(readlink "$p/exe" 2>/dev/null) == "$(readlink -f "$ZTSIM")" ]] || continue
		tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q "$T/h/" && n=$((n + 1))
	done
	echo $n
}

links_json()
{
	ztb_ctl "$HUB" --json bond show ztbond0 2>/dev/null |
		python3 -c 'import json,sys; print(" ".join(sorted(l["name"] for l in json.load(sys.stdin)["links"])))' 2>/dev/null
}

setup()
{
	T=$(mktemp -d) || return 1
	export ZTSIM_STATE=$T/state
	mkdir -p "$ZTSIM_STATE"
	setup_ns UL HUB CLI || return 1
	echo "$UL" > "$ZTSIM_STATE/underlay-netns"
	echo "central-token" > "$T/token"
	ip netns exec "$HUB" python3 "$CENTRAL" --state "$ZTSIM_STATE" \
		--token-file "$T/token" --port-file "$T/central.port" \
		2>"$T/central.log" &
	CENTRAL_PID=$!
	slowwait 10 test -s "$T/central.port" || return 1
	CPORT=$(cat "$T/central.port")
}

zt_up_creates_bond()
{
	local out

	RET=0
	# shellcheck disable=SC2046
	out=$(zt $(up_args) --address 10.55.0.1/24 --address fd55::1/64 --pin 2>&1)
	check_err $? "zt up failed: $out"
	ip -n "$HUB" -d link show ztbond0 2>/dev/null | grep -qw ztbond
	check_err $? "no ztbond device ztbond0 after zt up: $out"
	[[ $(links_json) == "ztbond0-0 ztbond0-1" ]]
	check_err $? "bond links are '$(links_json)', not the two taps"
	grep -q 'set as active bridge' <<< "$out"
	check_err $? "members not set as bridges: $out"
	ip -n "$HUB" addr show dev ztbond0 | grep -q 'inet 10.55.0.1/24' &&
		ip -n "$HUB" addr show dev ztbond0 | grep -q 'inet6 fd55::1/64'
	check_err $? "--address not on the bond: $(ip -n "$HUB" addr show dev ztbond0)"
	log_test "zt up: two members, bond created, taps enslaved, bridges set, addresses"
}

zt_client_reaches_bond()
{
	RET=0
	mkdir -p "$T/client/networks.d"
	echo "$NW=ztc" > "$T/client/devicemap"
	: > "$T/client/networks.d/$NW.conf"
	ip netns exec "$CLI" "$ZTSIM" -U -d -p9993 "$T/client" 2>"$T/client.log"
	check_err $? "client member did not start: $(cat "$T/client.log")"
	slowwait 20 ip -n "$CLI" link show ztc >/dev/null 2>&1
	check_err $? "client tap ztc did not appear"
	ip -n "$CLI" addr add 10.55.0.2/24 dev ztc
	ztb_wait_ping "$CLI" 10.55.0.1 30
	check_err $? "client cannot ping the bond's address through the bridged members"
	ztb_ping "$CLI" 10.55.0.1 5
	check_err $? "pings from the client to the bond are lost"
	log_test "a client member reaches the bond's IPv4 address (ARP via bridges)"
}

zt_status_shows_links()
{
	local out

	RET=0
	out=$(zt status --home "$T/h" --json)
	check_err $? "zt status --json failed"
	python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["bondExists"], d
assert [m["link"] for m in d["members"]] == ["up", "up"], d
assert all(m["running"] and m["bridge"] and m["networkStatus"] == "OK" for m in d["members"]), d
' <<< "$out"
	check_err $? "status does not show both members running, bridged, OK and their links up: $out"
	log_test "zt status: per member process, network, bridge and link state"
}

zt_up_twice()
{
	local p0 out

	RET=0
	p0=$(pids)
	# shellcheck disable=SC2046
	out=$(zt $(up_args) --address 10.55.0.1/24 --address fd55::1/64 2>&1)
	check_err $? "second zt up failed: $out"
	[[ $(pids) == "$p0" && $(procs) == 2 && $(links_json) == "ztbond0-0 ztbond0-1" ]]
	check_err $? "second up changed processes ($p0 -> $(pids), $(procs) running) or links ($(links_json))"
	log_test "zt up twice starts nothing and enslaves nothing new"
}

zt_down_and_up_again()
{
	local n0 out

	RET=0
	n0=$(nodes)
	out=$(zt down --home "$T/h" 2>&1)
	check_err $? "zt down failed: $out"
	! ip -n "$HUB" link show ztbond0 >/dev/null 2>&1
	check_err $? "bond still there after down"
	[[ $(procs) == 0 && $(ip -n "$HUB" -o link | grep -c 'ztbond0-') == 0 ]]
	check_err $? "processes ($(procs)) or taps left after down"
	# shellcheck disable=SC2046
	out=$(zt $(up_args) 2>&1)
	check_err $? "zt up after down failed: $out"
	[[ $(nodes) == "$n0" && $(links_json) == "ztbond0-0 ztbond0-1" ]]
	check_err $? "node ids changed ($n0 -> $(nodes)) or links wrong ($(links_json))"
	kill -9 "$(awk 'NR == 1' "$T/h/ztbond0/member0/zerotier-one.pid")"
	sleep 0.5
	out=$(zt down --home "$T/h" 2>&1)
	check_err $? "zt down after a member was killed failed: $out"
	[[ $(procs) == 0 ]] && ! ip -n "$HUB" link show ztbond0 >/dev/null 2>&1
	check_err $? "down after a kill left processes or the bond"
	log_test "zt down removes bond, taps, processes; up again keeps node ids"
}

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

trap cleanup EXIT

ztb_require_root
ztb_require_module
ztb_require_ctl
ztb_require_cmd ip python3
[[ -x $ZTSIM ]] || ztb_skip "ztsim not built ($ZTSIM; make ztsim)"
# taps: tun is a module in Debian's kernels, and nothing here loads it
# on demand for /dev/net/tun
modprobe -q tun 2>/dev/null
[[ -c /dev/net/tun ]] || ztb_skip "no /dev/net/tun"
setup || { echo "setup failed"; exit "$ksft_fail"; }

tests_run

ztb_exit
