# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by the ztsim host tests; source it with the test's arguments:
#   source "$(dirname "$0")/lib.sh" "$@"
#
#   HERE, ZTSIM ($1, default ../ztsim), CENTRAL (central.py)
#   ok DESC / ko DESC / check DESC CMD...   one "PASS: "/"FAIL: " line each
#   need ROOT|FILE|CMD...                   or one failed case and exit
#   start_central NS STATE TOKENFILE        central.py in NS: CENTRAL_PID, CPORT
#   finish                                  "N passed, N failed"; status

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ZTSIM=$(readlink -f "${1:-$HERE/../ztsim}")
CENTRAL=$HERE/../central.py
CENTRAL_PID=
CPORT=

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "PASS: $*"; }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { local d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else ko "$d"; fi; }

finish()
{
	echo "$pass passed, $fail failed"
	[[ $fail -eq 0 ]]
}

need()
{
	local n

	for n in "$@"; do
		if [[ $n == ROOT ]]; then
			[[ $(id -u) -eq 0 ]] && continue
		elif [[ $n == /* ]]; then
			[[ -x $n ]] && continue
		else
			command -v "$n" >/dev/null && continue
		fi
		echo "$(basename "$0"): needs ${n/ROOT/root}"
		ko "prerequisites"
		finish
		exit 1
	done
}

start_central()
{
	local ns=$1 state=$2 token=$3 pf

	pf=$(mktemp -u "$state/central.port.XXXXXX")
	ip netns exec "$ns" python3 "$CENTRAL" --state "$state" \
		--token-file "$token" --port-file "$pf" 2>"$state/central.log" &
	CENTRAL_PID=$!
	for _ in $(seq 50); do [[ -s $pf ]] && break; sleep 0.1; done
	CPORT=$(cat "$pf" 2>/dev/null)
	[[ -n $CPORT ]]
}
