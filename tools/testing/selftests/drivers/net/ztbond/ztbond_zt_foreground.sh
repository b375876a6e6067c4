#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "ztbondctl zt up --foreground" with the bond (see zt_lib.sh for the
# namespaces): a member killed with SIGKILL is restarted with the same
# identity, its tap re-enslaved, a client reaches the bond again, and
# SIGTERM to the supervisor deletes the bond and stops the members.

ALL_TESTS="
	zt_foreground_restarts
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

trap zt_cleanup EXIT

zt_require
zt_setup || { echo "setup failed"; exit "$ksft_fail"; }

tests_run

ztb_exit
