#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bonded to bonded on ztsim (the zerotier-one stand-in), with no bridging:
# two namespaces each run "ztbondctl zt up --count 2" without a Central
# token, so no member is an active bridge and ztsim delivers to a member
# only unicast for its own MAC, broadcast, and the multicast groups its tap
# joined. The two ztbonds find each other by HELLO on every link; ARP for
# the other bond's address reaches it as unicast copies to its link MACs,
# and each local link addresses the remote link it is paired with, so both
# members on both sides carry traffic under balance-rr and balance-aware.
# A plain client member cannot resolve the bond's IPv4 address, just as on
# ZeroTier (and "zt up" said so), but reaches it over IPv6.

ALL_TESTS="
	zt_b2b_up_without_bridging
	zt_b2b_ipv4_resolves_to_link_macs
	zt_b2b_balance_rr_both_paths
	zt_b2b_balance_aware_both_paths
	zt_b2b_ipv6
	zt_plain_client_without_bridging
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

# shellcheck source=zt_lib.sh
source "$(dirname "$(readlink -f "$0")")"/zt_lib.sh

# one side: its own namespace, home and ports (ztsim's underlay port is
# the member's API port, and must differ from every other member's)
up_side()
{
	local ns=$1 home=$2 port=$3 n=$4

	ztb_ctl "$ns" zt up --network "$NW" --count 2 --home "$home" \
		--base-port "$port" --zerotier-one "$ZTSIM" --timeout 60 \
		--address "10.56.0.$n/24" --address "fd56::$n/64"
}

# the MACs of NS's bond links, sorted, space separated
link_macs()
{
	local ns=$1 l

	for l in $(ztb_ctl "$ns" --json bond show ztbond0 | jq -r '.links[].name'); do
		ip -n "$ns" -j link show "$l" | jq -r '.[0].address'
	done | sort | tr '\n' ' '
}

# every link of NS has a live path to the other bond
paths_alive()
{
	[[ $(ztb_ctl "$1" --json peer list ztbond0 2>/dev/null |
	     jq '[.. | objects | select(has("alive") and .alive == true) | .link] | unique | length') -eq 2 ]]
}

# "link:tx_bytes:rx_bytes ..." of NS's bond links, as the bond counted them
byte_counts()
{
	ztb_ctl "$1" --json bond show ztbond0 |
		jq -r '[.links[] | "\(.name):\(.tx_bytes):\(.rx_bytes)"] | join(" ")'
}

# shares FIELD BEFORE AFTER: each link's share (%) of the FIELD (2 = tx,
# 3 = rx) bytes between two byte_counts, lowest first
shares()
{
	local f=$1

	paste <(tr ' ' '\n' <<< "$2") <(tr ' ' '\n' <<< "$3") |
		awk -F'[:\t]' -v f="$f" 'NF >= 6 { d[$1] = $(f + 3) - $f; s += d[$1] }
			END { for (l in d) printf "%d\n", s ? 100 * d[l] / s : 0 }' | sort -n | tr '\n' ' '
}

# iperf3 from A to B's bond address for SECS with STREAMS streams; prints
# the Mbit/s received (0 when iperf3 failed: its error goes to stderr)
iperf_ab()
{
	local streams=$1 secs=$2 port=$3 out

	ztb_iperf_server "$HUB2" 10.56.0.2 "$port" "$secs"
	out=$(ip netns exec "$HUB" timeout $((secs + 30)) iperf3 -c 10.56.0.2 \
		-p "$port" -P "$streams" -t "$secs" -J 2>&1)
	jq -r '.error // empty | "    iperf3: " + .' <<< "$out" >&2 2>/dev/null
	jq -r '.end.sum_received.bits_per_second // 0 | . / 1e6 | floor' \
		<<< "$out" 2>/dev/null || { echo 0; echo "    iperf3: $out" >&2; }
	wait
}

# both_paths POLICY PORT STREAMS: under POLICY on both bonds, iperf3 from A
# to B; each of A's links sends and each of B's links receives at least 20%
both_paths()
{
	local policy=$1 port=$2 streams=$3 a0 b0 a1 b1 mbit txs rxs

	ztb_ctl "$HUB" bond set ztbond0 policy "$policy" &&
		ztb_ctl "$HUB2" bond set ztbond0 policy "$policy"
	check_err $? "cannot set $policy"
	ztb_ping "$HUB" 10.56.0.2 3
	check_err $? "A cannot ping B under $policy"
	a0=$(byte_counts "$HUB")
	b0=$(byte_counts "$HUB2")
	mbit=$(iperf_ab "$streams" 4 "$port")
	a1=$(byte_counts "$HUB")
	b1=$(byte_counts "$HUB2")
	txs=$(shares 2 "$a0" "$a1")
	rxs=$(shares 3 "$b0" "$b1")
	echo "    $policy, iperf3 -P $streams: $mbit Mbit/s; A's links sent ${txs}%, B's links received ${rxs}%"
	((${mbit:-0} > 0))
	check_err $? "iperf3 from A to B moved nothing under $policy"
	[[ $(wc -w <<< "$txs") -eq 2 && ${txs%% *} -ge 20 &&
	   $(wc -w <<< "$rxs") -eq 2 && ${rxs%% *} -ge 20 ]]
	check_err $? "one path carried (almost) nothing: A sent $txs%, B received $rxs% ($a0 -> $a1 / $b0 -> $b1)"
}

