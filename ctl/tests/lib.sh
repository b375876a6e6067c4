# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by the ztbondctl test suites (sourced by grammar.sh and
# config.sh). The suite sets CTL (the tool) and tmp (a scratch directory)
# first. Each case calls ok or ko; the suite ends with "N passed, N failed".

pass=0
fail=0

ok()
{
	pass=$((pass + 1))
}

ko()
{
	fail=$((fail + 1))
	echo "FAIL: $*"
}

# run ARGS...: sets rc, out (stdout), err (stderr).
run()
{
	"$CTL" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

show()
{
	echo "      ztbondctl $*"
	echo "      exit $rc; stdout: $(printf '%s' "$out" | head -3)"
	echo "      stderr: $(printf '%s' "$err" | head -5)"
}

contains()
{
	case $1 in
	*"$2"*) return 0 ;;
	esac
	return 1
}

# bad WANT ARGS...: exit 1, stderr contains WANT, stdout empty, and it is
# not the "not loaded" error (so it was caught before any netlink).
bad()
{
	want=$1
	shift
	run "$@"
	if [ "$rc" -eq 1 ] && [ -z "$out" ] && contains "$err" "$want" &&
	   ! contains "$err" "not loaded"; then
		ok
	else
		ko "bad input not refused with \"$want\""
		show "$@"
	fi
}
