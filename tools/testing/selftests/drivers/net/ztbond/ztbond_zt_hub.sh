#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The seed's hub, end to end on ztsim (the zerotier-one stand-in): "zt up"
# runs three members, bridged, bonded with balance-aware from a --config
# file; eight plain client members, each in a namespace of its own, reach
# the bond's address. The bond balances its clients as bonding's ALB does
# (each client learns one link's MAC from the hub's ARP, clients counted
# per link apart from the data flows), so with the same traffic from every
# client each member (process) carries at least 15% of the bytes the hub
# receives and of those it sends: what the seed wants from running several
# zerotier-one. One client, named by its ZeroTier node id in the file's
# peerSpecificBonds, gets the hub's traffic by broadcast (zt up passes its
# network, which turns the node id into the client's MAC): its pings come
# back from every member, the others' from one.

ALL_TESTS="
	zt_hub_clients_spread
	zt_hub_peer_policy_by_node_id
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

# shellcheck source=zt_lib.sh
source "$(dirname "$(readlink -f "$0")")"/zt_lib.sh

NCLI=8
NMEM=3
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

# one line per link of the hub's bond: name rx_bytes tx_bytes clients mac
# (data counters: the links' sysfs ones also hold control frames)
link_stats()
{
	ztb_ctl "$HUB" --json bond show ztbond0 |
		jq -r '.links[] | "\(.name) \(.rx_bytes) \(.tx_bytes) \(.clients // 0) \(.mac)"'
}

zt_hub_clients_spread()
{
	local out c mac name before after shares pids=()
	local -A link_of=() learned=()

	RET=0
	start_clients
	check_err $? "clients did not start"
	# the client mapped to broadcast in the next test: its node id is
	# only known once it runs
	cat > "$T/hub.json" <<-EOF
	{ "settings": { "defaultBondingPolicy": "balance-aware",
	    "peerSpecificBonds": { "$(node_of_client 1)": "broadcast" } } }
	EOF
	out=$(zt up --network "$NW" --count "$NMEM" --home "$T/h" --zerotier-one "$ZTSIM" \
		--central-token-file "$T/token" --central-url "http://127.0.0.1:$CPORT" \
		--timeout 60 --address 10.55.0.1/24 --config "$T/hub.json" 2>&1)
	check_err $? "zt up --count $NMEM failed: $out"
	# a tap may still be on its way up when "zt up" returns; a client that
	# resolves the hub meanwhile learns one of the others
	slowwait 30 zt_links_up "$HUB" "$NMEM"
	check_err $? "not all $NMEM links up: $(ztb_ctl "$HUB" bond show ztbond0)"
	while read -r name _ _ _ mac; do
		link_of[$mac]=$name
		learned[$name]=0
	done < <(link_stats)
	for c in "${CLIS[@]}"; do
		ztb_wait_ping "$c" 10.55.0.1 30 ||
			{ check_err 1 "client $c cannot reach the hub"; continue; }
		mac=$(ip -n "$c" -j neigh show 10.55.0.1 | jq -r '.[0].lladdr // "none"')
		name=${link_of[$mac]:-not-a-link}
		learned[$name]=$((${learned[$name]:-0} + 1))
	done
	out=$(for name in "${!learned[@]}"; do echo "$name:${learned[$name]}"; done | sort | tr '\n' ' ')
	echo "    clients per hub link (the MAC each learned for 10.55.0.1): $out"
	echo "    the bond's client counts: $(link_stats | awk '{ printf "%s:%s ", $1, $4 }')"
	# 7 clients balanced 3/2/2 by the bond; client 1 (broadcast) learns any
	[[ $out != *not-a-link* ]] &&
		awk -v n="$NMEM" '{ for (i = 1; i <= NF; i++) { split($i, a, ":"); if (a[2] < 2) exit 1; k++ } }
				 END { exit k != n }' <<< "$out"
	check_err $? "clients not spread over the $NMEM links, at least 2 each: $out (the bond counts $(link_stats | awk '{ printf "%s:%s ", $1, $4 }'); links: $(ztb_ctl "$HUB" --json bond show ztbond0 | jq -c '[.links[] | [.name, .state, .failures]]'))"

	# the same traffic from every client at once
	before=$(link_stats)
	for c in "${CLIS[@]}"; do
		ip netns exec "$c" ping -q -c 150 -i 0.02 -s 1000 -W 2 10.55.0.1 > /dev/null 2>&1 &
		pids+=($!)
	done
	# not a bare "wait": Central's stand-in runs in the background too
	wait "${pids[@]}"
	after=$(link_stats)
	shares=$(awk 'NR == FNR { rx[$1] = $2; tx[$1] = $3; next }
		      { drx[$1] = $2 - rx[$1]; dtx[$1] = $3 - tx[$1]; srx += drx[$1]; stx += dtx[$1]; n[++k] = $1 }
		      END { for (i = 1; i <= k; i++)
				printf "%s %.3f %.3f\n", n[i], srx ? drx[n[i]] / srx : 0, stx ? dtx[n[i]] / stx : 0 }' \
		     <(echo "$before") <(echo "$after"))
	echo "    shares of the bytes received / sent during the traffic: $(awk '{ printf "%s %s/%s  ", $1, $2, $3 }' <<< "$shares")"
	[[ $(wc -l <<< "$shares") -eq $NMEM ]] &&
		awk '$2 < 0.15 || $3 < 0.15 { exit 1 }' <<< "$shares"
	check_err $? "a member carried less than 15% of the received or sent bytes: $shares"
	log_test "zt hub: 3 bridged members bonded balance-aware, 8 client members: every member carries at least 15% of the bytes both ways"
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
	echo "    hub pings client 1 (broadcast): ${dup1:-0} duplicates; client 2 (balance-aware): ${dup2:-0}"
	((${dup1:-0} >= 10 && ${dup2:-0} == 0))
	check_err $? "per-peer policy not in force: $out1 / $out2"
	log_test "zt hub: a client named by node id in peerSpecificBonds gets broadcast, the others balance-aware"
}

trap zt_cleanup EXIT

zt_require
zt_setup || { echo "setup failed"; exit "$ksft_fail"; }

tests_run

ztb_exit
