#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Bad input walker: the grammar is read from "ztbondctl --help" (the
# commands of the Usage lines, POLICY := ..., the bond and link KEY VALUE
# tables: names, aliases, what each accepts), and every command is fed
# malformed input derived from it:
#   - each positional argument missing, overlong (> IFNAMSIZ), with '/',
#     ':', whitespace, empty, "..";
#   - an extra argument where the arity is fixed;
#   - an unknown key, a key of the other object (bond key on a link
#     command and the reverse);
#   - for every key and alias: the value missing, the key given twice
#     (also under its alias), and values malformed for its kind: empty,
#     negative, 99999999999999999999, non-numeric, fractions, hex, 1e3,
#     leading blank, just past each end of the range, "inherit" where it
#     is not allowed; a wrong enum word, its capitalised form; bad hex keys;
#     bad interface names;
#   - config commands: a missing file, a directory, an empty file, a file
#     that is not JSON;
#   - global: unknown options, objects, commands.
# Each must exit 1, print nothing on stdout, and say on stderr what was
# wrong, naming the offending word (the key, the value or the name). On a
# host without the ztbond family the message must not be "not loaded"
# (refused before anything is sent).
#
# ZTB_WALK_QUICK=1 tries one malformed value a key instead of all, and
# fewer malformed names and files.
#
# Live mode (ZTB_WALK_NS set; the VM test ztbond_ctl_grammar.sh): every
# command runs in that namespace against the bond $ZTB_WALK_BOND with links
# $ZTB_WALK_LINK and $ZTB_WALK_LINK2 and the free device $ZTB_WALK_FREE,
# requests naming a device that does not exist are added (they reach the
# kernel, whose refusal must name the device), "bond show --json" (all
# bonds of the namespace) must be byte-identical before and after each of
# those and each command's cases, and a listener (monitor) must see no
# event during the whole walk: no request changed anything.
#
#   sh tests/walk.sh [path/to/ztbondctl]
#
# Prints "N passed, N failed" last; exits 1 on failure.

CTL=${1:-./ztbondctl}
NS=${ZTB_WALK_NS:-}
BOND=${ZTB_WALK_BOND:-zbw0}
LINK=${ZTB_WALK_LINK:-ztw0}
LINK2=${ZTB_WALK_LINK2:-ztw1}
FREE=${ZTB_WALK_FREE:-ztw2}
NEWBOND=zbwnew0
NOTLOADED='not loaded'
# ZTB_WALK_QUICK=1 (the VM, where every run costs seconds): one malformed
# value a key, none for aliases, fewer malformed names and files
QUICK=${ZTB_WALK_QUICK:-}
NVALUES=$([ -n "$QUICK" ] && echo 1 || echo 100)
NALIAS=$([ -n "$QUICK" ] && echo 0 || echo 3)

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

if [ ! -x "$CTL" ]; then
	echo "walk.sh: $CTL is not executable (make first)"
	exit 1
fi

# nsenter rather than "ip netns exec": no mount namespace, no sysfs
# remount, cheaper in a VM
ctl()
{
	if [ -n "$NS" ]; then
		nsenter --net="/run/netns/$NS" "$CTL" "$@"
	else
		"$CTL" "$@"
	fi
}

# every bond of the namespace (a bond wrongly made shows too) with its links
state()
{
	[ -n "$NS" ] || return 0
	ctl bond show --json 2>&1
}

# check_state: in live mode, true (and a diff shown) if the state changed
check_state()
{
	[ -n "$NS" ] || return 1
	after=$(state)
	[ "$after" = "$before" ] && return 1
	printf '%s\n' "$before" > "$tmp/before"
	printf '%s\n' "$after" > "$tmp/after"
	diff "$tmp/before" "$tmp/after" | head -n 6 | sed 's/^/      /'
	before=$after
	return 0
}

# Live mode: the state before, and a listener: a request that changed
# anything would send an event
if [ -n "$NS" ]; then
	before=$(state)
	nsenter --net="/run/netns/$NS" "$CTL" --json monitor > "$tmp/events" 2>&1 &
	mon=$!
	trap 'kill $mon 2>/dev/null; rm -rf "$tmp"' EXIT
	sleep 1
fi

