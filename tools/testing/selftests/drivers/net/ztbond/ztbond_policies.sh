#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The static policies carry ping and TCP between two namespaces, each with a
# ztbond over two veth links (a1-b1, a2-b2), and the per-link counters show
# each policy's distribution:
#   none           everything on the first link
#   active-backup  everything on the primary link
#   broadcast      every frame on both links; with dedup (default) in DATA
#                  frames, the peer delivers one copy (ZeroTier's flow rules
#                  on the links); dedup false brings the duplicates back
#   balance-rr     packetsPerLink 1 alternates links
#   balance-xor    each UDP/TCP flow stays on one link, 16 flows use both;
#                  the link is chosen by ZeroTier's flow id alone
#                  (src port ^ dst port ^ protocol): IPv4, IPv6, and IPv6
#                  with an extension header (read by the flow dissector, the
#                  others by ztbond itself) with the same id share a link
# The bond's own counters (ip -s link) must equal what its links carried.

ALL_TESTS="
	policy_none
	policy_active_backup
	policy_broadcast
	broadcast_dedup
	policy_balance_rr
	policy_balance_xor
	balance_xor_flow_id
	bond_counters
	balance_xor_link_loss
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

N=40	# frames per measurement

# tx_delta NS CMD...: run CMD, print "<a1 delta> <a2 delta>" of NS's links.
tx_delta()
{
	local ns=$1 a b; shift

	a=$(ztb_data_stat "$ns" a1 tx_packets)
	b=$(ztb_data_stat "$ns" a2 tx_packets)
	"$@" >/dev/null 2>&1
	echo "$(( $(ztb_data_stat "$ns" a1 tx_packets) - a )) $(( $(ztb_data_stat "$ns" a2 tx_packets) - b ))"
}

fast_ping()
{
	ip netns exec "$NS_A" ping -q -c "$N" -i 0.01 -W 2 10.0.0.2
}

# tcp_ok: a TCP transfer of 2 MB from A to B over the bond completes.
tcp_ok()
{
	local rc

	ztb_iperf_server "$NS_B" 10.0.0.2 5201 60
	ip netns exec "$NS_A" timeout 60 iperf3 -c 10.0.0.2 -p 5201 -n 2M >/dev/null 2>&1
	rc=$?
	wait
	return $rc
}

# set_policy POLICY [KEY VALUE]...: on both bonds.
set_policy()
{
	ztb_ctl "$NS_A" bond set zb0 policy "$@" &&
	ztb_ctl "$NS_B" bond set zb0 policy "$@"
}

traffic_ok()
{
	ztb_wait_ping "$NS_A" 10.0.0.2 20
	check_err $? "ping over the bond failed"
	tcp_ok
	check_err $? "TCP transfer over the bond failed"
}

policy_none()
{
	local d

	RET=0
	set_policy none
	traffic_ok
	read -r -a d <<< "$(tx_delta "$NS_A" fast_ping)"
	((d[0] >= N && d[1] == 0))
	check_err $? "none: expected all on a1, got a1=${d[0]} a2=${d[1]}"
	log_test "none: ping and TCP, first link only (a1=${d[0]} a2=${d[1]})"
}

policy_active_backup()
{
	local d

	RET=0
	set_policy active-backup
	ztb_ctl "$NS_A" link set zb0 a2 mode primary
	check_err $? "link set mode primary failed"
	traffic_ok
	read -r -a d <<< "$(tx_delta "$NS_A" fast_ping)"
	((d[1] >= N && d[0] == 0))
	check_err $? "active-backup: expected all on primary a2, got a1=${d[0]} a2=${d[1]}"
	ztb_ctl "$NS_A" --json bond show zb0 | grep -q '"active_link": *"a2"'
	check_err $? "ztbondctl does not report a2 as the active link"
	ztb_ctl "$NS_A" link set zb0 a2 mode spare
	log_test "active-backup: ping and TCP, primary only (a1=${d[0]} a2=${d[1]})"
}

policy_broadcast()
{
	local d

	RET=0
	set_policy broadcast
	traffic_ok
	read -r -a d <<< "$(tx_delta "$NS_A" fast_ping)"
	((d[0] >= N && d[1] >= N))
	check_err $? "broadcast: expected every frame on both, got a1=${d[0]} a2=${d[1]}"
	log_test "broadcast: ping and TCP, every frame on both links (a1=${d[0]} a2=${d[1]})"
}

