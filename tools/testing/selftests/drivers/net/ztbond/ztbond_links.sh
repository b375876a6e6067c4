#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bonds and links: create and delete with ip and with ztbondctl; enslave
# devices that are up and down, with ip and ztbondctl; refusals with their
# messages; MAC and MTU rules; what releasing a link restores.

ALL_TESTS="
	create_delete_ip
	create_delete_ctl
	enslave_up_and_down
	enslave_ctl
	refusals
	link_keeps_mac
	mtu_follows_links
	release_restores
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

NS=""

create_delete_ip()
{
	RET=0
	ip -n "$NS" link add zb0 type ztbond
	check_err $? "ip link add type ztbond failed"
	ip -n "$NS" -d link show zb0 | grep -q ztbond
	check_err $? "zb0 is not a ztbond"
	ztb_ctl "$NS" bond show zb0 >/dev/null
	check_err $? "ztbondctl does not see a bond made by ip"
	ip -n "$NS" link del zb0
	check_err $? "ip link del failed"
	log_test "create and delete with ip link"
}

create_delete_ctl()
{
	local out

	RET=0
	ztb_ctl "$NS" bond add zb1 policy balance-xor
	check_err $? "ztbondctl bond add failed"
	ip -n "$NS" -d link show zb1 | grep -q ztbond
	check_err $? "ztbondctl did not make a ztbond device"
	out=$(ztb_ctl "$NS" --json bond show zb1)
	grep -q '"policy": *"balance-xor"' <<< "$out"
	check_err $? "policy not balance-xor: $out"
	out=$(ztb_ctl "$NS" bond add zb1 2>&1)
	check_fail $? "a second bond with the same name was created"
	grep -qi "exists" <<< "$out"
	check_err $? "no clear error for a duplicate name: $out"
	ztb_ctl "$NS" bond del zb1
	check_err $? "ztbondctl bond del failed"
	ip -n "$NS" link show zb1 &>/dev/null
	check_fail $? "zb1 still exists"
	out=$(ztb_ctl "$NS" bond del lo 2>&1)
	check_fail $? "ztbondctl deleted a device that is not a bond"
	grep -q "not a ztbond" <<< "$out"
	check_err $? "no clear error deleting a non-bond: $out"
	log_test "create and delete with ztbondctl"
}

enslave_up_and_down()
{
	RET=0
	ip -n "$NS" link add zb0 type ztbond
	ip -n "$NS" link add v1 type veth peer name v1p
	ip -n "$NS" link add v2 type veth peer name v2p
	ip -n "$NS" link set v1 up
	ip -n "$NS" link set v1 master zb0
	check_err $? "enslaving a device that is up failed"
	ip -n "$NS" link set v2 master zb0
	check_err $? "enslaving a device that is down failed"
	ip -n "$NS" link show v1 | grep -q "master zb0"
	check_err $? "v1 not shown with master zb0"
	ip -n "$NS" link show v2 | grep -q "master zb0"
	check_err $? "v2 not shown with master zb0"
	ip -n "$NS" link set zb0 up
	ip -n "$NS" link set v1p up
	ip -n "$NS" link set v2p up
	slowwait 5 bash -c "ip -n $NS link show zb0 | grep -q LOWER_UP"
	check_err $? "bond has no carrier with two live links"
	ip -n "$NS" link set v1 nomaster
	check_err $? "nomaster failed"
	ip -n "$NS" link show v1 | grep -q "master"
	check_fail $? "v1 still has a master"
	ip -n "$NS" link del zb0
	ip -n "$NS" link show v2 | grep -q "master"
	check_fail $? "deleting the bond left v2 enslaved"
	ip -n "$NS" link del v1
	ip -n "$NS" link del v2
	log_test "enslave devices that are up and down with ip link"
}

