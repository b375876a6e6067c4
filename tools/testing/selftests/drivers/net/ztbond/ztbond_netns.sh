#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Permissions and network namespaces (issue "Hardening"):
#   - every changing ztbondctl command (bond add/del/set/rotate, link
#     add/del/set, config apply) is refused without CAP_NET_ADMIN -- root
#     with the capability dropped (setpriv, capsh) and an unprivileged user
#     -- with a message naming CAP_NET_ADMIN, and changes nothing; reading
#     (bond show, config dump, monitor) works;
#   - a bond is invisible to ztbondctl in another namespace (show, set, del,
#     events), even when that namespace has a bond of the same name;
#   - the owner of a user namespace manages bonds in its own network
#     namespace, but not those of a namespace it does not own;
#   - a link moved to another namespace leaves the bond (traffic stays on
#     the other link), and can come back;
#   - the bond itself cannot move (netns-local): refused, nothing changes;
#   - deleting a namespace that holds bonds, links and traffic leaks
#     nothing: no "unregister_netdevice: waiting", the module unloads.

ALL_TESTS="
	unprivileged_refused
	reads_unprivileged
	netns_isolation
	userns_owner
	link_moved_away
	bond_move_refused
	netns_deleted
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

TMPD=
FLOOD_PID=
DMESG_START=0
NS_C=""

splats()
{
	dmesg | tail -n +"$((DMESG_START + 1))" |
		grep -E 'Oops|WARNING:|BUG:|Call Trace|refcount_t|unregister_netdevice: waiting'
}

# The configuration of NS_A's zb0, without what changes by itself (counters,
# what the quality engine measures).
# ztbondctl in NS's network namespace, without "ip netns exec"'s mount
# namespace and sysfs remount (much cheaper under TCG)
nsctl()
{
	local ns=$1; shift

	nsenter --net="/run/netns/$ns" "$ZTBONDCTL" "$@"
}

state()
{
	nsctl "$NS_A" --json bond show zb0 | jq '
		del(.tx_packets, .rx_packets, .tx_bytes, .rx_bytes, .tx_dropped,
		    .rx_dropped, .flows, .flowMoves) |
		.links |= map(with_entries(select(.key | test(
			"_packets$|_bytes$|_dropped$|^ctl_|^probes|^rtt_echoes$|^loss_data_frames$|^capacity_|_ms$|_ratio$|^quality|^availability|^share|^paths$|^peer|^punished|^eligible") | not)))'
}

# Ways to run a command in NS_A without CAP_NET_ADMIN.
as_nocap_setpriv()
{
	nsenter --net="/run/netns/$NS_A" setpriv --inh-caps=-net_admin \
		--bounding-set=-net_admin "$@"
}

as_nocap_capsh()
{
	local q

	printf -v q '%q ' "$@"
	nsenter --net="/run/netns/$NS_A" capsh --drop=cap_net_admin -- -c "$q"
}

as_nobody()
{
	nsenter --net="/run/netns/$NS_A" setpriv --reuid=65534 --regid=65534 \
		--clear-groups --inh-caps=-all "$@"
}

RUNNERS="as_nocap_setpriv as_nocap_capsh as_nobody"

# refused RUNNER ARGS...: ztbondctl ARGS run by RUNNER fails with a message
# naming CAP_NET_ADMIN, prints nothing on stdout, changes nothing.
refused()
{
	local who=$1 after out err rc; shift

	# STATE: the state after the previous case
	out=$("$who" "$ZTBONDCTL" "$@" 2>"$TMPD/err")
	rc=$?
	err=$(cat "$TMPD/err")
	after=$(state)
	((rc != 0))
	check_err $? "$who: ztbondctl $* accepted"
	grep -q "CAP_NET_ADMIN" <<< "$err"
	check_err $? "$who: ztbondctl $*: no CAP_NET_ADMIN message: $err"
	[[ -z $out ]]
	check_err $? "$who: ztbondctl $*: stdout says: $out"
	[[ $STATE == "$after" ]]
	check_err $? "$who: ztbondctl $* changed the bond: $(diff <(echo "$STATE") <(echo "$after") | head -5)"
	STATE=$after
}

