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

# Pin the networking static keys on for the whole run. Tests toggle them
# all the time (ping enables receive timestamps, every clsact qdisc the
# ingress/egress hooks), and each toggle live-patches kernel text with
# int3. Under QEMU's TCG another vCPU can still execute the int3 after the
# patching finished (stale translated code), which the kernel reports as
# "Oops: int3" -- seen once in netif_rx_internal. With the keys held on,
# nothing is patched while the tests run. Real CPUs are not affected.
if ip link add ztb_keys type dummy 2>/dev/null; then
	tc qdisc add dev ztb_keys clsact 2>/dev/null
fi
python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# Python has no socket.SO_TIMESTAMP: 29 is its value on x86
s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_TIMESTAMP", 29), 1)
time.sleep(1 << 30)' &
keys_pid=$!

# The tests read ztbondctl's and ip's JSON with jq, thousands of times a
# run, many of them in polling loops. Under TCG jq 1.6 takes 0.5 s to
# start (it compiles its builtins each time); gojq, the same language,
# 0.07 s. The tests' jq is gojq when it is installed: the guest's /run is
# its own tmpfs.
if command -v gojq >/dev/null; then
	mkdir -p /run/ztb-bin && ln -sf "$(command -v gojq)" /run/ztb-bin/jq &&
		export PATH=/run/ztb-bin:$PATH
fi

# Stress runs (ZTBOND_STRESS, "make stress") outlast the settings file's
# timeout.
[[ -n ${ZTBOND_STRESS:-} ]] && export kselftest_override_timeout=${ZTBOND_STRESS_TIMEOUT:-7200}
# So do tests on the debug kernel (KASAN, lockdep, kmemleak under TCG):
# run-check.sh --debug-kernel passes ZTB_KSFT_TIMEOUT.
if [[ -n ${ZTB_KSFT_TIMEOUT:-} ]] && ((ZTB_KSFT_TIMEOUT > ${kselftest_override_timeout:-0})); then
	export kselftest_override_timeout=$ZTB_KSFT_TIMEOUT
fi

# Output goes both to the results file (parsed by the host) and the console
# (the live log). The runner's own exit status is always 0; the host parses
# the KTAP lines.
make --no-print-directory -C "$ZTB_KSFT_DIR" run_tests TEST_PROGS="$ZTB_TESTS" 2>&1 |
	tee "$ZTB_OUT/selftests.ktap" > /dev/console
rc=${PIPESTATUS[0]}
kill "$keys_pid" 2>/dev/null
sync
exit "$rc"