enslave_ctl()
{
	local out

	RET=0
	ztb_ctl "$NS" bond add zb0 policy active-backup
	ip -n "$NS" link add v1 type veth peer name v1p
	ip -n "$NS" link add v2 type veth peer name v2p
	ztb_ctl "$NS" link add zb0 v1 mode primary
	check_err $? "ztbondctl link add failed"
	ztb_ctl "$NS" link add zb0 v2 failoverTo v1
	check_err $? "ztbondctl link add with failoverTo failed"
	out=$(ztb_ctl "$NS" --json bond show zb0)
	grep -q '"mode": *"primary"' <<< "$out"
	check_err $? "v1 not primary: $out"
	grep -q '"failoverTo": *"v1"' <<< "$out"
	check_err $? "v2 failoverTo not v1: $out"
	out=$(ztb_ctl "$NS" link set zb0 v1 failoverTo nosuchdev 2>&1)
	check_fail $? "failoverTo to a non-link accepted"
	grep -q "failoverTo" <<< "$out"
	check_err $? "no clear error for a bad failoverTo: $out"
	ztb_ctl "$NS" --json bond show zb0 | grep -q '"failoverTo": *"nosuchdev"'
	check_fail $? "rejected request changed the state"
	ztb_ctl "$NS" link del zb0 v2
	check_err $? "ztbondctl link del failed"
	ip -n "$NS" link show v2 | grep -q master
	check_fail $? "v2 still enslaved after link del"
	ztb_ctl "$NS" bond del zb0
	ip -n "$NS" link del v1
	ip -n "$NS" link del v2
	log_test "enslave and release with ztbondctl, per-link keys"
}

# expect_refusal DESC DEV PATTERN [ctl]: enslaving DEV to zb0 fails, with
# PATTERN in the message, through ip and through ztbondctl. With "ctl", only
# through ztbondctl: "ip link set master" moves a device that already has a
# master (the kernel releases it from the old one first), by design.
expect_refusal()
{
	local desc=$1 dev=$2 pat=$3 only=${4:-} out

	if [[ $only == ctl ]]; then
		out=$(ztb_ctl "$NS" link add zb0 "$dev" 2>&1)
		check_fail $? "$desc: ztbondctl link add accepted"
		grep -qi "$pat" <<< "$out"
		check_err $? "$desc: ztbondctl gave no clear message: $out"
		return
	fi
	out=$(ip -n "$NS" link set "$dev" master zb0 2>&1)
	check_fail $? "$desc: ip link set master accepted"
	grep -qi "$pat" <<< "$out"
	check_err $? "$desc: ip gave no clear message: $out"
	out=$(ztb_ctl "$NS" link add zb0 "$dev" 2>&1)
	check_fail $? "$desc: ztbondctl link add accepted"
	grep -qi "$pat" <<< "$out"
	check_err $? "$desc: ztbondctl gave no clear message: $out"
}

refusals()
{
	RET=0
	ip -n "$NS" link add zb0 type ztbond
	ip -n "$NS" link add zb1 type ztbond
	modprobe -q tun	# /dev/net/tun appears with the module
	ip -n "$NS" tuntap add tun0 mode tun
	ip -n "$NS" link add v1 type veth peer name v1p
	ip -n "$NS" link add br0 type bridge
	ip -n "$NS" link add v2 type veth peer name v2p
	ip -n "$NS" link set v2 master br0
	ip -n "$NS" link set v1 master zb1

	expect_refusal "non-Ethernet (tun)" tun0 "only Ethernet"
	expect_refusal "loopback" lo "loopback"
	expect_refusal "the bond itself" zb0 "its own link"
	expect_refusal "another ztbond" zb1 "cannot be a link"
	expect_refusal "already in a ztbond" v1 "already" ctl
	expect_refusal "already in a bridge" v2 "master" ctl
	ip -n "$NS" link show type ztbond | grep -c "master zb0" | grep -q '^0$'
	check_err $? "a refused device ended up enslaved"

	ip -n "$NS" link del zb0
	ip -n "$NS" link del zb1
	ip -n "$NS" link del tun0
	ip -n "$NS" link del v1
	ip -n "$NS" link del v2
	ip -n "$NS" link del br0
	log_test "refuse non-Ethernet, loopback, self, nested, enslaved devices"
}

mac_of()
{
	ip netns exec "$NS" cat "/sys/class/net/$1/address"
}

link_keeps_mac()
{
	local m1

	RET=0
	ip -n "$NS" link add zb0 type ztbond
	ip -n "$NS" link add v1 type veth peer name v1p
	m1=$(mac_of v1)
	ip -n "$NS" link set v1 master zb0
	[[ $(mac_of v1) == "$m1" ]]
	check_err $? "enslaving changed the link's MAC"
	[[ $(mac_of zb0) != "$m1" ]]
	check_err $? "bond took the link's MAC"
	ip -n "$NS" link del zb0
	ip -n "$NS" link del v1
	log_test "links keep their own MAC addresses"
}

