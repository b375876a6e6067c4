#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A hub: one ztbond with four links, eight plain clients (no ztbond) on the
# same Ethernet segment, as the members of a ZeroTier network are. The
# clients learn the bond's IPv4 address from ARP; with balance-xor and
# balance-aware the bond answers each client from "its" link, with that
# link's MAC, so the clients' return traffic spreads over the links
# (bonding's ALB receive balancing). With active-backup every client
# learns the active link. No client ever learns the bond's own MAC, which
# a ZeroTier member that is not a bridge could not deliver.

ALL_TESTS="
	return_traffic_per_client
	ipv6_clients_learn_link_macs
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

NCLI=8
NLINK=4
CLIS=()

setup()
{
	local i names=()

	for ((i = 1; i <= NCLI; i++)); do
		names+=("C$i")
	done
	# one call: setup_ns makes each name a read-only variable
	setup_ns HUB NET "${names[@]}" || return 1
	ip -n "$NET" link add br0 type bridge || return 1
	ip -n "$NET" link set br0 up || return 1
	ztb_bond_add "$HUB" zb0 balance-xor || return 1
	for ((i = 1; i <= NLINK; i++)); do
		ip link add "h$i" netns "$HUB" type veth peer name "p$i" netns "$NET" &&
		ip -n "$NET" link set "p$i" master br0 up || return 1
		ztb_enslave "$HUB" zb0 "h$i" || return 1
		# count the clients' IPv4 pings to this link's own MAC (the
		# link counters also see the clients' flooded broadcasts)
		tc -n "$HUB" qdisc add dev "h$i" clsact &&
		tc -n "$HUB" filter add dev "h$i" ingress protocol ip pref 1 flower \
			dst_mac "$(ip -n "$HUB" -j link show "h$i" | jq -r '.[0].address')" \
			ip_proto icmp action pass || return 1
	done
	ip -n "$HUB" addr add 10.0.0.1/24 dev zb0 &&
	ip -n "$HUB" addr add 2001:db8::1/64 dev zb0 nodad &&
	ip -n "$HUB" link set zb0 up || return 1
	for ((i = 1; i <= NCLI; i++)); do
		local n=C$i c

		c=${!n}
		CLIS+=("$c")
		ip link add "c$i" netns "$c" type veth peer name "cp$i" netns "$NET" &&
		ip -n "$NET" link set "cp$i" master br0 up &&
		ip -n "$c" addr add "10.0.0.$((10 + i))/24" dev "c$i" &&
		ip -n "$c" addr add "2001:db8::$((10 + i))/64" dev "c$i" nodad &&
		ip -n "$c" link set "c$i" up || return 1
	done
}

# The MAC client $1 has for the hub's address ($2, default IPv4).
learned()
{
	ip -n "$1" -j neigh show "${2:-10.0.0.1}" | jq -r '.[0].lladdr // "none"'
}

link_of_mac()
{
	local i

	for ((i = 1; i <= NLINK; i++)); do
		[[ $(ip -n "$HUB" -j link show "h$i" | jq -r '.[0].address') == "$1" ]] &&
			{ echo "h$i"; return; }
	done
	echo "not-a-link($1)"
}

# ICMP frames to link $1's own MAC received on it
pings_on()
{
	tc -n "$HUB" -s -j filter show dev "$1" ingress |
		jq '[.[] | .options.actions[0].stats.packets // 0] | add // 0'
}

