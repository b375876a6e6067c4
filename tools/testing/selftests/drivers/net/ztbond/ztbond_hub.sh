#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A hub: one ztbond with four links, eight plain clients (no ztbond) on the
# same Ethernet segment, as the members of a ZeroTier network are. The
# clients learn the bond's IPv4 address from ARP; with balance-xor and
# balance-aware the bond answers each client from "its" link, with that
# link's MAC, so the clients' return traffic spreads over the links
# (bonding's ALB receive balancing). With active-backup every client
# learns the active link. balance-aware counts clients per link apart from
# the data flows (bonding's rlb), so the eight clients land two on each
# link. No client ever learns the bond's own MAC, which
# a ZeroTier member that is not a bridge could not deliver. Peers can have
# their own policy (ZeroTier's peerSpecificBonds): three clients, three
# policies.

ALL_TESTS="
	return_traffic_per_client
	clients_follow_a_lost_link
	ipv6_clients_learn_link_macs
	per_peer_policies
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

# no link in the list $1 (of link names) more than $2 times
per_link_le()
{
	[[ -z $(tr ' ' '\n' <<< "$1" | sort | uniq -c | awk -v m="$2" '$1 > m') ]]
}

# the balance-aware clients the bond counts on h1..h4
clients_per_link()
{
	ztb_ctl "$HUB" bond show zb0 --json |
		jq -r '[.links[] | .clients // 0] | map(tostring) | join(" ")'
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
			# by a hash of the clients' addresses, keyed at boot
			# (flow_hash_from_keys): 8 clients land on 3 or 4 of
			# the 4 links in 97.7 % of boots, on 2 in 2.3 %, on one
			# in 0.006 %. What must hold every time: more than one
			# link, and each client's pings arrive on the link it
			# learned.
			[[ $n_learned -ge 2 && $n_recv -eq $n_learned ]]
			check_err $? "$p: return traffic of $NCLI clients on $n_recv links, $n_learned MACs learned ($out)" ;;
		balance-aware)
			# clients are counted apart from the ping flows:
			# 8 clients, 2 on each of 4 links
			[[ $n_learned -eq $NLINK && $n_recv -eq $NLINK ]] &&
				per_link_le "$rest" 2
			check_err $? "$p: return traffic of $NCLI clients on $n_recv links, $n_learned MACs learned ($out)"
			echo "    balance-aware: the bond's clients per link: $(clients_per_link)"
			[[ $(clients_per_link) == "2 2 2 2" ]]
			check_err $? "$p: the bond counts clients per link $(clients_per_link), not 2 each" ;;
		esac
	done
	log_test "hub: each client learns its own link's MAC (xor, aware), return traffic spreads; active-backup uses one"
}

# the link names the clients learned for the hub's address, in client order
learned_links()
{
	local c out=()

	for c in "${CLIS[@]}"; do
		out+=("$(link_of_mac "$(learned "$c")")")
	done
	echo "${out[*]}"
}

all_links_up()
{
	[[ $(ztb_ctl "$HUB" bond show zb0 --json |
	     jq '[.links[] | select(.state == "up")] | length') -eq $NLINK ]]
}

# two clients on each link, as the bond counts them and as they learned
spread_evenly()
{
	local l

	l=$(learned_links)
	[[ $(clients_per_link) == "2 2 2 2" && $l != *not-a-link* &&
	   $(tr ' ' '\n' <<< "$l" | sort -u | wc -l) -eq $NLINK ]] &&
		per_link_le "$l" 2
}