unprivileged_refused()
{
	local who eff

	RET=0
	cat > "$TMPD/rr.json" <<-EOF
	{ "settings": { "defaultBondingPolicy": "balance-rr",
	  "balance-rr": { "packetsPerLink": 3 } } }
	EOF
	chmod 644 "$TMPD/rr.json"
	STATE=$(state)
	for who in $RUNNERS; do
		# the capability really is gone
		eff=$("$who" awk '/^CapEff:/ { print $2 }' /proc/self/status)
		[[ -n $eff ]] && (( (0x$eff >> 12 & 1) == 0 ))
		check_err $? "$who: CAP_NET_ADMIN still effective (CapEff ${eff:-?})"
		# every changing command once; the other ways to drop the
		# capability on a few (each run costs under TCG)
		refused "$who" bond add zb9 policy balance-rr
		refused "$who" bond del zb0
		refused "$who" link add zb0 a3 mode primary
		refused "$who" config apply zb0 "$TMPD/rr.json"
		[[ $who == as_nocap_setpriv ]] || continue
		refused "$who" bond add zb9
		refused "$who" bond set zb0 policy broadcast
		refused "$who" bond set zb0 upDelay 100
		refused "$who" bond rotate zb0
		refused "$who" link add zb0 a3
		refused "$who" link del zb0 a2
		refused "$who" link set zb0 a1 mode spare
		refused "$who" link set zb0 a2 enabled false
	done
	ip -n "$NS_A" link show zb9 >/dev/null 2>&1
	check_fail $? "a bond zb9 was created"
	# root with CAP_NET_ADMIN can (sanity check of the commands above)
	ztb_ctl "$NS_A" bond rotate zb0 >/dev/null 2>&1
	check_err $? "root cannot rotate the bond"
	log_test "changing commands need CAP_NET_ADMIN (setpriv, capsh, nobody): refused, named, nothing changed"
}

reads_unprivileged()
{
	local who ref refd out f pid

	RET=0
	# the bond's two lines (the link lines hold live measurements)
	ref=$(ztb_ctl "$NS_A" bond show zb0 | head -n 2)
	refd=$(ztb_ctl "$NS_A" config dump zb0)
	for who in $RUNNERS; do
		out=$("$who" "$ZTBONDCTL" bond show zb0 2>&1)
		check_err $? "$who: bond show failed: $out"
		[[ $(head -n 2 <<< "$out") == "$ref" ]] &&
			grep -q '^ .* a1 ' <<< "$out" && grep -q '^ .* a2 ' <<< "$out"
		check_err $? "$who: bond show differs from root's: $out"
		out=$("$who" "$ZTBONDCTL" --json bond show 2>&1)
		check_err $? "$who: bond show --json failed: $out"
		jq -e 'type == "array" and length == 1 and .[0].name == "zb0"' <<< "$out" >/dev/null
		check_err $? "$who: bond show --json: $out"
		out=$("$who" "$ZTBONDCTL" config dump zb0 2>&1)
		check_err $? "$who: config dump failed: $out"
		[[ $out == "$refd" ]]
		check_err $? "$who: config dump differs from root's"
	done
	# events reach an unprivileged listener
	f=$TMPD/mon
	# not through as_nobody: $! must be the monitor itself (ip netns exec
	# and setpriv exec it), or it outlives the test
	ip netns exec "$NS_A" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all "$ZTBONDCTL" --json monitor > "$f" 2>&1 &
	pid=$!
	slowwait 10 bash -c "ip netns exec $NS_A $ZTBONDCTL bond set zb0 downDelay 0 &&
		grep -q bond-change $f"
	check_err $? "an unprivileged monitor got no event: $(cat "$f")"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	log_test "reading needs no privilege: bond show, --json, config dump, monitor"
}