# bad WANT ARGS...: exit 1, nothing on stdout, stderr names WANT, and (on a
# host) the tool refused before netlink; live: the bond is unchanged.
ncase=0
bad()
{
	want=$1
	shift
	ncase=$((ncase + 1))
	ctl "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	# no $(cat): every fork counts in a VM
	why=
	[ "$rc" -eq 1 ] || why="exit $rc"
	[ -s "$tmp/out" ] && why="$why${why:+, }output on stdout"
	[ -s "$tmp/err" ] || why="$why${why:+, }no message"
	grep -qF -e "$want" "$tmp/err" ||
		why="$why${why:+, }message does not name \"$want\""
	if [ -z "$NS" ] && grep -qF -e "$NOTLOADED" "$tmp/err"; then
		why="$why${why:+, }not refused before netlink"
	fi
	# the cases that reach the kernel: state compared at once
	case "$NS $*" in
	?*nosuch*) check_state && why="$why${why:+, }the bond changed" ;;
	esac
	if [ -z "$why" ]; then
		ok
	else
		out=$(cat "$tmp/out")
		err=$(cat "$tmp/err")
		ko "$why"
		show "$@"
	fi
}

# ---- the grammar, from --help ---------------------------------------------

"$CTL" --help > "$tmp/help" 2>&1 || { echo "walk.sh: --help failed"; exit 1; }

# "bond add NAME [policy POLICY] [KEY VALUE]..." per line; zt has its own
# walker (tools/testing/ztsim/tests/zt_ctl.sh)
sed -n 's/^\(Usage:\)\{0,1\} *ztbondctl \(\(bond\|link\|config\|monitor\)\( .*\)\{0,1\}\)$/\2/p' \
	"$tmp/help" > "$tmp/cmds"
# "KIND NAME ALIAS|- ALLOWED" per key
awk '
	/^POLICY := / { sub(/^POLICY := /, ""); print "bond policy - " $0; next }
	/^Bond KEY VALUE/ { kind = "bond"; next }
	/^Link KEY VALUE/ { kind = "link"; next }
	/^$/ { kind = ""; next }
	kind && /^  [A-Za-z]/ {
		name = $1; sub(/^  [A-Za-z]+ +/, "")
		alias = "-"
		if (match($0, / \(alias [A-Za-z]+\)$/)) {
			alias = substr($0, RSTART + 8, RLENGTH - 9)
			$0 = substr($0, 1, RSTART - 1)
		}
		print kind, name, alias, $0
	}' "$tmp/help" > "$tmp/keys"

ncmds=$(wc -l < "$tmp/cmds")
nkeys=$(wc -l < "$tmp/keys")
if [ "$ncmds" -lt 12 ] || [ "$(grep -c '^bond ' "$tmp/keys")" -lt 12 ] ||
   [ "$(grep -c '^link ' "$tmp/keys")" -lt 9 ]; then
	ko "--help parsed into $ncmds commands and $nkeys keys"
	cat "$tmp/cmds" "$tmp/keys"
fi

# A valid value for a key (ALLOWED text) and the malformed ones, one a line.
good_value()
{
	case $1 in
	*..*" or inherit"|[0-9]*..[0-9]*) echo "${1%%..*}" ;;
	"a fraction"*) echo 0.5 ;;
	"an interface name"*|"32 hex digits"*) echo none ;;
	*) echo "${1%%,*}" ;;
	esac
}

bad_values()
{
	allowed=$1
	case $allowed in
	"a fraction"*)
		printf '%s\n' "" -0.1 -0 1.5 abc 99999999999999999999 nan inf \
			1e-1 0x1 . "25%" " 0.5"
		;;
	"an interface name"*)
		printf '%s\n' 0123456789abcdef 0123456789abcdefghij a/b "a b" a:b ..
		;;
	"32 hex digits"*)
		printf '%s\n' "" abc 000102030405060708090a0b0c0d0e0 \
			000102030405060708090a0b0c0d0e0f0 \
			gggggggggggggggggggggggggggggggg \
			99999999999999999999 -1
		;;
	[0-9]*..[0-9]*)
		lo=${allowed%%..*}
		hi=${allowed#*..}
		hi=${hi%%[!0-9]*}
		printf '%s\n' "" -1 99999999999999999999 abc 1.5 0x10 1e3 " 1" \
			"+1" "$((hi + 1))"
		[ "$lo" -gt 0 ] && echo "$((lo - 1))"
		contains "$allowed" inherit || echo inherit
		contains "$allowed" inherit && echo -inherit
		;;
	*)	# an enumeration: "a, b, c"
		first=${allowed%%,*}
		printf '%s\n' "" bogus -1 99999999999999999999 " $first" "$first,"
		cap=$(printf '%s' "$first" | tr '[:lower:]' '[:upper:]')
		[ "$cap" != "$first" ] && echo "$cap"
		case $allowed in
		"true, false"*) printf '%s\n' 2 yes ;;
		"0, 4"*) printf '%s\n' 5 -4 v4 ;;
		esac
		;;
	esac
}

