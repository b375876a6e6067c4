#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of demo.sh: two namespaces bonded over two veth links with
# active-backup, traffic, counters, failover. Narrated on the console.

source "$ZTBOND_ROOT/tools/testing/selftests/drivers/net/ztbond/lib.sh" || exit 1

step=0
say()
{
	step=$((step + 1))
	printf '\n=== %d. %s\n' "$step" "$*"
}

note()
{
	printf '    %s\n' "$*"
}

# run CMD...: show the command, run it, indent its output.
run()
{
	printf '  $ %s\n' "$*"
	"$@" 2>&1 | sed 's/^/    /'
	return "${PIPESTATUS[0]}"
}

# in NS CMD...: like run, inside a namespace, shown as "[A] cmd".
in_ns()
{
	local ns=$1 tag=$2; shift 2

	printf '  [%s] $ %s\n' "$tag" "$*"
	ip netns exec "$ns" "$@" 2>&1 | sed 's/^/    /'
	return "${PIPESTATUS[0]}"
}

counters()
{
	printf '  per-link counters in A (/sys/class/net/*/statistics):\n'
	ztb_counters "$NS_A" zb0 "${ZTB_LINKS_A[@]}" | sed 's/^/    /'
}

trap ztb_cleanup EXIT

if [[ ${ZTB_MODLOAD:-} != ok ]]; then
	echo "The ztbond module is not loaded (${ZTB_MODLOAD:-unknown}); nothing to show."
	exit 1
fi

have_ctl=
[[ -x $ZTBONDCTL ]] && have_ctl=1

say "Topology: namespaces A and B, veth links a1-b1 and a2-b2, a ztbond 'zb0' in each"
if [[ -n $have_ctl ]]; then
	note "bonds created with: ztbondctl bond add zb0 policy active-backup"
	policy=active-backup
else
	note "ztbondctl is not built: bonds created with 'ip link add zb0 type ztbond' (default policy)"
	policy=
fi
note "links enslaved with: ip link set aN master zb0; 10.0.0.1/24 on A's zb0, 10.0.0.2/24 on B's"
if ! ztb_topo_create "$policy" 2; then
	echo "topology set-up failed"
	exit 1
fi
in_ns "$NS_A" A ip -br link show
in_ns "$NS_A" A ip -d link show zb0
if [[ -n $have_ctl ]]; then
	in_ns "$NS_A" A "$ZTBONDCTL" bond show zb0
fi

say "Ping from A to B over the bond"
ztb_wait_ping "$NS_A" 10.0.0.2 20 || note "(no answer yet)"
in_ns "$NS_A" A ping -c 5 -i 0.2 10.0.0.2
counters

say "Which link carries the traffic? Send 20 pings and compare the links' tx counters"
active=$(ztb_busiest_link "$NS_A" ip netns exec "$NS_A" ping -q -c 20 -i 0.05 10.0.0.2)
note "active link in A: $active"
if [[ -n $have_ctl ]]; then
	in_ns "$NS_A" A "$ZTBONDCTL" --json bond show zb0 | grep -o '"active_link": *"[^"]*"' | sed 's/^/    ztbondctl says /'
fi
counters

say "Failure: take the active link $active down"
before=$(ztb_tx_packets "$NS_A" "$active")
in_ns "$NS_A" A ip link set "$active" down
in_ns "$NS_A" A ip -br link show

say "Ping keeps working"
in_ns "$NS_A" A ping -c 10 -i 0.2 -W 2 10.0.0.2
rc=$?
counters
after=$(ztb_tx_packets "$NS_A" "$active")
now=$(ztb_busiest_link "$NS_A" ip netns exec "$NS_A" ping -q -c 20 -i 0.05 10.0.0.2)
note "traffic is now on: $now (the failed link $active sent $((after - before)) packets since it went down)"
if [[ -n $have_ctl ]]; then
	in_ns "$NS_A" A "$ZTBONDCTL" bond show zb0
fi

say "Repair: bring $active back up"
in_ns "$NS_A" A ip link set "$active" up
ztb_wait_ping "$NS_A" 10.0.0.2 10
in_ns "$NS_A" A ping -c 3 -i 0.2 10.0.0.2
counters

printf '\n'
if ((rc == 0)) && [[ -n $now && $now != "$active" ]]; then
	echo "=== Result: ping survived the failure of $active; traffic moved to $now."
	exit 0
fi
echo "=== Result: failover did NOT work as expected (ping status $rc, traffic on '${now:-none}')."
exit 1
