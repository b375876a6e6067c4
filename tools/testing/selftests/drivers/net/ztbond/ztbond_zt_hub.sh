#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The seed's hub, end to end on ztsim (the zerotier-one stand-in): "zt up"
# runs four members, bridged, bonded with balance-xor from a --config file;
# eight plain client members, each in a namespace of its own, reach the
# bond's address. Each client learns "its" link's MAC for that address, so
# the clients' traffic reaches the hub through several members (processes),
# not one: what the seed wants from running several zerotier-one. One
# client, named by its ZeroTier node id in the file's peerSpecificBonds,
# gets the hub's traffic by broadcast (zt up passes its network, which
# turns the node id into the client's MAC): its pings come back from every
# member, the others' from one.

ALL_TESTS="
	zt_hub_clients_spread
	zt_hub_peer_policy_by_node_id
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

# shellcheck source=zt_lib.sh
source "$(dirname "$(readlink -f "$0")")"/zt_lib.sh

NCLI=8
NMEM=4
CLIS=()

# client i: its own namespace, home, tap ztc and 10.55.0.(10+i)/24; the
# underlay port must differ from every other member's
start_clients()
{
	local i n names=()

	for ((i = 1; i <= NCLI; i++)); do
		names+=("ZC$i")
	done
	setup_ns "${names[@]}" || return 1
	for ((i = 1; i <= NCLI; i++)); do
		n=ZC$i
		CLIS+=("${!n}")
		mkdir -p "$T/c$i/networks.d"
		echo "$NW=ztc" > "$T/c$i/devicemap"
		: > "$T/c$i/networks.d/$NW.conf"
		ip netns exec "${!n}" "$ZTSIM" -U -d -p$((29993 + i)) "$T/c$i" \
			2> "$T/c$i.log" || return 1
	done
	for ((i = 1; i <= NCLI; i++)); do
		slowwait 30 ip -n "${CLIS[i - 1]}" link show ztc > /dev/null 2>&1 &&
			ip -n "${CLIS[i - 1]}" addr add "10.55.0.$((10 + i))/24" dev ztc ||
			{ echo "client $i has no tap: $(cat "$T/c$i.log")"; return 1; }
	done
}

node_of_client()
{
	cut -c1-10 "$T/c$1/identity.public"
}

# the hub's bond links that received at least $1 data frames since $2
# (a "link:rx" list from rx_counts)
links_receiving()
{
	local min=$1 base=$2 l rx n=0 r

	for l in $(ztb_ctl "$HUB" --json bond show ztbond0 | jq -r '.links[].name'); do
		rx=$(ztb_data_stat "$HUB" "$l" rx_packets)
		r=$(tr ' ' '\n' <<< "$base" | awk -F: -v l="$l" '$1 == l { print $2 }')
		((rx - ${r:-0} >= min)) && n=$((n + 1))
	done
	echo "$n"
}

links_up()
{
	[[ $(ztb_ctl "$HUB" --json bond show ztbond0 |
	     jq '[.links[] | select(.state == "up")] | length') -eq $NMEM ]]
}

rx_counts()
{
	local l

	for l in $(ztb_ctl "$HUB" --json bond show ztbond0 | jq -r '.links[].name'); do
		printf '%s:%s ' "$l" "$(ztb_data_stat "$HUB" "$l" rx_packets)"
	done
}

zt_hub_clients_spread()
{
	local out c mac base n_recv
	local -A macs=()

	RET=0
	start_clients
	check_err $? "clients did not start"
	# the client mapped to broadcast in the next test: its node id is
	# only known once it runs
	cat > "$T/hub.json" <<-EOF
	{ "settings": { "defaultBondingPolicy": "balance-xor",
	    "peerSpecificBonds": { "$(node_of_client 1)": "broadcast" } } }
	EOF
	out=$(zt up --network "$NW" --count "$NMEM" --home "$T/h" --zerotier-one "$ZTSIM" \
		--central-token-file "$T/token" --central-url "http://127.0.0.1:$CPORT" \
		--timeout 60 --address 10.55.0.1/24 --config "$T/hub.json" 2>&1)
	check_err $? "zt up --count $NMEM failed: $out"
	# a tap may still be on its way up when "zt up" returns; a client that
	# resolves the hub meanwhile learns one of the others
	slowwait 30 links_up
	check_err $? "not all $NMEM links up: $(ztb_ctl "$HUB" bond show ztbond0)"
	base=$(rx_counts)
	for c in "${CLIS[@]}"; do
		ztb_wait_ping "$c" 10.55.0.1 30 ||
			{ check_err 1 "client $c cannot reach the hub"; continue; }
		ip netns exec "$c" ping -q -c 20 -i 0.02 -W 1 10.55.0.1 > /dev/null
		mac=$(ip -n "$c" -j neigh show 10.55.0.1 | jq -r '.[0].lladdr // "none"')
		macs[$mac]=1
	done
	n_recv=$(links_receiving 20 "$base")
	echo "    $NCLI clients learned ${#macs[@]} MACs for the hub (${!macs[*]}); $n_recv of $NMEM members carried 20+ of their frames"
	((${#macs[@]} >= 3 && n_recv >= 3))
	check_err $? "clients' traffic concentrated: ${#macs[@]} MACs learned, $n_recv members receiving"
	log_test "zt hub: 4 bridged members bonded balance-xor, 8 client members spread over at least 3 of them"
}

zt_hub_peer_policy_by_node_id()
{
	local out1 out2 dup1 dup2 peers

	RET=0
	peers=$(ztb_ctl "$HUB" --json bond show ztbond0 | jq -c '[.peers[] | {peer, policy}]')
	[[ $peers == "[{\"peer\":\"$(ip -n "${CLIS[0]}" -j link show ztc | jq -r '.[0].address')\",\"policy\":\"broadcast\"}]" ]]
	check_err $? "node id $(node_of_client 1) did not become client 1's MAC in the peer table: $peers"
	out1=$(ip netns exec "$HUB" ping -c 10 -i 0.05 -W 1 10.55.0.11 2>&1)
	out2=$(ip netns exec "$HUB" ping -c 10 -i 0.05 -W 1 10.55.0.12 2>&1)
	dup1=$(grep -o '+[0-9]* duplicates' <<< "$out1" | tr -dc 0-9)
	dup2=$(grep -o '+[0-9]* duplicates' <<< "$out2" | tr -dc 0-9)
	echo "    hub pings client 1 (broadcast): ${dup1:-0} duplicates; client 2 (balance-xor): ${dup2:-0}"
	((${dup1:-0} >= 10 && ${dup2:-0} == 0))
	check_err $? "per-peer policy not in force: $out1 / $out2"
	log_test "zt hub: a client named by node id in peerSpecificBonds gets broadcast, the others balance-xor"
}

trap zt_cleanup EXIT

zt_require
zt_setup || { echo "setup failed"; exit "$ksft_fail"; }

tests_run

ztb_exit
