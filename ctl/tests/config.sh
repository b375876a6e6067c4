#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ztbondctl "config" tests on the host (no kernel needed).
#
#   sh tests/config.sh [path/to/ztbondctl]
#
#   tests/config/bad/       one bad configuration per file; bad/EXPECTED
#                           names the fragment (JSON path, bad value, what is
#                           allowed) "config check" must print. Each must
#                           exit 1, print nothing on stdout, and be refused
#                           by "config apply" too before any netlink.
#   tests/config/good/      strict JSON versions of every example of
#                           ZeroTier's bonding documentation, ZeroTier-code
#                           spellings, ztbond's own keys: each is valid.
#   tests/config/comments/  files with // and /* */ comments: refused
#                           without --allow-comments (with line:column),
#                           then as comments/EXPECTED says with it.
#
# Prints "N passed, N failed" last; exits 1 on failure.

CTL=${1:-./ztbondctl}
DIR=$(dirname "$0")/config

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# valid FILE [ARGS...]: exit 0, "valid" on stdout, only notes on stderr.
valid()
{
	run config check "$@"
	if [ "$rc" -eq 0 ] && contains "$out" ": valid; policy in force: " &&
	   ! printf '%s\n' "$err" | grep -v '^$' | grep -qv ': note: '; then
		ok
	else
		ko "valid configuration refused"
		show config check "$@"
	fi
}

if [ ! -x "$CTL" ]; then
	echo "config.sh: $CTL is not executable (make first)"
	exit 1
fi

# ---- the bad corpus ----------------------------------------------------------

nbad=0
while IFS='	' read -r f want; do
	case $f in
	'#'*|'') continue ;;
	esac
	nbad=$((nbad + 1))
	bad "$want" config check "$DIR/bad/$f"
	bad "nothing was applied" config apply zb0 "$DIR/bad/$f"
done < "$DIR/bad/EXPECTED"
for f in "$DIR"/bad/*.json; do
	grep -q "^$(basename "$f")	" "$DIR/bad/EXPECTED" ||
		ko "$f has no line in bad/EXPECTED"
done
[ "$nbad" -ge 40 ] && ok || ko "only $nbad bad configurations (40 wanted)"

# ---- the good corpus ---------------------------------------------------------

for f in "$DIR"/good/*.json; do
	valid "$f"
done
run config check - < "$DIR/good/code-spellings.json"
if [ "$rc" -eq 0 ] && contains "$out" "(stdin): valid"; then
	ok
else
	ko "configuration on standard input"
	show config check -
fi
bad "config check: unexpected argument \"--bogus\"" \
	config check "$DIR/good/local-conf-other-settings.json" --bogus
bad "--network: \"8056c2e21c00001\" is not a ZeroTier network id (16 hex digits)" \
	config apply zb0 "$DIR/good/seed-5-peer-specific.json" --network 8056c2e21c00001
bad "--network: \"8056c2e21c00000g\" is not a ZeroTier network id (16 hex digits)" \
	config apply zb0 "$DIR/good/seed-5-peer-specific.json" --network 8056c2e21c00000g
bad "config apply: --network needs a network id (16 hex digits)" \
	config apply zb0 "$DIR/good/seed-5-peer-specific.json" --network
bad "config check: unexpected argument \"--network\"" \
	config check "$DIR/good/seed-5-peer-specific.json" --network 8056c2e21c000001
valid "$DIR/good/local-conf-other-settings.json"
if contains "$err" "note: settings.primaryPort: not a bonding setting, ignored" &&
   contains "$err" "note: physical: not bonding configuration, ignored"; then
	ok
else
	ko "ignored non-bonding keys are not noted: $err"
fi
valid "$DIR/good/code-spellings.json"
contains "$out" "policy in force: fast-ab (active-backup)" && ok ||
	ko "custom policy in force not reported: $out"

# ---- comments ----------------------------------------------------------------

while IFS='	' read -r f want; do
	case $f in
	'#'*|'') continue ;;
	esac
	run config check "$DIR/comments/$f"
	if [ "$rc" -eq 1 ] && [ -z "$out" ] &&
	   printf '%s' "$err" | grep -q "$f:[0-9]*:[0-9]*: "; then
		ok
	else
		ko "comments accepted without --allow-comments"
		show config check "$DIR/comments/$f"
	fi
	if [ "$want" = ok ]; then
		valid --allow-comments "$DIR/comments/$f"
	else
		bad "$want" config check --allow-comments "$DIR/comments/$f"
	fi
done < "$DIR/comments/EXPECTED"
bad "--allow-comments strips them" config check \
	"$DIR/comments/seed-quality.json"

# ---- grammar -----------------------------------------------------------------

bad "config: missing command (check, apply, dump)" config
bad "config: unknown command \"show\" (check, apply, dump)" config show
bad "config check: missing FILE" config check
bad "config apply: missing NAME" config apply
bad "config apply: missing FILE" config apply zb0
bad "config dump: missing NAME" config dump
bad "config dump: unexpected argument \"--allow-comments\"" \
	config dump zb0 --allow-comments
bad "config check: unexpected argument \"x\"" \
	config check "$DIR/good/empty-settings.json" x
bad "config check: unexpected argument \"--json\"" \
	config check "$DIR/good/empty-settings.json" --json
bad "\"zb/0\" is not a valid interface name" \
	config apply zb/0 "$DIR/good/empty-settings.json"
bad "\"a b\" is not a valid interface name" config dump "a b"
bad "$DIR/nosuch.json: No such file or directory" \
	config check "$DIR/nosuch.json"
bad "$DIR: Is a directory" config check "$DIR"
run config --help
if [ "$rc" -eq 0 ] && contains "$out" "config apply NAME FILE [--allow-comments]" &&
   contains "$out" "config dump NAME"; then
	ok
else
	ko "config --help"
	show config --help
fi

# ---- robustness: every prefix of a file is bad or accepted, never a crash

crash=
for f in "$DIR/good/code-spellings.json" "$DIR/comments/seed-link-parameters.json"; do
	n=$(wc -c < "$f")
	i=0
	while [ "$i" -lt "$n" ]; do
		head -c "$i" "$f" > "$tmp/cut.json"
		"$CTL" config check --allow-comments "$tmp/cut.json" \
			>/dev/null 2>&1
		rc=$?
		[ "$rc" -le 1 ] || crash="$crash $f@$i(exit $rc)"
		i=$((i + 7))
	done
done
[ -z "$crash" ] && ok || ko "crashes on truncated files:$crash"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