dedup_dropped()
{
	ztb_bond_field "$1" dedup_dropped
}

# ping20 VAR: 20 pings from A to B, the output in VAR.
ping20()
{
	printf -v "$1" '%s' "$(ip netns exec "$NS_A" ping -c 20 -i 0.1 -W 2 10.0.0.2 2>&1)"
}

# broadcast between two ztbonds, through ZeroTier's default flow rules:
# every frame still leaves on both links, but in DATA frames (HELLO said
# both peers take them), and each bond delivers the first copy only.
# With dedup false the copies come back.
broadcast_dedup()
{
	local l out before after mtu
	local -a d

	RET=0
	for l in a1 a2; do zt_rules "$NS_A" "$l"; done
	for l in b1 b2; do zt_rules "$NS_B" "$l"; done
	set_policy broadcast
	traffic_ok
	[[ $(ztb_bond_field "$NS_B" dedup) == true ]]
	check_err $? "dedup is not on by default"
	mtu=$(ztb_bond_field "$NS_B" mtu)
	((mtu == 1500 - 122))
	check_err $? "bond MTU $mtu with DATA frames, expected 1500 - 122"

	before=$(dedup_dropped "$NS_B")
	d=("$(ztb_data_stat "$NS_A" a1 tx_packets)" "$(ztb_data_stat "$NS_A" a2 tx_packets)")
	ping20 out
	d=($(( $(ztb_data_stat "$NS_A" a1 tx_packets) - d[0] ))
	   $(( $(ztb_data_stat "$NS_A" a2 tx_packets) - d[1] )))
	after=$(dedup_dropped "$NS_B")
	echo "$out" | tail -2 | sed 's/^/    /'
	grep -q DUP <<< "$out"
	check_fail $? "broadcast with dedup: duplicate replies"
	grep -q " 20 received" <<< "$out"
	check_err $? "broadcast with dedup: not 20 replies"
	((d[0] >= 20 && d[1] >= 20))
	check_err $? "broadcast with dedup: expected every frame on both links, got a1=${d[0]} a2=${d[1]}"
	# 20 echo requests, and at most a few neighbour probes, came twice
	((after - before >= 20 && after - before <= 26))
	check_err $? "B's dedup_dropped rose by $((after - before)), expected about 20"
	log_test "broadcast dedup: 20 pings, no DUP, a1=${d[0]} a2=${d[1]}, B dropped $((after - before)) copies"

	# with a key the DATA frames carry a tag, checked by the receiver
	RET=0
	ztb_ctl "$NS_A" bond set zb0 authKey 000102030405060708090a0b0c0d0e0f &&
	ztb_ctl "$NS_B" bond set zb0 authKey 000102030405060708090a0b0c0d0e0f
	check_err $? "bond set authKey failed"
	ztb_wait_ping "$NS_A" 10.0.0.2 20
	before=$(dedup_dropped "$NS_B")
	local fail_before fail_after
	fail_before=$(ztb_link_field "$NS_B" b1 ctl_auth_fail)
	ping20 out
	after=$(dedup_dropped "$NS_B")
	fail_after=$(ztb_link_field "$NS_B" b1 ctl_auth_fail)
	grep -q DUP <<< "$out"
	check_fail $? "broadcast with dedup and a key: duplicate replies"
	grep -q " 20 received" <<< "$out"
	check_err $? "broadcast with dedup and a key: not 20 replies: $out"
	((after - before >= 20 && after - before <= 26))
	check_err $? "with a key B's dedup_dropped rose by $((after - before)), expected about 20"
	((fail_after == fail_before))
	check_err $? "DATA frames failed authentication ($fail_before -> $fail_after)"
	ztb_ctl "$NS_A" bond set zb0 authKey none &&
	ztb_ctl "$NS_B" bond set zb0 authKey none
	log_test "broadcast dedup with authKey: tagged DATA frames, no DUP, B dropped $((after - before)) copies"

	RET=0
	ztb_ctl "$NS_A" bond set zb0 dedup false &&
	ztb_ctl "$NS_B" bond set zb0 dedup false
	check_err $? "bond set dedup false failed"
	ztb_ctl "$NS_B" bond show zb0 | grep -q "dedup false dropped"
	check_err $? "bond show does not say dedup false"
	mtu=$(ztb_bond_field "$NS_B" mtu)
	((mtu == 1500))
	check_err $? "bond MTU $mtu without DATA frames, expected 1500"
	before=$(dedup_dropped "$NS_B")
	ping20 out
	after=$(dedup_dropped "$NS_B")
	echo "$out" | tail -2 | sed 's/^/    /'
	grep -q DUP <<< "$out"
	check_err $? "broadcast without dedup: expected duplicate replies"
	((after == before))
	check_err $? "dedup_dropped moved with dedup off"
	ztb_ctl "$NS_A" bond set zb0 dedup true &&
	ztb_ctl "$NS_B" bond set zb0 dedup true
	for l in a1 a2; do zt_rules_del "$NS_A" "$l"; done
	for l in b1 b2; do zt_rules_del "$NS_B" "$l"; done
	log_test "broadcast dedup false: the copies come back (ping says DUP!)"
}

