#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Netlink fuzzing of the "ztbond" generic netlink family (nlfuzz.py) in the
# namespace of a bond that carries traffic, then: no splat, the bond still
# forwards and is shown by ztbondctl, the fuzzer's bonds are gone, and the
# module unloads cleanly (and is loaded again for the other tests). The
# fuzzer also aims at the ifindexes of the devices of the peer namespace,
# whose bonds must come out of it unchanged: zb0, and zb1 over a dummy,
# made with ifindexes that no device of the fuzzer's namespace has.
#
# NLFUZZ_SEED (default 1) and NLFUZZ_COUNT (default 50000; 1000000 with
# ZTBOND_STRESS, "make stress") reproduce or extend a run:
# ./ztbond_nlfuzz.sh with NLFUZZ_SEED=N.

ALL_TESTS="
	fuzz
	other_namespace
	forwards
	no_leak
	module_unload
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

NLFUZZ=$ZTB_LIB_DIR/nlfuzz.py
: "${NLFUZZ_SEED:=1}"
[[ -n ${ZTBOND_STRESS:-} ]] && : "${NLFUZZ_COUNT:=1000000}"
: "${NLFUZZ_COUNT:=50000}"
FLOOD_PID=
DMESG_START=0
STATE_B=

splats()
{
	dmesg | tail -n +"$((DMESG_START + 1))" |
		grep -E 'Oops|WARNING:|BUG:|Call Trace|refcount_t|unregister_netdevice: waiting'
}

# What a request from another namespace must never change: B's bonds,
# their configuration, identity and links.
state_b()
{
	local b

	for b in zb0 zb1; do
		ztb_ctl "$NS_B" config dump "$b"
		ztb_ctl "$NS_B" --json bond show "$b" | jq -c '[.bond_id, [.links[].name]]'
	done
}

# ifindexes of NS's devices, comma-separated
ifindexes()
{
	ip -n "$1" -j link show | jq -r '[.[] | select(.ifname != "lo") | .ifindex] | join(",")'
}

fuzz()
{
	local out rc sent t0 foreign

	RET=0
	out=$(mktemp)
	STATE_B=$(state_b)
	foreign=$(ifindexes "$NS_B")
	echo "# ifindexes of $NS_B aimed at from $NS_A: $foreign"
	# traffic through the bond while fuzzing
	ip netns exec "$NS_A" ping -f -q -s 600 -w $((600 + NLFUZZ_COUNT / 50)) 10.0.0.2 >/dev/null 2>&1 &
	FLOOD_PID=$!
	t0=$SECONDS
	ip netns exec "$NS_A" python3 "$NLFUZZ" --seed "$NLFUZZ_SEED" \
		--count "$NLFUZZ_COUNT" --bond zb0 --links a1,a2 --extra x1,x2 \
		--foreign "$foreign" > "$out" 2>&1
	rc=$?
	kill "$FLOOD_PID" 2>/dev/null
	wait "$FLOOD_PID" 2>/dev/null
	FLOOD_PID=
	sed 's/^/# /' "$out"
	echo "# nlfuzz: $((SECONDS - t0)) s wall"
	check_err $rc "nlfuzz exited with $rc"
	sent=$(sed -n 's/^nlfuzz: sent \([0-9]*\) messages.*/\1/p' "$out")
	rm -f "$out"
	[[ ${sent:-0} -ge $NLFUZZ_COUNT ]]
	check_err $? "only ${sent:-0} of $NLFUZZ_COUNT messages sent"
	[[ -z $(splats) ]]
	check_err $? "kernel splat during fuzzing: $(splats | head -5)"
	log_test "netlink fuzz: ${sent:-0} messages, no crash"
}

other_namespace()
{
	local now

	RET=0
	now=$(state_b)
	[[ -n $STATE_B && $now == "$STATE_B" ]]
	check_err $? "the bond of $NS_B changed: before: $STATE_B; after: $now"
	log_test "the bond of another namespace is unchanged by fuzzing"
}