netns_isolation()
{
	local out f pid

	RET=0
	setup_ns NS_C || { check_err 1 "no namespace"; log_test "isolation"; return; }
	ip -n "$NS_C" link add c1 type veth peer name c2
	ztb_ctl "$NS_C" bond add zb0 policy balance-xor
	check_err $? "a bond of the same name cannot be made in another namespace"
	ztb_ctl "$NS_C" link add zb0 c1
	check_err $? "link add in the other namespace failed"

	out=$(ztb_ctl "$NS_C" --json bond show)
	jq -e 'length == 1 and .[0].policy == "balance-xor" and
	       (.[0].links | map(.name) == ["c1"])' <<< "$out" >/dev/null
	check_err $? "the other namespace sees more than its own bond: $out"
	out=$(ztb_ctl "$NS_A" --json bond show)
	jq -e 'length == 1 and .[0].policy == "active-backup" and
	       (.[0].links | map(.name) | sort == ["a1", "a2"])' <<< "$out" >/dev/null
	check_err $? "NS_A sees something of the other namespace: $out"
	[[ $(ztb_bond_field "$NS_A" mac) != $(ztb_ctl "$NS_C" --json bond show zb0 | jq -r .mac) ]]
	check_err $? "both namespaces show the same zb0"

	# NS_A's bond and links cannot be reached from NS_C by name
	ztb_ctl "$NS_A" bond add zbonly
	out=$(ztb_ctl "$NS_C" bond show zbonly 2>&1)
	check_fail $? "bond of another namespace shown"
	grep -q "no such device" <<< "$out"
	check_err $? "no clear message for a bond of another namespace: $out"
	out=$(ztb_ctl "$NS_C" bond del zbonly 2>&1)
	check_fail $? "bond of another namespace deleted"
	ip -n "$NS_A" link show zbonly >/dev/null 2>&1
	check_err $? "zbonly is gone"
	out=$(ztb_ctl "$NS_C" link add zb0 a1 2>&1)
	check_fail $? "a device of another namespace enslaved"
	grep -q "no such" <<< "$out"
	check_err $? "no clear message for a link of another namespace: $out"
	ztb_ctl "$NS_A" bond del zbonly

	# a change in NS_C does not reach NS_A's bond nor NS_A's listeners
	f=$TMPD/mon_a
	ip netns exec "$NS_A" "$ZTBONDCTL" --json monitor > "$f" 2>&1 &
	pid=$!
	sleep 1
	ztb_ctl "$NS_C" bond set zb0 policy broadcast packetsPerLink 7
	ztb_ctl "$NS_C" link set zb0 c1 mode primary
	ztb_ctl "$NS_C" bond del zb0
	sleep 1
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[[ ! -s $f ]]
	check_err $? "NS_A's monitor saw events of NS_C: $(head -3 "$f")"
	[[ $(ztb_bond_field "$NS_A" policy) == active-backup &&
	   $(ztb_bond_field "$NS_A" packetsPerLink) != 7 ]]
	check_err $? "NS_C's change reached NS_A's zb0"
	ip -n "$NS_C" link show c1 | grep -q master
	check_fail $? "c1 still enslaved after its bond was deleted"
	cleanup_ns "$NS_C"
	NS_C=
	log_test "a bond is invisible from another namespace (show, del, link add, events)"
}

# USERNS_RUN CMD: run CMD (a shell command) in a new user namespace owned by
# an unprivileged user, with a new network namespace (unshare -Urn); root
# owns it when unprivileged user namespaces are disabled.
userns_sh()
{
	if [[ -n $USERNS_NOBODY ]]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			unshare -Urn sh -c "$1"
	else
		unshare -Urn sh -c "$1"
	fi
}

