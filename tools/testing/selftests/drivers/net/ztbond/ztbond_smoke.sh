#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test: the module is loaded, a ztbond device can be created with
# "ip link add ... type ztbond", is shown by "ip -d link", goes up and down,
# is deleted, and the module unloads and autoloads again.
# Exit: 0 pass, 1 fail, 4 skip (kselftest convention).

ALL_TESTS="
	module_loaded
	link_add
	link_show
	link_up_down
	link_del
	module_reload_autoload
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

NS=""

cleanup()
{
	cleanup_all_ns
}

module_loaded()
{
	RET=0

	[[ -d /sys/module/ztbond ]]
	check_err $? "/sys/module/ztbond missing after loading"
	log_test "ztbond module is loaded"
}

link_add()
{
	RET=0

	ip -n "$NS" link add zb0 type ztbond
	check_err $? "ip link add zb0 type ztbond failed"
	log_test "ip link add type ztbond"
}

link_show()
{
	local out

	RET=0

	out=$(ip -n "$NS" -d link show dev zb0 2>&1)
	check_err $? "ip -d link show zb0 failed: $out"
	grep -qw ztbond <<< "$out"
	check_err $? "kind ztbond not shown: $out"

	out=$(ip -n "$NS" -j -d link show dev zb0 2>&1)
	grep -q '"info_kind":"ztbond"' <<< "$out"
	check_err $? "json info_kind is not ztbond: $out"

	[[ -d /sys/module/ztbond ]] && ip netns exec "$NS" test -d /sys/class/net/zb0
	check_err $? "zb0 not in sysfs"
	log_test "ip -d link show shows a ztbond device"
}

link_up_down()
{
	RET=0

	ip -n "$NS" link set zb0 up
	check_err $? "ip link set zb0 up failed"
	ip -n "$NS" link show dev zb0 | grep -q '[<,]UP[,>]'
	check_err $? "zb0 is not administratively up"
	ip -n "$NS" link set zb0 down
	check_err $? "ip link set zb0 down failed"
	log_test "ztbond device goes up and down"
}

link_del()
{
	RET=0

	ip -n "$NS" link del zb0
	check_err $? "ip link del zb0 failed"
	ip -n "$NS" link show dev zb0 &>/dev/null
	check_fail $? "zb0 still exists after delete"
	log_test "ip link del ztbond device"
}

# Unload (no ztbond devices may be left anywhere), then let
# "ip link add type ztbond" autoload it through request_module().
module_reload_autoload()
{
	RET=0

	if ! modprobe -n -q ztbond 2>/dev/null; then
		log_test_skip "module unload and autoload" "ztbond not in modules.dep"
		return
	fi
	if { ip link show type ztbond; ip -all netns exec ip link show type ztbond; } 2>/dev/null |
	   grep -q '^[0-9]\+:'; then
		log_test_skip "module unload and autoload" "other ztbond devices exist"
		return
	fi

	modprobe -r ztbond
	check_err $? "modprobe -r ztbond failed (module in use?)"
	if [[ -d /sys/module/ztbond ]]; then
		check_err 1 "module still loaded after modprobe -r"
	else
		ip -n "$NS" link add zb1 type ztbond
		check_err $? "ip link add type ztbond did not autoload the module"
		[[ -d /sys/module/ztbond ]]
		check_err $? "module not loaded after autoload"
		ip -n "$NS" link del zb1 2>/dev/null
	fi
	# ztbondctl resolves the generic netlink family, which loads the
	# module by its alias (net-pf-16-proto-16-family-ztbond)
	modprobe -r ztbond
	if [[ -d /sys/module/ztbond ]]; then
		check_err 1 "module still loaded after the second modprobe -r"
	else
		ip netns exec "$NS" "$ZTBONDCTL" bond add zb1 > /dev/null
		check_err $? "ztbondctl bond add did not autoload the module"
		[[ -d /sys/module/ztbond ]]
		check_err $? "module not loaded by ztbondctl (genl family alias)"
		ip -n "$NS" link del zb1 2>/dev/null
	fi
	# Leave the module loaded for the tests that follow.
	modprobe ztbond 2>/dev/null
	log_test "module unload and autoload: ip link add (rtnl) and ztbondctl bond add (genl)"
}

ztb_require_root
ztb_require_module
trap cleanup EXIT

setup_ns NS || exit "$ksft_skip"

tests_run

ztb_exit