# Put the bond back into a known configuration: whatever the fuzzer left,
# defaults must make it forward again.
restore()
{
	local l

	ip -n "$NS_A" link show zb0 >/dev/null 2>&1 || ztb_bond_add "$NS_A" zb0
	ztb_ctl "$NS_A" bond set zb0 policy none packetsPerLink 64 failoverInterval 5000 \
		upDelay 0 downDelay 0 linkSelectMethod always || return 1
	# the fuzzer may have enslaved other devices (x1, x2, lo, ...)
	for l in $(ip -n "$NS_A" -o link show master zb0 | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
		[[ $l == a1 || $l == a2 ]] || ip -n "$NS_A" link set "$l" nomaster || return 1
	done
	for l in a1 a2; do
		# release and enslave again: default per-link settings
		ip -n "$NS_A" link set "$l" nomaster 2>/dev/null
		ip -n "$NS_A" link set "$l" master zb0 || return 1
		ip -n "$NS_A" link set "$l" up || return 1
	done
	ip -n "$NS_A" addr replace 10.0.0.1/24 dev zb0 || return 1
	ip -n "$NS_A" link set zb0 up
}

diag()
{
	{
		ztb_ctl "$NS_A" --json bond show zb0
		ip -n "$NS_A" -d -s link show
		ip -n "$NS_A" neigh
		ip -n "$NS_B" neigh
		ztb_ctl "$NS_B" bond show zb0
	} 2>&1 | sed 's/^/#   /'
}

forwards()
{
	local out

	RET=0
	if ztb_ping "$NS_A" 10.0.0.2 2; then
		echo "# before restoring the configuration, zb0 forwards"
	else
		echo "# before restoring the configuration, zb0 does not forward:"
		diag
	fi
	restore
	check_err $? "could not restore the bond's configuration"
	ztb_wait_ping "$NS_A" 10.0.0.2 20
	check_err $? "no ping through zb0 after fuzzing"
	((RET)) && diag
	ztb_ping "$NS_A" 10.0.0.2 5
	check_err $? "ping through zb0 loses packets after fuzzing"
	out=$(ztb_ctl "$NS_A" bond show zb0 2>&1)
	check_err $? "ztbondctl bond show zb0 failed: $out"
	grep -q a1 <<< "$out" && grep -q a2 <<< "$out"
	check_err $? "zb0 lacks its links: $out"
	log_test "bond forwards after fuzzing"
}

no_leak()
{
	local left

	RET=0
	left=$(ip -n "$NS_A" -o link show type ztbond | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
		grep -vx zb0)
	[[ -z $left ]]
	check_err $? "ztbond devices left by the fuzzer: $left"
	log_test "no bonds leaked by the fuzzer"
}


module_unload()
{
	local out others

	RET=0
	others=$(ztb_other_bonds)
	if [[ -n $others ]]; then
		log_test_skip "module unloads after fuzzing" "other ztbond devices exist"
		return
	fi
	cleanup_all_ns
	out=$(timeout 120 modprobe -r ztbond 2>&1 || timeout 60 rmmod ztbond 2>&1)
	check_err $? "module unload failed: $out"
	[[ ! -d /sys/module/ztbond ]]
	check_err $? "ztbond still loaded after modprobe -r"
	modprobe ztbond 2>/dev/null ||
		{ [[ -n ${ZTBOND_KO:-} && -f $ZTBOND_KO ]] && insmod "$ZTBOND_KO"; }
	[[ -d /sys/module/ztbond ]]
	check_err $? "ztbond could not be loaded again"
	[[ -z $(splats) ]]
	check_err $? "kernel splat while unloading: $(splats | head -5)"
	log_test "module unloads after fuzzing"
}

cleanup()
{
	[[ -n $FLOOD_PID ]] && kill "$FLOOD_PID" 2>/dev/null
	ztb_cleanup
}

ztb_require_root
ztb_require_module
ztb_require_ctl
ztb_require_cmd python3 ping jq
trap cleanup EXIT
DMESG_START=$(dmesg | wc -l)
ztb_topo_create || ztb_skip "topology set-up failed"
ip -n "$NS_A" link add x1 type veth peer name x2 || ztb_skip "veth failed"
ip -n "$NS_A" link set x1 up
ip -n "$NS_A" link set x2 up
# in B, a bond and a link whose ifindexes exist only there
ip -n "$NS_B" link add d1 index 4243 type dummy &&
	ip -n "$NS_B" link add zb1 index 4242 type ztbond &&
	ip -n "$NS_B" link set d1 master zb1 || ztb_skip "zb1 in $NS_B failed"
ztb_wait_ping "$NS_A" 10.0.0.2 20 || ztb_skip "no ping through the bond before fuzzing"
tests_run
ztb_exit
