#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# All ztsim host tests: ztsim.sh (the stand-in itself) and zt_ctl.sh
# ("ztbondctl zt" on top of it). Prints every case line and one closing
# "N passed, N failed" line for run-check.sh; exits 1 on any failure.
#
#   bash tests/run.sh [path/to/ztsim] [path/to/ztbondctl]

HERE=$(cd "$(dirname "$0")" && pwd)
ZTSIM=${1:-$HERE/../ztsim}
CTL=${2:-$HERE/../../../../ctl/ztbondctl}
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
tp=0
tf=0
for t in ztsim.sh zt_ctl.sh; do
	echo "# $t"
	bash "$HERE/$t" "$ZTSIM" "$CTL" > "$out" 2>&1
	cat "$out"
	if [[ $(tail -n 1 "$out") =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		tp=$((tp + BASH_REMATCH[1]))
		tf=$((tf + BASH_REMATCH[2]))
	else
		echo "FAIL: $t ended without a summary"
		tf=$((tf + 1))
	fi
done
echo "$tp passed, $tf failed"
[[ $tf -eq 0 ]]
