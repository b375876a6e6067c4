#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "ztbondctl zt" with the bond: members are ztsim (tools/testing/ztsim, the
# zerotier-one stand-in) in a hub namespace, talking over an underlay
# namespace; Central is ztsim's central.py. "zt up" creates the bond and
# enslaves the taps, a plain client member reaches the bond's address
# through the bridged members, "up" twice changes nothing, "down" leaves no
# bond, tap or process and keeps the identities. --foreground:
# ztbond_zt_foreground.sh.

ALL_TESTS="
	zt_up_creates_bond
	zt_client_reaches_bond
	zt_status_shows_links
	zt_up_twice
	zt_down_and_up_again
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

# shellcheck source=zt_lib.sh
source "$(dirname "$(readlink -f "$0")")"/zt_lib.sh

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
	start_client
	check_err $? "client member with tap ztc did not start: $(cat "$T/client.log")"
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
	# --config: a bad file stops "up" before anything starts; a good one
	# is applied once the taps are in the bond
	printf '{ "settings": { "defaultBondingPolicy": "balance-rr",\n  "balance-rr": { "packetsPerLink": 0, "links": { "ztbond0-0": {}, "ztbond0-9": {} } } } }\n' > "$T/bad.json"
	printf '{ "settings": { "defaultBondingPolicy": "ab",\n  "policies": { "ab": { "basePolicy": "active-backup", "failoverInterval": 750,\n    "links": { "ztbond0-1": { "mode": "primary" }, "ztbond0-0": {} } } } } }\n' > "$T/good.json"
	# shellcheck disable=SC2046
	out=$(zt $(up_args) --config "$T/nosuch.json" 2>&1)
	check_fail $? "zt up with a missing --config file succeeded"
	grep -q "nosuch.json" <<< "$out"
	check_err $? "missing config file not named: $out"
	[[ $(procs) == 0 ]] && ! ip -n "$HUB" link show ztbond0 >/dev/null 2>&1
	check_err $? "zt up with a missing config started something"
	# shellcheck disable=SC2046
	out=$(zt $(up_args) --config "$T/bad.json" 2>&1)
	check_fail $? "zt up with a config naming a tap that is not a member succeeded"
	[[ $(procs) == 0 ]] && ! ip -n "$HUB" link show ztbond0 >/dev/null 2>&1
	check_err $? "a refused --config left processes ($(procs)) or the bond: $out"
	# shellcheck disable=SC2046
	out=$(zt $(up_args) --config "$T/good.json" 2>&1)
	check_err $? "zt up after down failed: $out"
	[[ $(nodes) == "$n0" && $(links_json) == "ztbond0-0 ztbond0-1" ]]
	check_err $? "node ids changed ($n0 -> $(nodes)) or links wrong ($(links_json))"
	[[ $(ztb_ctl "$HUB" --json bond show ztbond0 | jq -c '[.policy, .policyName, .failoverInterval, (.links[] | select(.name == "ztbond0-1") | .mode)]') == \
	   '["active-backup","ab",750,"primary"]' ]]
	check_err $? "--config not applied: $(ztb_ctl "$HUB" --json bond show ztbond0 | jq -c '{policy, policyName, failoverInterval}')"
	kill -9 "$(awk 'NR == 1' "$T/h/ztbond0/member0/zerotier-one.pid")"
	sleep 0.5
	out=$(zt down --home "$T/h" 2>&1)
	check_err $? "zt down after a member was killed failed: $out"
	[[ $(procs) == 0 ]] && ! ip -n "$HUB" link show ztbond0 >/dev/null 2>&1
	check_err $? "down after a kill left processes or the bond"
	log_test "zt down removes bond, taps, processes; up again keeps node ids; --config checked first, applied after"
}

trap zt_cleanup EXIT

zt_require
zt_setup || { echo "setup failed"; exit "$ksft_fail"; }

tests_run

ztb_exit