# spread POLICY: every client pings the hub; prints "links-learned
# links-receiving" and the per-client links.
spread()
{
	local c i mac links=() rx0=() n_learned n_recv d
	local -A seen=()

	ztb_ctl "$HUB" bond set zb0 policy "$1" >/dev/null || return 1
	for c in "${CLIS[@]}"; do
		ip -n "$c" neigh flush all
		ztb_wait_ping "$c" 10.0.0.1 10 || { echo "client $c cannot reach the hub"; return 1; }
	done
	for ((i = 1; i <= NLINK; i++)); do
		rx0[i]=$(pings_on "h$i")
	done
	for c in "${CLIS[@]}"; do
		mac=$(learned "$c")
		links+=("$(link_of_mac "$mac")")
		seen[$mac]=1
		ip netns exec "$c" ping -q -c 20 -i 0.01 -W 1 10.0.0.1 >/dev/null
	done
	n_learned=${#seen[@]}
	n_recv=0
	for ((i = 1; i <= NLINK; i++)); do
		d=$(($(pings_on "h$i") - rx0[i]))
		((d >= 20)) && n_recv=$((n_recv + 1))
	done
	echo "$n_learned $n_recv ${links[*]}"
}

return_traffic_per_client()
{
	local out bmac p n_learned n_recv rest

	RET=0
	bmac=$(ip -n "$HUB" -j link show zb0 | jq -r '.[0].address')
	for p in balance-xor balance-aware active-backup; do
		out=$(spread "$p")
		check_err $? "$p: $out"
		read -r n_learned n_recv rest <<< "$out"
		echo "    $p: clients learned $n_learned link MACs ($rest); $n_recv links received their pings"
		[[ $rest != *not-a-link* ]]
		check_err $? "$p: a client learned a MAC that is not a link's: $rest (bond MAC $bmac)"
		case $p in
		active-backup)
			[[ $n_learned -eq 1 && $n_recv -eq 1 ]]
			check_err $? "active-backup: clients should all use the active link ($out)" ;;
		balance-xor)
			# by the clients' addresses: 4 links for these 8
			[[ $n_learned -ge 3 && $n_recv -eq $n_learned ]]
			check_err $? "$p: return traffic of $NCLI clients on $n_recv links, $n_learned MACs learned ($out)" ;;
		balance-aware)
			# ARP is one more flow, placed by the flow counts
			# (the clients' ping flows are flows too)
			[[ $n_learned -ge 2 && $n_recv -eq $n_learned ]]
			check_err $? "$p: return traffic of $NCLI clients on $n_recv links, $n_learned MACs learned ($out)" ;;
		esac
	done
	log_test "hub: each client learns its own link's MAC (xor, aware), return traffic spreads; active-backup uses one"
}

# IPv6: the hub's neighbour advertisements carry a link's MAC in their
# target link-layer address option (not the bond's, which a ZeroTier
# member that is not a bridge could not reach), per client as for ARP.
ipv6_clients_learn_link_macs()
{
	local c mac links=() bmac
	local -A seen=()

	RET=0
	bmac=$(ip -n "$HUB" -j link show zb0 | jq -r '.[0].address')
	ztb_ctl "$HUB" bond set zb0 policy balance-xor
	for c in "${CLIS[@]}"; do
		ip -n "$c" -6 neigh flush all
		slowwait 10 ip netns exec "$c" ping -6 -c 1 -W 1 2001:db8::1 >/dev/null
		check_err $? "client $c cannot ping the hub over IPv6"
		mac=$(learned "$c" 2001:db8::1)
		links+=("$(link_of_mac "$mac")")
		seen[$mac]=1
	done
	echo "    balance-xor over IPv6: clients learned ${#seen[@]} link MACs (${links[*]})"
	[[ " ${links[*]} " != *not-a-link* ]]
	check_err $? "a client learned a MAC that is not a link's: ${links[*]} (bond MAC $bmac)"
	[[ ${#seen[@]} -ge 3 ]]
	check_err $? "IPv6 clients learned only ${#seen[@]} link MACs: ${links[*]}"
	log_test "IPv6 hub: neighbour advertisements name each client's link MAC, never the bond's"
}

ztb_require_root
ztb_require_module
ztb_require_ctl
ztb_require_cmd jq
trap ztb_cleanup EXIT

setup || ztb_skip "topology set-up failed"
tests_run
ztb_exit