# ---- walk ------------------------------------------------------------------

# args_for SYNTAX: the positional arguments of a command, valid ones.
positional()
{
	for w in $1; do
		case $w in
		NAME|"[NAME]") if [ "$2" = "bond add" ]; then printf '%s ' "$NEWBOND"; else printf '%s ' "$BOND"; fi ;;
		DEV) if [ "$2" = "link add" ]; then printf '%s ' "$FREE"; else printf '%s ' "$LINK"; fi ;;
		FILE) printf '%s ' "$tmp/good.json" ;;
		esac
	done
}

printf '{ "settings": { "defaultBondingPolicy": "balance-rr" } }\n' > "$tmp/good.json"
: > "$tmp/empty.json"
printf 'policy balance-rr\n' > "$tmp/notjson.json"
printf '{ "settings": { "defaultBondingPolicy": "balance-rr" }\n' > "$tmp/cut.json"

while read -r obj cmd syntax; do
	# live: the previous command's cases changed nothing
	if [ -n "$NS" ]; then
		ncase=$((ncase + 1))
		if check_state; then
			ko "live: the cases before \"$obj $cmd\" changed the bond"
		else
			ok
		fi
	fi
	case $obj in
	monitor)
		bad '"extra"' monitor zb0 extra
		bad '"a b"' monitor "a b"
		bad '"--jsonx"' monitor --jsonx
		bad '"-x"' monitor -x
		continue
		;;
	esac
	cname="$obj $cmd"
	# shellcheck disable=SC2046
	set -- $(positional "$syntax" "$cname")
	pos="$*"
	npos=$#

	# each required positional argument missing
	case $syntax in
	*"[NAME]"*) nreq=0 ;;
	*) nreq=$npos ;;
	esac
	case $nreq in
	1)	bad "$cname: missing" "$obj" "$cmd" ;;
	2)	bad "$cname: missing" "$obj" "$cmd"
		bad "$cname: missing" "$obj" "$cmd" "$1" ;;
	esac
	# each interface-name positional malformed
	i=0
	for w in $syntax; do
		case $w in
		NAME|DEV|"[NAME]") ;;
		*) continue ;;
		esac
		if [ -n "$QUICK" ]; then
			names='0123456789abcdef a/b'
		else
			names='0123456789abcdef 0123456789abcdefghijklmnopqrstuvwxyz a/b a:b ..'
		fi
		# and "" and "a b", which word splitting would lose
		for v in $names "" "a b"; do
			# shellcheck disable=SC2086
			set -- $pos
			if [ $i -eq 0 ]; then
				shift
				bad "\"$v\"" "$obj" "$cmd" "$v" "$@"
			else
				bad "\"$v\"" "$obj" "$cmd" "$1" "$v"
			fi
		done
		# a device that does not exist: only the kernel knows
		if [ -n "$NS" ] && [ "$cname" != "bond add" ]; then
			# shellcheck disable=SC2086
			set -- $pos
			if [ $i -eq 0 ]; then
				shift
				case $cname in
				"config apply") bad nosuchbond0 "$obj" "$cmd" nosuchbond0 "$@" ;;
				"link set") bad nosuchbond0 "$obj" "$cmd" nosuchbond0 "$@" mode spare ;;
				"bond set") bad nosuchbond0 "$obj" "$cmd" nosuchbond0 upDelay 0 ;;
				*) bad nosuchbond0 "$obj" "$cmd" nosuchbond0 "$@" ;;
				esac
			elif [ "$cname" = "link set" ]; then
				bad nosuchdev0 "$obj" "$cmd" "$1" nosuchdev0 mode spare
			else
				bad nosuchdev0 "$obj" "$cmd" "$1" nosuchdev0
			fi
		fi
		i=$((i + 1))
	done
	# FILE: missing, a directory, empty, not JSON, cut short
	case $syntax in
	*FILE*)
		# shellcheck disable=SC2086
		set -- $pos
		[ "$npos" -eq 2 ] && bad "missing FILE" "$obj" "$cmd" "$1"
		[ "$npos" -eq 2 ] && pre=$1 || pre=
		files="/nonexistent/ztbond.json / $tmp/empty.json $tmp/notjson.json $tmp/cut.json"
		[ -n "$QUICK" ] && files="/nonexistent/ztbond.json $tmp/notjson.json"
		for f in $files; do
			# shellcheck disable=SC2086
			bad "$f" "$obj" "$cmd" $pre "$f"
		done
		bad '"--bogus"' "$obj" "$cmd" $pos --bogus
		;;
	esac
	# fixed arity: an extra argument
	case $syntax in
	*"KEY VALUE"*) ;;
	*)	# shellcheck disable=SC2086
		bad '"extra"' "$obj" "$cmd" $pos extra
		;;
	esac

	# keys
	case $syntax in
	*"KEY VALUE"*) ;;
	*) continue ;;
	esac
	case $obj in
	bond) other=link; otherkey=mode ;;
	*) other=bond; otherkey=policy ;;
	esac
	# shellcheck disable=SC2086
	bad '"bogusKey"' "$obj" "$cmd" $pos bogusKey 1
	# shellcheck disable=SC2086
	bad "\"$otherkey\" is a $other key" "$obj" "$cmd" $pos "$otherkey" x
	# shellcheck disable=SC2086
	bad '"--json"' "$obj" "$cmd" $pos --json
	while read -r kind key alias allowed; do
		[ "$kind" = "$obj" ] || continue
		good=$(good_value "$allowed")
		for k in "$key" "$alias"; do
			[ "$k" = - ] && continue
			# shellcheck disable=SC2086
			bad "$k: missing value" "$obj" "$cmd" $pos "$k"
			# shellcheck disable=SC2086
			bad "$key: given more than once" "$obj" "$cmd" $pos "$k" "$good" "$k" "$good"
			# an alias gets the first few; quick mode: every key too
			bad_values "$allowed" > "$tmp/all"
			grep -v '^$' "$tmp/all" | head -n "$([ "$k" = "$key" ] &&
				echo "$NVALUES" || echo "$NALIAS")" > "$tmp/values"
			[ -z "$QUICK" ] && [ "$k" = "$key" ] && grep -q '^$' "$tmp/all" &&
				echo >> "$tmp/values"
			while IFS= read -r v; do
				# shellcheck disable=SC2086
				bad "$k: \"$v\"" "$obj" "$cmd" $pos "$k" "$v"
			done < "$tmp/values"
		done
		# a bad value after a good key: still nothing sent
		case $key in
		upDelay|enabled) pre="downDelay 7" ;;
		*) pre=$([ "$obj" = bond ] && echo upDelay 7 || echo enabled 0) ;;
		esac
		v=$(bad_values "$allowed" | sed -n 2p)
		# shellcheck disable=SC2086
		bad "$key: \"$v\"" "$obj" "$cmd" $pos $pre "$key" "$v"
		if [ "$alias" != - ]; then
			# shellcheck disable=SC2086
			bad "$key: given more than once" "$obj" "$cmd" $pos "$key" "$good" "$alias" "$good"
		fi
	done < "$tmp/keys"
