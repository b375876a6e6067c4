#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ztbondctl's own grammar and validation suite (ctl/tests/grammar.sh), run
# here with the module loaded so that its live cases talk to the kernel:
# every valid command line is accepted, every invalid one is refused by the
# tool before anything is sent, and the kernel's extack messages reach the
# user.

source "$(dirname "$(readlink -f "$0")")"/lib.sh

ztb_require_root
ztb_require_module
ztb_require_ctl
ztb_require_cmd jq

RET=0
out=$(sh "$ZTBOND_ROOT/ctl/tests/grammar.sh" "$ZTBONDCTL" 2>&1)
rc=$?
echo "$out" | grep -E "^(FAIL|not ok)|passed, .* failed" | sed 's/^/# /'
check_err $rc "ctl/tests/grammar.sh failed"
log_test "ztbondctl grammar suite against the kernel ($(echo "$out" | tail -n 1))"
ztb_exit