# When a link stops carrying traffic, the bond tells each neighbour with a
# unicast ARP request from the link it now uses for it: ZeroTier delivers
# the bond's broadcast gratuitous ARP to no plain client, which is
# modelled here by dropping broadcast ARP leaving the hub's links. With
# balance-aware the clients of the lost link move (by the clients'
# counts), the others stay, and when the link is back two of them move to
# it again; with active-backup all follow the new active link. No traffic:
# only the bond's ARP can move them.
clients_follow_a_lost_link()
{
	local p c i before after b a moved stayed bl al

	RET=0
	for ((i = 1; i <= NLINK; i++)); do
		tc -n "$HUB" filter add dev "h$i" egress protocol arp pref 9 flower \
			dst_mac ff:ff:ff:ff:ff:ff action drop ||
			check_err 1 "cannot drop broadcast ARP on h$i"
	done
	for p in balance-aware active-backup; do
		ztb_ctl "$HUB" bond set zb0 policy "$p" > /dev/null
		for c in "${CLIS[@]}"; do
			ip -n "$c" neigh flush all
			ztb_wait_ping "$c" 10.0.0.1 10 || check_err 1 "$p: client $c cannot reach the hub"
		done
		before=$(learned_links)
		# the link most clients use: active-backup's active one
		b=$(tr ' ' '\n' <<< "$before" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
		ip -n "$HUB" link set "$b" down
		# wait until no client has the lost link's MAC any more
		for ((i = 0; i < 50; i++)); do
			after=$(learned_links)
			[[ " $after " != *" $b "* ]] && break
			sleep 0.2
		done
		moved=0 stayed=0
		read -ra bl <<< "$before"
		read -ra al <<< "$after"
		for ((i = 0; i < NCLI; i++)); do
			[[ ${bl[i]} == "$b" ]] && continue
			[[ ${al[i]} == "${bl[i]}" ]] && stayed=$((stayed + 1))
		done
		for ((i = 0; i < NCLI; i++)); do
			[[ ${bl[i]} == "$b" && ${al[i]} != "$b" && ${al[i]} != not-a-link* ]] &&
				moved=$((moved + 1))
		done
		a=$(tr ' ' '\n' <<< "$before" | grep -cx "$b")
		echo "    $p: $b down; clients before: $before; after: $after ($moved of $a moved$([[ $p == balance-aware ]] && echo ", $stayed of $((NCLI - a)) others stayed; the bond's clients per link: $(clients_per_link)"))"
		((moved == a))
		check_err $? "$p: $((a - moved)) of the $a clients of $b still send to it (or to no link): $after"
		if [[ $p == balance-aware ]]; then
			((stayed == NCLI - a))
			check_err $? "$p: clients of other links moved too: $before -> $after"
		fi
		ip -n "$HUB" link set "$b" up
		slowwait 10 all_links_up
		check_err $? "$p: $b not back up in the bond"
		[[ $p == balance-aware ]] || continue
		# the link is back: clients spread over it again (bonding's
		# rlb), told by unicast ARP as when it left
		slowwait 10 spread_evenly
		check_err $? "$p: $b back, clients not spread again: the bond counts $(clients_per_link), clients learned $(learned_links)"
		echo "    $p: $b back; clients: $(learned_links); the bond's clients per link: $(clients_per_link)"
	done
	for ((i = 1; i <= NLINK; i++)); do
		tc -n "$HUB" filter del dev "h$i" egress pref 9
	done
	log_test "a lost link: the bond's unicast ARP moves its clients (balance-aware: only those, and back when it returns; active-backup: all) with broadcast ARP dropped"
}

# IPv6: the hub's neighbour advertisements carry a link's MAC in their
# target link-layer address option (not the bond's, which a ZeroTier
# member that is not a bridge could not reach), per client as for ARP.
ipv6_clients_learn_link_macs()
{
	local c mac links=() bmac p
	local -A seen=()

	RET=0
	bmac=$(ip -n "$HUB" -j link show zb0 | jq -r '.[0].address')
	# balance-xor spreads by a hash keyed at boot (see
	# return_traffic_per_client: more than one link is what always
	# holds). balance-aware counts ARP clients only; its advertisements
	# are flows, placed by share (seen: 3 links of 4), so only that they
	# name link MACs is checked.
	for p in balance-xor:2 balance-aware:2; do
		ztb_ctl "$HUB" bond set zb0 policy "${p%:*}"
		links=() seen=()
		for c in "${CLIS[@]}"; do
			ip -n "$c" -6 neigh flush all
			slowwait 10 ip netns exec "$c" ping -6 -c 1 -W 1 2001:db8::1 >/dev/null
			check_err $? "${p%:*}: client $c cannot ping the hub over IPv6"
			mac=$(learned "$c" 2001:db8::1)
			links+=("$(link_of_mac "$mac")")
			seen[$mac]=1
		done
		echo "    ${p%:*} over IPv6: clients learned ${#seen[@]} link MACs (${links[*]})"
		[[ " ${links[*]} " != *not-a-link* ]]
		check_err $? "${p%:*}: a client learned a MAC that is not a link's: ${links[*]} (bond MAC $bmac)"
		[[ ${#seen[@]} -ge ${p#*:} ]]
		check_err $? "${p%:*}: IPv6 clients learned only ${#seen[@]} link MACs, expected ${p#*:}: ${links[*]}"
	done
	log_test "IPv6 hub: neighbour advertisements name each client's link MAC, never the bond's"
}

# ZeroTier's MAC of node $1 (10 hex digits) on network $2 (16 hex digits):
# MAC::fromAddress, written out again here to check ztbondctl's.
zt_mac()
{
	local node=$((16#$1)) nwid=$((16#$2)) first i m=()

	first=$(((nwid & 0xfe) | 0x02))
	((first == 0x52)) && first=0x32
	m[0]=$first
	for ((i = 1; i < 6; i++)); do
		m[i]=$((((node >> (8 * (5 - i))) ^ (nwid >> (8 * i))) & 0xff))
	done
	printf '%02x:%02x:%02x:%02x:%02x:%02x\n' "${m[@]}"
}

# ICMP frames the hub sent on link $1 to MAC $2 (egress counters)
sent_to()
{
	tc -n "$HUB" -s -j filter show dev "$1" egress |
		jq --arg m "$2" '[.[] | select(.options.keys.dst_mac == $m) |
				  .options.actions[0].stats.packets // 0] | add // 0'
}

# Clients behind the hub with policies of their own: C1 by MAC with a
# custom balance-rr (one packet a link), C2 by ZeroTier node id with
# broadcast, C4 with balance-aware per packet and C5 with balance-aware by
# flows (the seed's example: a balance-aware peer of an active-backup
# bond), C3 with none (the bond's active-backup). 20 pings from the hub to
# each: C1's and C4's spread over the links, C2's on every link, C3's and
# C5's (one flow) on one.
per_peer_policies()
{
	local nwid=8056c2e21c000001 node=1122334455 cfg dump m1 m2 m3 m4 m5 i c n out
	local -a macs links_used on_all

	RET=0
	m1=$(ip -n "$C1" -j link show c1 | jq -r '.[0].address')
	m2=$(zt_mac "$node" "$nwid")
	ip -n "$C2" link set c2 address "$m2" || check_err 1 "cannot give c2 its ZeroTier MAC"
	ip -n "$HUB" neigh flush dev zb0
	m3=$(ip -n "$C3" -j link show c3 | jq -r '.[0].address')
	m4=$(ip -n "$C4" -j link show c4 | jq -r '.[0].address')
	m5=$(ip -n "$C5" -j link show c5 | jq -r '.[0].address')
	macs=("$m1" "$m2" "$m3" "$m4" "$m5")
	cfg=$(mktemp)
	cat > "$cfg" <<-EOF
	{ "settings": {
	    "defaultBondingPolicy": "active-backup",
	    "policies": { "spread": { "basePolicy": "balance-rr", "packetsPerLink": 1 },
	                  "per-packet": { "basePolicy": "balance-aware", "balancePolicy": "packet" },
	                  "my-custom-balance-aware": { "failoverInterval": 2000,
	                      "monitorStrategy": "dynamic", "basePolicy": "balance-aware" } },
	    "peerSpecificBonds": { "$m1": "spread", "$node": "broadcast",
	                           "$m4": "per-packet", "$m5": "my-custom-balance-aware" } } }
	EOF
	out=$(ztb_ctl "$HUB" config apply zb0 "$cfg" 2>&1)
	[[ $? -ne 0 && $out == *"depends on the network"*"--network"* ]]
	check_err $? "a node id without --network was not refused with a reason: $out"
	[[ $(ztb_ctl "$HUB" bond show zb0 --json | jq '.peers | length') -eq 0 ]]
	check_err $? "a refused apply changed the peer table"
	ztb_ctl "$HUB" config apply zb0 "$cfg" --network "$nwid" > /dev/null
	check_err $? "config apply with peerSpecificBonds failed"
	out=$(ztb_ctl "$HUB" bond show zb0 --json)
	[[ $(jq -r --arg m "$m1" '.peers[] | select(.peer == $m) |
		"\(.policy) \(.base_policy) \(.packets_per_link)"' <<< "$out") == "spread balance-rr 1" &&
	   $(jq -r --arg m "$m2" '.peers[] | select(.peer == $m) | .policy' <<< "$out") == broadcast ]]
	check_err $? "bond show does not list the peers' policies: $(jq -c .peers <<< "$out")"

	for ((i = 1; i <= NLINK; i++)); do
		for n in "${macs[@]}"; do
			tc -n "$HUB" filter add dev "h$i" egress protocol ip flower \
				dst_mac "$n" ip_proto icmp action pass ||
				check_err 1 "egress filter on h$i"
		done
	done
	for c in 1 2 3 4 5; do
		ip netns exec "$HUB" ping -q -c 20 -i 0.02 -W 1 "10.0.0.$((10 + c))" > /dev/null 2>&1
	done
	for c in 0 1 2 3 4; do
		links_used[c]=0 on_all[c]=0
		for ((i = 1; i <= NLINK; i++)); do
			n=$(sent_to "h$i" "${macs[c]}")
			((n > 0)) && links_used[c]=$((links_used[c] + 1))
			((n >= 20)) && on_all[c]=$((on_all[c] + 1))
		done
	done
	echo "    links carrying the hub's pings: C1 (spread) ${links_used[0]}, C2 (broadcast) ${links_used[1]} (${on_all[1]} with all 20), C3 (bond's active-backup) ${links_used[2]}, C4 (aware, packet) ${links_used[3]}, C5 (aware, flows) ${links_used[4]} (${on_all[4]} with all 20)"
	((links_used[0] >= 3))
	check_err $? "C1's balance-rr with packetsPerLink 1 used ${links_used[0]} of $NLINK links"
	((on_all[1] == NLINK))
	check_err $? "C2's broadcast put each of 20 pings on ${on_all[1]} of $NLINK links"
	((links_used[2] == 1))
	check_err $? "C3 (no policy of its own) used ${links_used[2]} links, not the active one"
	((links_used[3] >= 3))
	check_err $? "C4's balance-aware per packet used ${links_used[3]} of $NLINK links"
	((links_used[4] == 1 && on_all[4] == 1))
	check_err $? "C5's one flow (balance-aware by flows) was not carried whole by one link: ${links_used[4]} links"
	[[ $(ztb_bond_field "$HUB" flows) -ge 1 ]]
	check_err $? "no flow in the flow table for C5's balance-aware (the bond is active-backup)"

	# the round trip: a dump applied again changes nothing
	dump=$(mktemp)
	ztb_ctl "$HUB" config dump zb0 > "$dump"
	out=$(ztb_ctl "$HUB" config apply zb0 "$dump" 2>&1)
	[[ $out == *"no change"* ]]
	check_err $? "re-applying the dump changed something: $out ($(jq -c .settings "$dump"))"
	# a configuration without peers clears them
	echo '{ "settings": { "defaultBondingPolicy": "active-backup" } }' > "$cfg"
	ztb_ctl "$HUB" config apply zb0 "$cfg" > /dev/null &&
		[[ $(ztb_ctl "$HUB" bond show zb0 --json | jq '.peers | length') -eq 0 ]]
	check_err $? "a configuration without peerSpecificBonds left peers behind"
	rm -f "$cfg" "$dump"
	log_test "peerSpecificBonds: by MAC and by node id, each client's traffic follows its own policy (rr, broadcast, aware); dump round trip"
}

ztb_require_root
ztb_require_module
ztb_require_ctl
ztb_require_cmd jq
trap ztb_cleanup EXIT

setup || ztb_skip "topology set-up failed"
tests_run
ztb_exit
