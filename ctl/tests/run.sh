#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# "make test": every ztbondctl suite (tests/grammar.sh, tests/walk.sh: the
# bad input walker, tests/config.sh, tests/ynl_spec.py: the YNL spec agrees
# with the uapi header) with their output, then the sum of their closing "N passed, N failed"
# lines as the last line (the line tools/testing/run-check.sh counts).
#
#   sh tests/run.sh [path/to/ztbondctl]

CTL=${1:-./ztbondctl}
DIR=$(dirname "$0")
tp=0
tf=0
rc=0
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT

for t in grammar.sh walk.sh config.sh ynl_spec.py; do
	echo "== tests/$t"
	case $t in
	*.sh) sh "$DIR/$t" "$CTL" > "$log" 2>&1 || rc=1 ;;
	*.py) python3 "$DIR/$t" > "$log" 2>&1 || rc=1 ;;
	esac
	cat "$log"
	line=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log" |
	       tail -n 1)
	if [ -z "$line" ]; then
		echo "tests/$t did not finish"
		tf=$((tf + 1))
		rc=1
		continue
	fi
	tp=$((tp + ${line% *}))
	tf=$((tf + ${line#* }))
done
echo "$tp passed, $tf failed"
exit $rc