mtu_of()
{
	ip netns exec "$NS" cat "/sys/class/net/$1/mtu"
}

mtu_follows_links()
{
	local out

	RET=0
	ip -n "$NS" link add zb0 type ztbond
	ip -n "$NS" link add v1 mtu 2800 type veth peer name v1p mtu 2800
	ip -n "$NS" link add v2 mtu 2000 type veth peer name v2p mtu 2000
	ip -n "$NS" link set v1 master zb0
	[[ $(mtu_of zb0) == 2800 ]]
	check_err $? "bond MTU $(mtu_of zb0), expected 2800 from its one link"
	ip -n "$NS" link set v2 master zb0
	[[ $(mtu_of zb0) == 2000 ]]
	check_err $? "bond MTU $(mtu_of zb0), expected the smallest link MTU 2000"
	ip -n "$NS" link set v2 mtu 1500
	[[ $(mtu_of zb0) == 1500 ]]
	check_err $? "bond MTU $(mtu_of zb0) did not follow a link going to 1500"
	ip -n "$NS" link set v2 mtu 2500
	[[ $(mtu_of zb0) == 2500 ]]
	check_err $? "bond MTU $(mtu_of zb0) did not follow the links back up to 2500"
	out=$(ip -n "$NS" link set zb0 mtu 9000 2>&1)
	check_fail $? "bond MTU above the links' accepted"
	ip -n "$NS" link set zb0 mtu 1400
	check_err $? "a smaller bond MTU was refused"
	ip -n "$NS" link set v2 nomaster
	[[ $(mtu_of zb0) == 1400 ]]
	check_err $? "an administrator's smaller MTU was not kept"
	ip -n "$NS" link del zb0
	ip -n "$NS" link del v1
	ip -n "$NS" link del v2
	log_test "bond MTU is the smallest link MTU and follows changes"
}

# The administrative flags of a device. Carrier-derived ones (NO-CARRIER,
# LOWER_UP, M-DOWN) depend on when linkwatch last ran, so they are left out.
flags_of()
{
	ip -n "$NS" -o link show "$1" | sed 's/.*<\([^>]*\)>.*/\1/' | tr ',' '\n' |
		grep -v -x -e NO-CARRIER -e LOWER_UP -e M-DOWN | sort | paste -sd,
}

promisc_of()
{
	ip -n "$NS" -d link show "$1" | sed -n 's/.*promiscuity \([0-9]*\).*/\1/p'
}

release_restores()
{
	local f_down f_up p0

	RET=0
	ip -n "$NS" link add zb0 type ztbond
	ip -n "$NS" link add v1 type veth peer name v1p
	ip -n "$NS" link add v2 type veth peer name v2p
	ip -n "$NS" link set v2 up
	f_down=$(flags_of v1)
	f_up=$(flags_of v2)
	ip -n "$NS" link set v1 master zb0
	ip -n "$NS" link set v2 master zb0
	# A link without unicast filtering is already promiscuous once it must
	# accept the bond's MAC; the bond's own promiscuity adds one more.
	p0=$(promisc_of v1)
	ip -n "$NS" link set zb0 promisc on
	flags_of v1 | grep -q SLAVE
	check_err $? "link not flagged SLAVE"
	(( $(promisc_of v1) == p0 + 1 ))
	check_err $? "bond promiscuity not passed to the link ($p0 -> $(promisc_of v1))"
	ip -n "$NS" link set v1 nomaster
	ip -n "$NS" link set v2 nomaster
	(( $(promisc_of v1) == 0 ))
	check_err $? "promiscuity $(promisc_of v1) left on v1 after release"
	[[ $(flags_of v1) == "$f_down" ]]
	check_err $? "v1 flags $(flags_of v1), were $f_down before enslaving"
	[[ $(flags_of v2) == "$f_up" ]]
	check_err $? "v2 flags $(flags_of v2), were $f_up before enslaving"
	ip -n "$NS" link del zb0
	ip -n "$NS" link del v1
	ip -n "$NS" link del v2
	log_test "releasing a link restores its flags, up state and promiscuity"
}

ztb_require_root
ztb_require_module
ztb_require_ctl
trap ztb_cleanup EXIT
setup_ns NS || ztb_skip "cannot create a namespace"
tests_run
ztb_exit