userns_owner()
{
	local out

	RET=0
	USERNS_NOBODY=1
	if ! setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urn true 2>/dev/null; then
		USERNS_NOBODY=
		echo "# unprivileged user namespaces disabled: root owns the user namespace"
		unshare -Urn true 2>/dev/null || {
			log_test_skip "user namespace owner" "unshare -Urn not possible"
			return
		}
	fi
	out=$(userns_sh "set -e
		ip link add u1 type veth peer name u1p
		ip link add u2 type veth peer name u2p
		ip link set u1p up; ip link set u2p up
		$ZTBONDCTL bond add zbu policy active-backup
		$ZTBONDCTL link add zbu u1 mode primary
		ip link set u2 master zbu
		$ZTBONDCTL link set zbu u2 failoverTo u1
		$ZTBONDCTL bond set zbu linkSelectMethod failure upDelay 0
		ip link set zbu up
		r=refused
		for i in 1 2 3 4 5 6 7 8 9 10; do
			if $ZTBONDCTL bond rotate zbu; then r=done; break; fi
			sleep 0.5
		done
		echo rotate \$r
		$ZTBONDCTL --json bond show zbu
		$ZTBONDCTL link del zbu u2
		$ZTBONDCTL --json bond show
		$ZTBONDCTL bond del zbu
		ip link add zbv type ztbond
		ip link del zbv
		echo done" 2>&1)
	check_err $? "the owner of a user namespace cannot manage its bonds: $out"
	grep -q '"name": *"u2"' <<< "$out" && grep -q '^rotate done$' <<< "$out" &&
		grep -q '^done$' <<< "$out"
	check_err $? "unexpected output: $out"
	# ... nor see or change those of a namespace it does not own
	out=$(userns_sh "$ZTBONDCTL bond show" 2>&1)
	grep -q zb0 <<< "$out"
	check_fail $? "a new network namespace shows NS_A's bond: $out"
	out=$(ip netns exec "$NS_A" unshare -Ur "$ZTBONDCTL" bond set zb0 policy broadcast 2>&1)
	check_fail $? "a user namespace owner changed a bond of a namespace it does not own"
	grep -q "CAP_NET_ADMIN" <<< "$out"
	check_err $? "no CAP_NET_ADMIN message: $out"
	out=$(ip netns exec "$NS_A" unshare -Ur "$ZTBONDCTL" bond del zb0 2>&1)
	check_fail $? "a user namespace owner deleted a bond of a namespace it does not own"
	out=$(ip netns exec "$NS_A" unshare -Ur "$ZTBONDCTL" link del zb0 a1 2>&1)
	check_fail $? "a user namespace owner released a link in a namespace it does not own"
	out=$(ip netns exec "$NS_A" unshare -Ur "$ZTBONDCTL" bond show zb0 2>&1)
	check_err $? "a user namespace owner cannot read the bond of its namespace: $out"
	[[ $(ztb_bond_field "$NS_A" policy) == active-backup ]] &&
		ztb_link_field "$NS_A" a1 name | grep -q a1
	check_err $? "the bond changed"
	log_test "a user namespace owner manages bonds in its own namespace only"
}

flood_start()
{
	ip netns exec "$NS_A" ping -f -q -s 600 -w 600 10.0.0.2 >/dev/null 2>&1 &
	FLOOD_PID=$!
}

flood_stop()
{
	[[ -n $FLOOD_PID ]] || return 0
	kill "$FLOOD_PID" 2>/dev/null
	wait "$FLOOD_PID" 2>/dev/null
	FLOOD_PID=
}

# lost_percent NS DST COUNT: packet loss of COUNT pings 10 ms apart.
lost_percent()
{
	ip netns exec "$1" ping -c "$3" -i 0.01 -W 1 "$2" 2>/dev/null |
		sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p'
}

link_moved_away()
{
	local out loss rx

	RET=0
	setup_ns NS_C || { check_err 1 "no namespace"; log_test "link moved"; return; }
	flood_start
	ip -n "$NS_A" link set a2 netns "$NS_C"
	check_err $? "moving a2 to another namespace failed"
	out=$(ztb_ctl "$NS_A" --json bond show zb0)
	jq -e '.links | map(.name) == ["a1"]' <<< "$out" >/dev/null
	check_err $? "a2 still listed by bond show: $(jq -c '.links | map(.name)' <<< "$out")"
	out=$(ip -n "$NS_C" -d link show a2)
	grep -q "master\|SLAVE" <<< "$out"
	check_fail $? "a2 keeps a master or SLAVE in its new namespace: $out"
	# the flood continues on a1
	sleep 1
	rx=$(ztb_stat "$NS_A" a1 rx_packets)
	sleep 2
	rx=$(( $(ztb_stat "$NS_A" a1 rx_packets) - rx ))
	((rx > 50))
	check_err $? "traffic does not continue on a1 ($rx packets received in 2 s)"
	ip -n "$NS_C" link set a2 up
	ip -n "$NS_C" -d link show a2 | grep -q "promiscuity 0"
	check_err $? "a2 keeps promiscuity: $(ip -n "$NS_C" -d link show a2)"
	ip -n "$NS_C" link set a2 down
	# the link comes back and is used again
	ip -n "$NS_C" link set a2 netns "$NS_A"
	check_err $? "moving a2 back failed"
	ztb_ctl "$NS_A" link add zb0 a2
	check_err $? "a2 cannot be enslaved again"
	flood_stop
	ztb_wait_ping "$NS_A" 10.0.0.2 20
	check_err $? "no ping after a2 came back"
	loss=$(lost_percent "$NS_A" 10.0.0.2 100)
	[[ -n $loss ]] && ztb_fcmp "$loss" "<=" 5
	check_err $? "traffic after a2 came back loses ${loss:-?}%"
	# the bond's own namespace leaves: moving a link into a namespace that
	# has a ztbond of the same name does not enslave it there
	ztb_ctl "$NS_C" bond add zb0
	ip -n "$NS_A" link set a2 netns "$NS_C"
	ip -n "$NS_C" link show a2 | grep -q master
	check_fail $? "a2 enslaved in its new namespace by itself"
	ip -n "$NS_C" link set a2 netns "$NS_A"
	ztb_ctl "$NS_A" link add zb0 a2
	cleanup_ns "$NS_C"
	NS_C=
	[[ -z $(splats) ]]
	check_err $? "kernel splat: $(splats | head -3)"
	log_test "a link moved to another namespace leaves the bond; traffic stays on the other"
}

bond_move_refused()
{
	local before after out

	RET=0
	setup_ns NS_C || { check_err 1 "no namespace"; log_test "bond move"; return; }
	before=$(state)
	out=$(ip -n "$NS_A" link set zb0 netns "$NS_C" 2>&1)
	check_fail $? "the bond moved to another namespace"
	grep -qi "invalid argument\|not supported\|netns" <<< "$out"
	check_err $? "no error message: $out"
	out=$(ip netns exec "$NS_A" ip link set zb0 netns 1 2>&1)
	check_fail $? "the bond moved to the initial namespace"
	ip -n "$NS_C" link show zb0 >/dev/null 2>&1
	check_fail $? "zb0 appeared in the other namespace"
	after=$(state)
	[[ $before == "$after" ]]
	check_err $? "the refused move changed the bond"
	ip -n "$NS_A" link show zb0 | grep -q 'UP'
	check_err $? "zb0 is no longer up"
	ztb_wait_ping "$NS_A" 10.0.0.2 10
	check_err $? "no ping after the refused move"
	# a bond created straight into another namespace is fine, and stays
	ip -n "$NS_A" link add zbn netns "$NS_C" type ztbond
	check_err $? "ip link add ... netns ... type ztbond failed"
	ztb_ctl "$NS_C" bond show zbn >/dev/null
	check_err $? "zbn not in the namespace it was created in"
	ip -n "$NS_C" link set zbn netns "$NS_A" 2>/dev/null
	check_fail $? "zbn moved"
	cleanup_ns "$NS_C"
	NS_C=
	[[ -z $(splats) ]]
	check_err $? "kernel splat: $(splats | head -3)"
	log_test "the bond is netns-local: moving it is refused cleanly"
}


netns_deleted()
{
	local out i pid f

	RET=0
	flood_start
	# a third namespace with its own bond over links to NS_A's side
	setup_ns NS_C
	ip -n "$NS_C" link add c1 type veth peer name c2
	ip -n "$NS_C" link add c3 type veth peer name c4
	ztb_ctl "$NS_C" bond add zbc policy balance-rr
	ztb_ctl "$NS_C" link add zbc c1
	ztb_ctl "$NS_C" link add zbc c3
	ip -n "$NS_C" link set c2 up
	ip -n "$NS_C" link set c4 up
	# a listener keeps NS_C alive after its name is gone
	f=$TMPD/mon_c
	ip netns exec "$NS_C" "$ZTBONDCTL" --json monitor > "$f" 2>&1 &
	pid=$!
	sleep 1
	ip netns del "$NS_C"
	NS_C=
	kill "$pid"
	wait "$pid" 2>/dev/null
	# then both namespaces of the traffic, while it runs
	sleep 1
	ip netns del "$NS_A"
	ip netns del "$NS_B"
	flood_stop
	NS_LIST=()
	if [[ -n $(ztb_other_bonds) ]]; then
		log_test_skip "namespaces deleted with their bonds" "other ztbond devices exist"
		return
	fi
	# the namespaces are dismantled by a worker: wait for the module to go
	for ((i = 0; i < 60; i++)); do
		out=$(modprobe -r ztbond 2>&1) && break
		sleep 1
	done
	[[ ! -d /sys/module/ztbond ]]
	check_err $? "ztbond cannot be unloaded after the namespaces were deleted: $out"
	modprobe ztbond 2>/dev/null ||
		{ [[ -n ${ZTBOND_KO:-} && -f $ZTBOND_KO ]] && insmod "$ZTBOND_KO"; }
	[[ -d /sys/module/ztbond ]]
	check_err $? "ztbond could not be loaded again"
	[[ -z $(splats) ]]
	check_err $? "kernel splat: $(splats | head -3)"
	log_test "namespaces deleted with bonds, links and traffic: no leak, module unloads"
}

cleanup()
{
	flood_stop
	[[ -n $TMPD ]] && rm -rf "$TMPD"
	ztb_cleanup
}

ztb_require_root
ztb_require_module
ztb_require_ctl
ztb_require_cmd jq setpriv capsh unshare nsenter ping
trap cleanup EXIT
DMESG_START=$(dmesg | wc -l)
TMPD=$(mktemp -d)
chmod 755 "$TMPD"
ztb_topo_create active-backup || ztb_skip "topology set-up failed"
ztb_ctl "$NS_A" bond set zb0 punishBase 0 || ztb_skip "bond set failed"
ztb_ctl "$NS_B" bond set zb0 punishBase 0 || ztb_skip "bond set failed"
ip -n "$NS_A" link add a3 type veth peer name a3p || ztb_skip "veth failed"
ztb_wait_ping "$NS_A" 10.0.0.2 20 || ztb_skip "no ping through the bond"
tests_run
ztb_exit