policy_balance_rr()
{
	local d

	RET=0
	set_policy balance-rr packetsPerLink 1
	traffic_ok
	read -r -a d <<< "$(tx_delta "$NS_A" fast_ping)"
	# single-threaded ping runs on one CPU at a time: near-perfect alternation
	((d[0] >= N / 2 - 4 && d[1] >= N / 2 - 4 && d[0] + d[1] >= N))
	check_err $? "balance-rr: expected alternation, got a1=${d[0]} a2=${d[1]}"

	ztb_ctl "$NS_A" bond set zb0 packetsPerLink 0
	read -r -a d <<< "$(tx_delta "$NS_A" fast_ping)"
	((d[0] > 0 && d[1] > 0))
	check_err $? "balance-rr random: expected both links used, got a1=${d[0]} a2=${d[1]}"
	log_test "balance-rr: ping and TCP, packetsPerLink 1 alternates, 0 spreads"
}

# run_flows COUNT LINKS PORT...: for each UDP source port, send COUNT
# datagrams and print the port and how many frames each of A's links (a
# comma-separated list) sent meanwhile.
run_flows()
{
	ip netns exec "$NS_A" python3 - "$@" <<'PY'
import socket, sys, time
count, links = int(sys.argv[1]), sys.argv[2].split(",")
ports = [int(p) for p in sys.argv[3:]]
def tx(dev):
    with open(f"/sys/class/net/{dev}/statistics/tx_packets") as f:
        return int(f.read())
for sport in ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.0.0.1", sport))
    before = [tx(l) for l in links]
    for _ in range(count):
        s.sendto(b"x" * 64, ("10.0.0.2", 9))
    time.sleep(0.05)
    print(sport, *[tx(l) - b for l, b in zip(links, before)])
    s.close()
PY
}

policy_balance_xor()
{
	local sport da db on1=0 on2=0 split=0

	RET=0
	set_policy balance-xor
	traffic_ok
	while read -r sport da db; do
		if ((da >= 20 && db <= 3)); then
			((on1++))
		elif ((db >= 20 && da <= 3)); then
			((on2++))
		else
			((split++))
			echo "flow from port $sport split: a1=$da a2=$db"
		fi
	done < <(run_flows 20 a1,a2 $(seq 40000 40015))
	((split == 0))
	check_err $? "balance-xor: $split flows were not kept on one link"
	((on1 > 0 && on2 > 0))
	check_err $? "balance-xor: 16 flows not spread (a1: $on1, a2: $on2)"
	log_test "balance-xor: ping and TCP, 16 UDP flows each on one link ($on1 on a1, $on2 on a2)"
}

# run_flow_set COUNT LINKS SPEC...: as run_flows, for flows given as
# FAMILY:SPORT:DPORT (FAMILY 4, 6, or 6h: IPv6 with a hop-by-hop options
# header, padding only); prints the spec and each link's frames.
run_flow_set()
{
	ip netns exec "$NS_A" python3 - "$@" <<'PY'
import socket, sys, time
count, links = int(sys.argv[1]), sys.argv[2].split(",")
def tx(dev):
    with open(f"/sys/class/net/{dev}/statistics/tx_packets") as f:
        return int(f.read())
for spec in sys.argv[3:]:
    fam, sport, dport = spec.split(":")
    if fam == "4":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        src, dst = ("10.0.0.1", int(sport)), ("10.0.0.2", int(dport))
    else:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        src, dst = ("2001:db8::1", int(sport)), ("2001:db8::2", int(dport))
        if fam == "6h":
            # next header (the kernel fills it), length 0, PadN of 4
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS,
                         bytes([0, 0, 1, 4, 0, 0, 0, 0]))
    s.bind(src)
    before = [tx(l) for l in links]
    for _ in range(count):
        s.sendto(b"x" * 64, dst)
    time.sleep(0.05)
    print(spec, *[tx(l) - b for l, b in zip(links, before)])
    s.close()
