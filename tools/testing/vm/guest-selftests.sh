#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of run-check.sh: run the ztbond kselftests through the kernel's
# own runner (lib.mk "run_tests" -> kselftest/runner.sh, KTAP output).
# Environment (from guest-init.sh): ZTB_OUT, ZTB_KSFT_DIR (our selftest dir
# inside a copy of the framework), ZTB_TESTS (test file names to run),
# ZTBONDCTL, ZTBOND_ROOT.

cd "$ZTB_KSFT_DIR" || exit 2

{
	echo "# kernel $(uname -r), ztbond module: ${ZTB_MODLOAD:-?}"
	if [[ $ZTB_MODLOAD == failed ]]; then
		sed 's/^/# modprobe: /' "$ZTB_OUT/modprobe.err"
	fi
} > /dev/console

# Output goes both to the results file (parsed by the host) and the console
# (the live log). The runner's own exit status is always 0; the host parses
# the KTAP lines.
make --no-print-directory -C "$ZTB_KSFT_DIR" run_tests TEST_PROGS="$ZTB_TESTS" 2>&1 |
	tee "$ZTB_OUT/selftests.ktap" > /dev/console
rc=${PIPESTATUS[0]}
sync
exit "$rc"
