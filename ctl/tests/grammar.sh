#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ztbondctl command-line grammar and validation tests.
#
#   sh tests/grammar.sh [path/to/ztbondctl]
#
# Every bad command line must fail with exit 1, print one line naming the
# bad word and what is allowed on stderr, print nothing on stdout, and send
# nothing: its error must win over "the ztbond module is not loaded".
#
# Commands that are valid need the kernel. Without the ztbond netlink
# family they must fail with exactly the "not loaded" message; with it (the
# module is loaded and we are root) a short live section runs in a private
# network namespace. Prints "N passed, N failed" last; exits 1 on failure.

# shellcheck disable=SC2016 # jq programs are single-quoted on purpose

CTL=${1:-./ztbondctl}
NOTLOADED='ztbondctl: the ztbond module is not loaded (modprobe ztbond)'

skip=0
tmp=$(mktemp -d) || exit 1
NS=
cleanup()
{
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# help WANT ARGS...: exit 0, stdout contains WANT, stderr empty.
help()
{
	want=$1
	shift
	run "$@"
	if [ "$rc" -eq 0 ] && [ -z "$err" ] && contains "$out" "$want"; then
		ok
	else
		ko "help/version output lacks \"$want\""
		show "$@"
	fi
}

# help_lacks WANT ARGS...: help output does not mention WANT.
help_lacks()
{
	want=$1
	shift
	run "$@"
	if [ "$rc" -eq 0 ] && ! contains "$out" "$want"; then
		ok
	else
		ko "help output should not contain \"$want\""
		show "$@"
	fi
}

# valid ARGS...: a command line that must parse; without the family it
# must end in exactly the "not loaded" message.
valid()
{
	if [ "$family" = present ]; then
		skip=$((skip + 1))
		return
	fi
	run "$@"
	if [ "$rc" -eq 1 ] && [ -z "$out" ] && [ "$err" = "$NOTLOADED" ]; then
		ok
	else
		ko "valid command line not accepted"
		show "$@"
	fi
}

if [ ! -x "$CTL" ]; then
	echo "grammar.sh: $CTL is not executable (make first)"
	exit 1
fi

"$CTL" bond show >/dev/null 2>"$tmp/probe"
if [ "$(cat "$tmp/probe")" = "$NOTLOADED" ]; then
	family=absent
else
	family=present
fi

# ---- help and version ------------------------------------------------------

help "Usage:" --help
help "Usage:" -h
help "Usage:" help
help "ztbondctl monitor [NAME] [--json]" --help
help "ztbondctl 0" -V
help "ztbondctl 0" --version
help "ztbondctl bond add NAME" bond --help
help "ztbondctl bond show" bond help
help_lacks "link add" bond -h
help "ztbondctl link set NAME DEV KEY VALUE" link -h
help_lacks "packetsPerLink" link help
help "packetsPerLink" bond add --help
help "linkSelectMethod" bond add zb0 -h
help "POLICY := none, active-backup" bond set zb0 --help
help "bond del NAME" bond del help
help "bond show [NAME] [--json]" bond show -h
help "failoverTo" link set zb0 zt0 --help
help "failoverTo" link add help
help "link del NAME DEV" link del -h
help "monitor [NAME] [--json]" monitor --help
help "peer list NAME [--json]" peer --help
help "Usage:" --json --help

# ---- grammar -----------------------------------------------------------------

bad "missing OBJECT"
bad "unknown option \"--bogus\"" --bogus bond show
bad "-n needs a network namespace" -n
bad "--netns needs a network namespace" --netns "" bond show
bad 'netns "ztb-no-such-ns": No such file or directory (see ip netns list)' -n ztb-no-such-ns bond show
bad 'netns "/nonexistent/ns": No such file or directory' --netns /nonexistent/ns bond show
bad 'zt does not take -n' -n ztb-no-such-ns zt status
bad 'unknown command "frob"' -n ztb-no-such-ns bond frob
bad "unknown object \"frob\"" frob
bad "unknown object \"bonds\"" bonds show
bad "bond: missing command" bond
bad "bond: unknown command \"list\"" bond list
bad "link: unknown command \"show\"" link show
bad "bond add: missing NAME" bond add
bad "bond set: missing NAME" bond set
bad "bond del: missing NAME" bond del
bad "link add: missing NAME" link add
bad "link add: missing DEV" link add zb0
bad "link del: missing DEV" link del zb0
bad "link set: missing DEV" link set zb0
bad "bond del: unexpected argument \"zb1\"" bond del zb0 zb1
bad "bond show: unexpected argument \"zb1\"" bond show zb0 zb1
bad "link del: unexpected argument \"x\"" link del zb0 zt0 x
bad "monitor: unexpected argument \"zb1\"" monitor zb0 zb1
bad "peer list: missing NAME" peer list
bad "peer list: unexpected argument \"zb1\"" peer list zb0 zb1
bad "peer: unknown command \"show\" (list)" peer show zb0
bad "is not a valid interface name" peer list "a b"
bad "is not a valid interface name" monitor "a b"
bad "bond set zb0: nothing to set (policy, packetsPerLink" bond set zb0
bad "link set zb0: nothing to set (mode, failoverTo" link set zb0 zt0
bad "\"zb0/x\" is not a valid interface name" bond add zb0/x
bad "\"zb:0\" is not a valid interface name" bond del zb:0
bad "\"a b\" is not a valid interface name" bond show "a b"
bad "\"0123456789abcdef\" is not a valid interface name (1..15 characters" \
	bond add 0123456789abcdef
bad "\"\" is not a valid interface name" link add zb0 ""
bad "\"..\" is not a valid interface name" link del zb0 ..

# ---- bond values ---------------------------------------------------------------

bad 'ztbondctl: packetsPerLink: "abc" is not a number (0..65535)' \
	bond add zb0 packetsPerLink abc
bad 'packetsPerLink: "65536" is out of range (0..65535)' \
	bond add zb0 packetsPerLink 65536
bad 'packetsPerLink: "-1" is out of range (0..65535)' \
	bond set zb0 packetsPerLink -1
bad 'packetsPerLink: "99999999999999999999999" is out of range' \
	bond set zb0 packetsPerLink 99999999999999999999999
bad 'packetsPerLink: "1e3" is not a number' bond add zb0 packetsPerLink 1e3
bad 'packetsPerLink: "0x10" is not a number' bond add zb0 packetsPerLink 0x10
bad 'packetsPerLink: " 5" is not a number' bond add zb0 packetsPerLink " 5"
bad 'packetsPerLink: "" is not a number' bond add zb0 packetsPerLink ""
bad 'failoverInterval: "249" is out of range (250..3600000 ms)' \
	bond add zb0 failoverInterval 249
bad 'failoverInterval: "3600001" is out of range (250..3600000 ms)' \
	bond set zb0 failoverInterval 3600001
bad 'upDelay: "12.5" is not a number (0..3600000 ms)' bond add zb0 upDelay 12.5
bad 'downDelay: "5s" is not a number (0..3600000 ms)' bond add zb0 downDelay 5s
bad 'downDelay: missing value (0..3600000 ms)' bond add zb0 downDelay
bad 'linkSelectMethod: "sometimes" is not one of always, better, failure, optimize' \
	bond add zb0 linkSelectMethod sometimes
bad 'activeReselect: "bogus" is not one of always, better, failure, optimize' \
	bond set zb0 activeReselect bogus
bad 'policy: "bogus" is not one of none, active-backup, broadcast, balance-rr, balance-xor' \
	bond add zb0 policy bogus
bad 'policy: "Active-Backup" is not one of' bond add zb0 policy Active-Backup
bad 'flowTableSize: "100" is out of range (256..1048576)' bond add zb0 policy balance-aware flowTableSize 100
bad 'flowExpiry: "999" is out of range (1000..86400000 ms)' bond add zb0 policy balance-aware flowExpiry 999
bad 'balancePolicy: "flow" is not one of flow-dynamic, flow-static, packet' \
	bond set zb0 balancePolicy flow
bad 'policy: missing value (none, active-backup' bond add zb0 policy
bad 'upDelay: given more than once' bond add zb0 upDelay 1 upDelay 2
bad 'linkSelectMethod: given more than once' \
	bond add zb0 linkSelectMethod always activeReselect better
bad 'policy: given more than once' bond set zb0 policy none policy none
bad '"frob" is not a bond key (policy, packetsPerLink, failoverInterval, upDelay, downDelay, linkSelectMethod, balancePolicy, flowTableSize, flowExpiry, monitorStrategy, punishBase, punishMax, dedup, dataHeader, reorderTimeout, authKey)' \
	bond add zb0 frob 1
bad '"mode" is a link key, not a bond key' bond add zb0 mode primary
bad 'authKey: "abc" is not one of 32 hex digits, or none' bond set zb0 authKey abc
bad 'authKey: "000102030405060708090a0b0c0d0e0g" is not one of 32 hex digits' \
	bond set zb0 authKey 000102030405060708090a0b0c0d0e0g
bad 'punishBase: "3600001" is out of range (0..3600000 ms)' bond set zb0 punishBase 3600001
bad 'pathMonitorStrategy: "often" is not one of passive, active, dynamic' \
	bond set zb0 pathMonitorStrategy often
bad 'bond rotate: missing NAME' bond rotate
bad 'bond rotate: unexpected argument "zb1"' bond rotate zb0 zb1
bad '"--json" is not a bond key' bond add zb0 --json
bad 'packetsPerLink: "abc" is not a number' --json bond add zb0 packetsPerLink abc

# ---- link values ---------------------------------------------------------------

bad '"packetsPerLink" is a bond key, not a link key (mode, failoverTo, enabled' \
	link add zb0 zt0 packetsPerLink 3
bad '"policy" is a bond key, not a link key' link set zb0 zt0 policy none
bad '"frob" is not a link key (mode, failoverTo, enabled, ipvPref, speed, alloc, upDelay, downDelay, failoverInterval)' \
	link set zb0 zt0 frob 1
bad 'mode: "both" is not one of spare, primary' link add zb0 zt0 mode both
bad 'enabled: "yes" is not one of true, false, 1, 0' link set zb0 zt0 enabled yes
bad 'enabled: "2" is not one of true, false, 1, 0' link set zb0 zt0 enabled 2
bad 'ipvPref: "5" is not one of 0, 4, 6, 46, 64' link set zb0 zt0 ipvPref 5
bad 'ipvPref: "v4" is not one of 0, 4, 6, 46, 64' link set zb0 zt0 ipvPref v4
bad 'speed: "1000001" is out of range (0..1000000)' link add zb0 zt0 speed 1000001
bad 'capacity: "-5" is out of range (0..1000000)' link add zb0 zt0 capacity -5
bad 'speed: given more than once' link set zb0 zt0 speed 1 capacity 2
bad 'alloc: "1.5" is out of range (a fraction 0..1, e.g. 0.25)' \
	link set zb0 zt0 alloc 1.5
bad 'alloc: "-0.1" is out of range' link set zb0 zt0 alloc -0.1
bad 'alloc: "abc" is not a fraction (a fraction 0..1, e.g. 0.25)' \
	link set zb0 zt0 alloc abc
bad 'alloc: "1e-1" is not a fraction' link set zb0 zt0 alloc 1e-1
bad 'alloc: "nan" is not a fraction' link set zb0 zt0 alloc nan
bad 'alloc: "." is not a fraction' link set zb0 zt0 alloc .
bad 'alloc: "25%" is not a fraction' link set zb0 zt0 alloc 25%
bad 'alloc: missing value' link set zb0 zt0 alloc
bad 'failoverTo: "zt/1" is not a valid interface name' link set zb0 zt0 failoverTo zt/1
bad 'failoverTo: "0123456789abcdef" is not a valid interface name' \
	link add zb0 zt0 failoverTo 0123456789abcdef
bad 'failoverInterval: "100" is out of range (250..3600000 ms, or inherit)' \
	link set zb0 zt0 failoverInterval 100
bad 'upDelay: "3600001" is out of range (0..3600000 ms, or inherit)' link set zb0 zt0 upDelay 3600001
bad 'upDelay: "inherit" is not a number (0..3600000 ms)' bond set zb0 upDelay inherit
bad 'downDelay: "x" is not a number' link add zb0 zt0 mode primary downDelay x
bad 'mode: given more than once' link add zb0 zt0 mode primary mode spare

# ---- valid command lines (need the kernel) --------------------------------------

valid bond add zb0
valid bond add zb0 policy active-backup
valid bond add zb0 policy active-backup packetsPerLink 0 failoverInterval 250 \
	upDelay 0 downDelay 3600000 linkSelectMethod optimize
valid bond add zb0 policy balance-rr packetsPerLink 65535
valid bond add zb0 activeReselect failure failoverInterval 3600000
valid bond set zb0 policy balance-xor
valid bond set zb0 policy none upDelay 100
valid bond set zb0 policy broadcast
valid bond del zb0
valid bond show
valid bond show zb0
valid bond show --json
valid bond show -j zb0
valid bond show zb0 --json
valid --json bond show
valid -j bond show zb0
valid link add zb0 zt0
valid link add zb0 zt0 mode primary failoverTo zt1 enabled false ipvPref 46 \
	speed 1000000 upDelay 0 downDelay 0 failoverInterval 3600000
valid link add zb0 zt0 mode spare enabled true ipvPref 0 alloc 0.25
valid link set zb0 zt0 alloc 1
valid link set zb0 zt0 alloc 0
valid link set zb0 zt0 alloc .5
valid link set zb0 zt0 failoverTo none
valid link set zb0 zt0 failoverTo ""
valid link set zb0 zt0 capacity 5 enabled 1 ipvPref 64
valid link set zb0 zt0 enabled 0
valid link del zb0 zt0
valid monitor
valid monitor --json
valid monitor zb0 --json
valid peer list zb0
valid peer list zb0 --json
valid --json peer list zb0
valid --json monitor

# ---- live kernel (only with the ztbond family, as root) ------------------------

# live WANT_RC WANT ARGS...: run in $NS; stderr+stdout must contain WANT.
live()
{
	want_rc=$1
	want=$2
	shift 2
	ip netns exec "$NS" "$CTL" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	if [ "$rc" -eq "$want_rc" ] && contains "$out$err" "$want"; then
		ok
	else
		ko "live: expected exit $want_rc and \"$want\""
		show "$@"
	fi
}

# live_json FILTER ARGS...: the JSON output satisfies jq -e FILTER.
live_json()
{
	filter=$1
	shift
	if ip netns exec "$NS" "$CTL" "$@" >"$tmp/out" 2>"$tmp/err" &&
	   jq -e "$filter" "$tmp/out" >/dev/null 2>&1; then
		ok
	else
		rc=$?
		out=$(cat "$tmp/out")
		err=$(cat "$tmp/err")
		ko "live: JSON does not satisfy $filter"
		show "$@"
	fi
}

live_tests()
{
	NS=ztbctl-$$
	ip netns add "$NS" || return 1
	ip -n "$NS" link add va0 type veth peer name vb0 &&
	ip -n "$NS" link add va1 type veth peer name vb1 &&
	ip -n "$NS" link add va2 type veth peer name vb2 || return 1
	for d in va0 vb0 va1 vb1 va2 vb2; do
		ip -n "$NS" link set "$d" up
	done

	live 0 "" bond add zbt0 policy active-backup failoverInterval 1000 \
		packetsPerLink 8
	live 1 "ztbondctl: " bond add zbt0
	live 0 "zbt0: active-backup" bond show zbt0
	live_json '.name == "zbt0" and .policy == "active-backup" and
		   .failoverInterval == 1000 and .packetsPerLink == 8 and
		   .linkSelectMethod == "always" and .links == [] and
		   (.ifindex | type) == "number" and (.mac | test("^([0-9a-f]{2}:){5}[0-9a-f]{2}$"))' \
		bond show zbt0 --json
	live 0 "" link add zbt0 va0 mode primary
	live 0 "" link add zbt0 va1 failoverTo va0 upDelay 100 alloc 0.25
	live 0 "" link add zbt0 va2 enabled false
	live 0 "va1" bond show zbt0
	live_json '.links | length == 3' --json bond show zbt0
	live_json '(.links[] | select(.name == "va1")) as $l |
		   $l.alloc == 0.25 and $l.failoverTo == "va0" and
		   $l.upDelay == 100 and $l.mode == "spare" and
		   ($l.downDelay | not)' bond show zbt0 -j
	live_json '(.links[] | select(.name == "va0")) as $l |
		   $l.mode == "primary" and $l.failoverTo == null and
		   ($l.state | type) == "string" and ($l.active | type) == "boolean"' \
		bond show zbt0 -j
	live_json '(.links[] | select(.name == "va2")) | .enabled == false' \
		bond show zbt0 -j
	live_json 'type == "array" and (map(select(.name == "zbt0")) | length == 1)' \
		bond show --json
	live 0 "zbt0:" bond show
	# The kernel's extack text must reach the user.
	live 1 "mutually exclusive" link set zbt0 va1 speed 100
	live 1 "failoverTo must name another link" link set zbt0 va0 failoverTo va0
	live 1 "ztbondctl: zbt0 va0: ztbond: failoverTo must name another link of this bond" \
		link set zbt0 va0 failoverTo vb0
	live 1 "ztbondctl: nosuch0: ztbond: no such device" bond show nosuch0
	live 1 "ztbondctl: " bond add vb0
	live 1 "ztbondctl: lo: ztbond: device is not a ztbond" bond show lo
	live 1 "ztbondctl: " link set zbt0 vb1 mode primary
	live 0 "" link set zbt0 va1 alloc 0 speed 100 failoverTo none
	live_json '(.links[] | select(.name == "va1")) as $l |
		   $l.speed == 100 and $l.failoverTo == null and (($l.alloc // 0) == 0)' \
		bond show zbt0 -j
	live 0 "" bond set zbt0 linkSelectMethod better upDelay 50
	live_json '.linkSelectMethod == "better" and .upDelay == 50' bond show zbt0 -j

	# monitor: events of a set, printed one JSON object per line, exit on
	# SIGINT. The monitor may take a while to join the group (slow VMs):
	# repeat the first change until its event shows up.
	ip netns exec "$NS" "$CTL" monitor --json >"$tmp/mon" 2>"$tmp/monerr" &
	mpid=$!
	i=0
	while [ $i -lt 20 ]; do
		sleep 0.5
		ip netns exec "$NS" "$CTL" bond set zbt0 packetsPerLink 16
		grep -q bond-change "$tmp/mon" && break
		i=$((i + 1))
	done
	ip netns exec "$NS" "$CTL" link set zbt0 va2 enabled true
	sleep 1
	kill -INT "$mpid"
	wait "$mpid"
	mrc=$?
	if [ "$mrc" -eq 0 ] &&
	   jq -e -s 'map(select(.event == "bond-change" and .bond == "zbt0")) | length >= 1' \
		"$tmp/mon" >/dev/null 2>&1 &&
	   jq -e -s 'map(select(.event == "link-change" and .link == "va2")) | length >= 1' \
		"$tmp/mon" >/dev/null 2>&1; then
		ok
	else
		ko "live: monitor --json (exit $mrc): $(cat "$tmp/mon" "$tmp/monerr")"
	fi

	# text: a time stamp, the event, the bond...; "monitor NAME" shows
	# that bond's events only
	ts='^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]\{8\}\.[0-9]\{3\}Z'
	ip netns exec "$NS" "$CTL" monitor zbt0 >"$tmp/mon" 2>"$tmp/monerr" &
	mpid=$!
	i=0
	while [ $i -lt 20 ]; do
		sleep 0.5
		ip netns exec "$NS" "$CTL" bond set zbt0 downDelay 0
		grep -q "$ts bond-change zbt0" "$tmp/mon" && break
		i=$((i + 1))
	done
	ip netns exec "$NS" "$CTL" bond add zbt9
	ip -n "$NS" link set vb0 down
	ip netns exec "$NS" "$CTL" link del zbt0 va2
	ip netns exec "$NS" "$CTL" bond del zbt9
	sleep 1
	kill -INT "$mpid"
	wait "$mpid"
	mrc=$?
	if [ "$mrc" -eq 0 ] && grep -q "$ts link-del zbt0 link va2" "$tmp/mon" &&
	   ! grep -q zbt9 "$tmp/mon"; then
		ok
	else
		ko "live: monitor (exit $mrc): $(cat "$tmp/mon" "$tmp/monerr")"
	fi
	cp "$tmp/mon" "${ZTB_MONITOR_LOG:-/dev/null}" 2>/dev/null

	if command -v setpriv >/dev/null 2>&1; then
		ip netns exec "$NS" setpriv --reuid=65534 --regid=65534 \
			--clear-groups --inh-caps=-all "$CTL" bond del zbt0 \
			>"$tmp/out" 2>"$tmp/err"
		rc=$?
		if [ "$rc" -eq 1 ] && [ "$(cat "$tmp/err")" = \
		     "ztbondctl: zbt0: permission denied (CAP_NET_ADMIN needed)" ]; then
			ok
		else
			ko "live: unprivileged bond del: exit $rc, $(cat "$tmp/err")"
		fi
	fi

	live 0 "" link del zbt0 va1
	live_json '.links | length == 1' bond show zbt0 -j
	live 0 "" bond del zbt0
	live 1 "no such device" bond show zbt0
	live_json '. == []' bond show --json
}

if [ "$family" = present ]; then
	if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1 ||
	   ! command -v jq >/dev/null 2>&1; then
		echo "grammar.sh: live tests skipped (need root, ip and jq)"
		skip=$((skip + 1))
	elif ! live_tests; then
		ko "live: could not set up the test namespace"
	fi
else
	echo "grammar.sh: ztbond family absent: valid command lines checked" \
	     "against \"not loaded\"; live kernel tests skipped"
fi

[ "$skip" -gt 0 ] && echo "$skip skipped"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