PY
}

# Eight flow ids, each sent as IPv4 UDP (port P to 9), IPv6 UDP (P ^ 0x300
# to 9 ^ 0x300) and IPv6 UDP with a hop-by-hop header (P ^ 0x500 to
# 9 ^ 0x500): the same id three ways must take one link; the ids use both.
balance_xor_flow_id()
{
	local i p l spec da db specs=() on1=0 on2=0
	local -A link=()

	RET=0
	set_policy balance-xor
	ztb_wait_ping "$NS_A" 10.0.0.2 20
	check_err $? "ping over the bond failed"
	ip netns exec "$NS_A" ping -6 -c 2 -i 0.2 -W 2 2001:db8::2 > /dev/null 2>&1
	check_err $? "IPv6 ping over the bond failed"
	for ((i = 0; i < 8; i++)); do
		p=$((40100 + i))
		specs+=("4:$p:9" "6:$((p ^ 0x300)):$((9 ^ 0x300))"
			"6h:$((p ^ 0x500)):$((9 ^ 0x500))")
	done
	while read -r spec da db; do
		if ((da >= 20 && db <= 3)); then
			link[$spec]=a1
		elif ((db >= 20 && da <= 3)); then
			link[$spec]=a2
		else
			link[$spec]="split"
			echo "flow $spec split: a1=$da a2=$db"
		fi
	done < <(run_flow_set 20 a1,a2 "${specs[@]}")
	for ((i = 0; i < 8; i++)); do
		p=$((40100 + i))
		l=${link[4:$p:9]:-none}
		[[ $l == a1 ]] && ((on1++))
		[[ $l == a2 ]] && ((on2++))
		[[ $l != split && $l != none &&
		   ${link[6:$((p ^ 0x300)):$((9 ^ 0x300))]:-} == "$l" &&
		   ${link[6h:$((p ^ 0x500)):$((9 ^ 0x500))]:-} == "$l" ]]
		check_err $? "flow id $((p ^ 9 ^ 17)): IPv4 on $l, IPv6 on ${link[6:$((p ^ 0x300)):$((9 ^ 0x300))]:-none}, IPv6 with hop-by-hop on ${link[6h:$((p ^ 0x500)):$((9 ^ 0x500))]:-none}"
	done
	((on1 > 0 && on2 > 0))
	check_err $? "balance-xor: 8 flow ids not spread (a1: $on1, a2: $on2)"
	log_test "balance-xor: a flow id takes one link over IPv4, IPv6 and IPv6 with an extension header ($on1 ids on a1, $on2 on a2)"
}