zt_b2b_up_without_bridging()
{
	local out

	RET=0
	setup_ns HUB2 || { check_err 1 "no second namespace"; log_test "b2b set-up"; return; }
	out=$(up_side "$HUB" "$T/h" 29100 1 2>&1)
	check_err $? "zt up on A failed: $out"
	grep -q 'not an active bridge' <<< "$out" && grep -q 'IPv4 clients cannot resolve' <<< "$out"
	check_err $? "zt up did not warn that without bridging IPv4 clients cannot resolve the bond: $out"
	out=$(up_side "$HUB2" "$T/h2" 29200 2 2>&1)
	check_err $? "zt up on B failed: $out"
	slowwait 30 zt_links_up "$HUB" 2 && slowwait 30 zt_links_up "$HUB2" 2
	check_err $? "links not up: $(ztb_ctl "$HUB" bond show ztbond0) / $(ztb_ctl "$HUB2" bond show ztbond0)"
	slowwait 30 paths_alive "$HUB" && slowwait 30 paths_alive "$HUB2"
	check_err $? "the bonds did not find each other on every link: $(ztb_ctl "$HUB" peer list ztbond0)"
	log_test "zt b2b: two fleets of two members, no bridging (zt up warned), HELLO paths on every link"
}

zt_b2b_ipv4_resolves_to_link_macs()
{
	local mac macs

	RET=0
	ztb_wait_ping "$HUB" 10.56.0.2 30
	check_err $? "A cannot reach B's IPv4 address without bridging"
	mac=$(ip -n "$HUB" -j neigh show 10.56.0.2 | jq -r '.[0].lladdr // "none"')
	macs=$(link_macs "$HUB2")
	echo "    A resolved 10.56.0.2 to $mac (B's links: $macs)"
	[[ " $macs" == *" $mac "* ]]
	check_err $? "A learned $mac for B, not one of B's link MACs ($macs)"
	ztb_wait_ping "$HUB2" 10.56.0.1 30
	check_err $? "B cannot reach A's IPv4 address"
	log_test "zt b2b: ARP between the bonds crosses without bridging and names a link MAC"
}

zt_b2b_balance_rr_both_paths()
{
	RET=0
	both_paths balance-rr 5301 1
	log_test "zt b2b: balance-rr, ping and iperf3 between the bonds, both members on both sides carry"
}

zt_b2b_balance_aware_both_paths()
{
	RET=0
	both_paths balance-aware 5302 8
	log_test "zt b2b: balance-aware, iperf3 with 8 streams, both members on both sides carry"
}

zt_b2b_ipv6()
{
	RET=0
	slowwait 30 ip netns exec "$HUB" ping -6 -c 1 -W 1 fd56::2 >/dev/null 2>&1
	check_err $? "A cannot reach B's IPv6 address"
	ip netns exec "$HUB" ping -6 -q -c 5 -i 0.2 -W 2 fd56::2 >/dev/null 2>&1
	check_err $? "IPv6 pings from A to B are lost"
	log_test "zt b2b: IPv6 between the bonds without bridging"
}

zt_plain_client_without_bridging()
{
	local st

	RET=0
	mkdir -p "$T/client/networks.d"
	echo "$NW=ztc" > "$T/client/devicemap"
	: > "$T/client/networks.d/$NW.conf"
	ip netns exec "$CLI" "$ZTSIM" -U -d -p29300 "$T/client" 2>"$T/client.log" &&
		slowwait 20 ip -n "$CLI" link show ztc >/dev/null 2>&1 &&
		ip -n "$CLI" addr add 10.56.0.9/24 dev ztc &&
		ip -n "$CLI" addr add fd56::9/64 dev ztc nodad
	check_err $? "client member did not start: $(cat "$T/client.log")"
	slowwait 30 ip netns exec "$CLI" ping -6 -c 1 -W 1 fd56::1 >/dev/null 2>&1
	check_err $? "a plain client cannot reach the bond over IPv6 without bridging"
	ip netns exec "$CLI" ping -q -c 3 -i 0.3 -W 1 10.56.0.1 >/dev/null 2>&1
	st=$?
	echo "    plain client: IPv6 reaches the bond; IPv4 ping exit $st, neighbour: $(ip -n "$CLI" neigh show 10.56.0.1)"
	[[ $st -ne 0 ]] && ! ip -n "$CLI" neigh show 10.56.0.1 | grep -q lladdr
	check_err $? "a plain client resolved the bond's IPv4 address without bridging"
	log_test "zt: without bridging a plain client cannot resolve the bond's IPv4 address (as on ZeroTier), IPv6 works"
}

b2b_cleanup()
{
	local f

	if [[ -n $T ]]; then
		for f in "$T"/h2/*/member*/zerotier-one.pid; do
			[[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null
		done
	fi
	zt_cleanup
}

trap b2b_cleanup EXIT

zt_require
ztb_require_cmd iperf3 ss
zt_setup || { echo "setup failed"; exit "$ksft_fail"; }

tests_run

ztb_exit