done < "$tmp/cmds"

# ---- global --------------------------------------------------------------------

bad '"--bogus"' --bogus bond show
bad '"-x"' -x bond show
bad "missing OBJECT" --json
bad '"frob"' frob
bad '"bonds"' bonds show
for obj in bond link config; do
	bad "$obj: missing command" "$obj"
	bad '"frob"' "$obj" frob
	bad '"Add"' "$obj" Add
done
# every command an object lists in its error exists
for obj in bond link config; do
	ctl "$obj" frob 2>&1 | head -n 1 | sed -n 's/.*(\(.*\))$/\1/p' |
		tr -d , > "$tmp/listed"
	for c in $(cat "$tmp/listed"); do
		ncase=$((ncase + 1))
		if grep -q "^$obj $c\( \|$\)" "$tmp/cmds"; then
			ok
		else
			ko "\"$obj frob\" lists \"$c\", which --help does not have"
		fi
	done
	for c in $(sed -n "s/^$obj \([a-z]*\).*/\1/p" "$tmp/cmds"); do
		ncase=$((ncase + 1))
		if grep -qw "$c" "$tmp/listed"; then
			ok
		else
			ko "\"$obj frob\" does not list \"$c\" among the commands of $obj"
		fi
	done
done

if [ -n "$NS" ]; then
	ncase=$((ncase + 2))
	if check_state; then
		ko "live: the last cases changed the bond"
	else
		ok
	fi
	sleep 1
	kill "$mon" 2>/dev/null
	wait "$mon" 2>/dev/null
	if [ -s "$tmp/events" ]; then
		ko "live: requests changed something: $(head -n 3 "$tmp/events")"
	else
		ok
	fi
fi
echo "walk.sh: $ncmds commands, $nkeys keys, $ncase cases${NS:+ (live, namespace $NS)}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
