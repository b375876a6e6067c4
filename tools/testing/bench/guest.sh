#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of "make bench": ZTB_SCRIPT of the one VM run. Runs each
# benchmark of BENCH_LIST in turn (tools/testing/bench/NAME.sh), each with
# its own output directory $ZTB_OUT/NAME/ (as its ZTB_OUT) and writes its
# exit status to $ZTB_OUT/NAME/status and its run time to .../seconds.
# Exit status: 0, or 1 if any benchmark failed (a set-up failure; speed
# never fails).

set -u

HERE=$(dirname "$(readlink -f "$0")")
failed=0
for b in ${BENCH_LIST:-tx_cost}; do
	d=$ZTB_OUT/$b
	mkdir -p "$d"
	printf 'bench: == %s ==\n' "$b"
	t0=$SECONDS
	ZTB_OUT=$d "$HERE/$b.sh"
	rc=$?
	echo "$rc" > "$d/status"
	echo "$((SECONDS - t0))" > "$d/seconds"
	printf 'bench: == %s: status %d, %d s ==\n' "$b" "$rc" "$((SECONDS - t0))"
	((rc == 0)) || failed=1
done
exit "$failed"