# flow_map NAME: which of a1..a3 carries each of 48 UDP flows, into the
# associative array NAME (port -> link, or "split" when no link carried the
# flow alone: its 40 frames, and at most 8 frames on the other two links
# together, HELLO, probes and probe replies, about 3 a second there: on the
# debug kernel a flow's 40 frames take long enough for more than 3).
flow_map()
{
	local -n map=$1
	local sport d i n try ports=($(seq 41000 41047))

	# a flow that looked split is measured again: a guest stall can let
	# the previous flow's frames or a burst of neighbour discovery in
	for try in 1 2 3; do
		while read -r sport d[1] d[2] d[3]; do
			map[$sport]=split
			for i in 1 2 3; do
				n=$((d[1] + d[2] + d[3] - d[i]))
				((d[i] >= 40 && n <= 8)) && map[$sport]=a$i
			done
		done < <(run_flows 40 a1,a2,a3 "${ports[@]}")
		ports=()
		for sport in "${!map[@]}"; do
			[[ ${map[$sport]} == split ]] && ports+=("$sport")
		done
		((${#ports[@]})) || break
	done
}

a2_usable()
{
	[[ $(ztb_link_field "$NS_A" a2 state) == "$1" ]]
}

# balance-xor over three links: a lost link's flows move, spread over the
# two others, and no other flow moves; when it comes back its flows return
# and the table is as before (ZeroTier and bonding rehash every flow).
balance_xor_link_loss()
{
	local -A before lost back
	local p stayed=0 moved=0 to1=0 to3=0 bad=()

	RET=0
	ztb_topo_destroy
	ztb_topo_create balance-xor 3 && ztb_wait_ping "$NS_A" 10.0.0.2 20
	check_err $? "three-link topology"
	flow_map before
	ip -n "$NS_A" link set a2 down
	slowwait 10 a2_usable down
	check_err $? "a2 set down but its state is $(ztb_link_field "$NS_A" a2 state)"
	flow_map lost
	ip -n "$NS_A" link set a2 up
	slowwait 20 a2_usable up
	check_err $? "a2 back up but its state is $(ztb_link_field "$NS_A" a2 state)"
	flow_map back
	for p in "${!before[@]}"; do
		case ${before[$p]}:${lost[$p]} in
		a1:a1 | a3:a3) stayed=$((stayed + 1)) ;;
		a2:a1) moved=$((moved + 1)) to1=$((to1 + 1)) ;;
		a2:a3) moved=$((moved + 1)) to3=$((to3 + 1)) ;;
		*) bad+=("$p:${before[$p]}>${lost[$p]}") ;;
		esac
		[[ ${back[$p]} == "${before[$p]}" ]] ||
			bad+=("$p:${before[$p]}>${lost[$p]}>${back[$p]}")
	done
	echo "    48 flows: $stayed stayed on a1/a3, $moved left a2 ($to1 to a1, $to3 to a3)"
	((${#bad[@]} == 0))
	check_err $? "flows that moved without need, split, or did not come back: ${bad[*]}"
	((moved >= 8 && to1 >= 2 && to3 >= 2))
	check_err $? "a2's flows did not spread over a1 and a3: $to1 and $to3 of $moved"
	log_test "balance-xor: a lost link's flows spread over the others, no other flow moves, they come back with it"
}

# The bond's counters (ip -s link, from per-CPU stats) equal the sum of
# what its links carried, in both directions.
# counters_of: "DEV.COUNTER=VALUE" lines for zb0 and its links from one
# netlink reply, so that the bond's and the links' numbers are of one moment.
counters_of()
{
	ztb_ctl "$NS_A" bond show zb0 --json | jq -r '
		(. as $b | ["tx_packets", "rx_packets", "tx_bytes"][] | "zb0.\(.)=\($b[.])"),
		(.links[] as $l | ["tx_packets", "rx_packets", "tx_bytes"][] | "\($l.name).\(.)=\($l[.])")'
}

bond_counters()
{
	local c dev k v
	local -A before after d

	RET=0
	set_policy balance-rr packetsPerLink 1
	ztb_wait_ping "$NS_A" 10.0.0.2 20
	while IFS== read -r k v; do before[$k]=$v; done < <(counters_of)
	fast_ping >/dev/null 2>&1
	while IFS== read -r k v; do after[$k]=$v; done < <(counters_of)
	for c in tx_packets rx_packets tx_bytes; do
		for dev in zb0 a1 a2; do
			d[$dev.$c]=$((after[$dev.$c] - before[$dev.$c]))
		done
		((d[zb0.$c] == d[a1.$c] + d[a2.$c] && d[zb0.$c] > 0))
		check_err $? "$c: bond ${d[zb0.$c]} != a1 ${d[a1.$c]} + a2 ${d[a2.$c]}"
	done
	(( $(ztb_stat "$NS_A" zb0 tx_packets) >= after[zb0.tx_packets] ))
	check_err $? "ip -s link shows fewer packets than ztbondctl"
	log_test "bond counters: ip -s link totals equal the links' data counters (tx ${d[zb0.tx_packets]}, rx ${d[zb0.rx_packets]})"
}

ztb_require_root
ztb_require_module
ztb_require_ctl
ztb_require_cmd iperf3 python3 ss
trap ztb_cleanup EXIT

ztb_topo_create "" 2 || ztb_skip "topology set-up failed"
tests_run
ztb_exit
