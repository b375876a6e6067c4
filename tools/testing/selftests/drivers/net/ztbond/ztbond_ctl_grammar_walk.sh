#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The bad input walker (ctl/tests/walk.sh) against a live bond: every
# command and key of "ztbondctl --help" fed malformed values, names and
# files (three malformed values a key; the host runs them all), and devices
# that do not exist (which only the kernel can refuse), fails with exit 1,
# names the offending word, prints nothing on stdout; "bond show --json"
# stays byte-identical (after each request that reaches the kernel and
# after each command's cases) and a listener sees no event.

source "$(dirname "$(readlink -f "$0")")"/lib.sh

ztb_require_root
# About 350 cases at two or three ztbondctl runs each: 5 to 12 minutes a
# kernel under TCG, too long for "make check" on both kernels within CI's
# time; "make stress" runs it (the host walker, ctl/tests/walk.sh without
# the kernel, runs in make check).
[[ -n ${ZTBOND_STRESS:-} ]] || ztb_skip "the live walker runs in make stress (ZTBOND_STRESS=1)"
ztb_require_module
ztb_require_ctl
ztb_require_cmd jq nsenter

# Active-backup over two links whose peers are down, so that nothing
# (HELLO, probes, counters) changes its dump by itself; a third device free.
walk_setup()
{
	ip -n "$NS" link add ztw0 type veth peer name ztw0p &&
	ip -n "$NS" link add ztw1 type veth peer name ztw1p &&
	ip -n "$NS" link add ztw2 type veth peer name ztw2p &&
	ztb_ctl "$NS" bond add zbw0 policy active-backup upDelay 100 &&
	ztb_ctl "$NS" link add zbw0 ztw0 mode primary &&
	ztb_ctl "$NS" link add zbw0 ztw1 failoverTo ztw0 &&
	ip -n "$NS" link set zbw0 up
}

RET=0
trap ztb_cleanup EXIT
setup_ns NS || ztb_skip "cannot create a namespace"
walk_setup || ztb_skip "walker set-up failed"
s1=$(ztb_ctl "$NS" bond show --json)
sleep 2
s2=$(ztb_ctl "$NS" bond show --json)
[[ $s1 == "$s2" ]]
check_err $? "the idle bond's dump changes by itself: $(diff <(echo "$s1") <(echo "$s2") | head -4)"
t0=$SECONDS
out=$(ZTB_WALK_NS=$NS ZTB_WALK_QUICK=1 ZTB_WALK_BOND=zbw0 ZTB_WALK_LINK=ztw0 \
	ZTB_WALK_LINK2=ztw1 ZTB_WALK_FREE=ztw2 \
	sh "$ZTBOND_ROOT/ctl/tests/walk.sh" "$ZTBONDCTL" 2>&1)
rc=$?
echo "$out" | grep -E "^(FAIL|  )|^walk.sh|passed, .* failed" | head -n 60 | sed 's/^/# /'
echo "# walker: $((SECONDS - t0)) s"
check_err $rc "ctl/tests/walk.sh failed"
log_test "bad input walker against a live bond ($(echo "$out" | tail -n 1))"
ztb_exit
