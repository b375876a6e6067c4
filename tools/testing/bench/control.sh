#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of "make bench", benchmark 6: control plane. Runs under
# tools/testing/vm/guest-init.sh (via guest.sh), in the guest's root
# namespace.
#
# How long ztbondctl takes on a big bond: one balance-aware bond "dut"
# (flowTableSize BENCH_CTL_TABLE, 524288) over BENCH_CTL_LINKS (64) veth links whose
# peers are up, with about 100 000 flows in its flow table, made by pktgen
# through the bond (sequential source ports 10000..10999 x destination
# ports 20000..20102: 103 000 distinct pairs, one packet each; the table is
# 4-way set associative, so a few collide and are replaced). Each
# operation is timed as the whole process (fork, exec, netlink, output) by
# bash's EPOCHREALTIME, BENCH_CTL_REPS (10, QUICK 3) times; the operations:
#
#   show-2              bond show dut --json, 2 links, no flows
#   link-add-64         link add dut DEV, for links 3..64 (one sample each;
#                       QUICK: links 3..60 join with one "ip -batch" of
#                       "link set DEV master dut", untimed, and only links
#                       61..64 are timed)
#   show-64             bond show dut --json, 64 links, no flows
#   show-64-flows       the same with the flows
#   show-all-64-flows   bond show --json (every bond of the namespace)
#   show-text-64-flows  bond show dut (the readable table)
#   apply-64            config apply dut FILE, two files in turn that give
#                       every link another speed (1 bond write, 64 link
#                       writes each time)
#   apply-64-noop       config apply dut FILE with the configuration in force
#                       (reads and compares, writes nothing)
#   dump-64             config dump dut
#
# Output: $ZTB_OUT/results.tsv ("operation<TAB>flows<TAB>ms"), params.
# Exit status 0, or 1 if the set-up or an operation fails (config apply:
# logged, the others are still measured); speed never fails.
#
# Environment: ZTBONDCTL, ZTB_OUT, BENCH_QUICK, BENCH_CTL_REPS,
# BENCH_CTL_LINKS, BENCH_CTL_TABLE, BENCH_CTL_TIMED_ADDS.

set -uo pipefail

HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
source "$HERE/lib.sh"

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	REPS=${BENCH_CTL_REPS:-3} TIMED_ADDS=${BENCH_CTL_TIMED_ADDS:-4}
else
	REPS=${BENCH_CTL_REPS:-10} TIMED_ADDS=${BENCH_CTL_TIMED_ADDS:-62}
fi
LINKS=${BENCH_CTL_LINKS:-64}
TABLE=${BENCH_CTL_TABLE:-524288}
RES=$ZTB_OUT/results.tsv
FLOWS=0

die() { log "control: $*"; cleanup; exit 1; }

cleanup()
{
	local i devs=()

	link_del dut
	for ((i = 1; i <= LINKS; i++)); do devs+=("cA$i"); done
	link_del "${devs[@]}"
}

# timed OP CMD...: run CMD (output discarded), record its wall time as a
# sample of OP; fails if CMD fails.
timed()
{
	local op=$1 t0 t1; shift

	t0=$EPOCHREALTIME
	"$@" > /dev/null 2>> "$LOG" || { log "control: '$*' failed"; return 1; }
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" -v op="$op" -v f="$FLOWS" \
		'BEGIN { printf "%s\t%d\t%.2f\n", op, f, (b - a) * 1000 }' >> "$RES"
}

# reps OP CMD...: timed, REPS times
reps()
{
	local i

	for ((i = 0; i < REPS; i++)); do
		timed "$@" || return 1
	done
}

flows()
{
	ctl_json dut | jq -r '.flows // 0'
}

# conf NAME SPEED: a configuration whose policy NAME (balance-aware, the
# table size in force) gives every link the speed SPEED.
conf()
{
	local i

	{
		printf '{"settings": {"defaultBondingPolicy": "%s", "policies": {"%s": {\n' "$1" "$1"
		printf '  "basePolicy": "balance-aware", "flowTableSize": %d, "links": {\n' "$TABLE"
		for ((i = 1; i <= LINKS; i++)); do
			printf '    "cA%d": {"speed": %d}%s\n' "$i" "$2" "$( ((i < LINKS)) && echo ,)"
		done
		printf '}}}}}\n'
	}
}

: > "$RES"
: > "$LOG"
modprobe pktgen || { log "cannot load pktgen"; exit 1; }
cleanup

for ((i = 1; i <= LINKS; i++)); do
	echo "link add cA$i type veth peer name cB$i"
	echo "link set cB$i up"
done | ip -batch - >> "$LOG" 2>&1 || die "cannot create $LINKS veth pairs"

"$ZTBONDCTL" bond add dut policy balance-aware flowTableSize "$TABLE" >> "$LOG" 2>&1 ||
	die "cannot create the bond"
ip link set dut up || die "dut does not come up"
if ! { "$ZTBONDCTL" link add dut cA1 && "$ZTBONDCTL" link add dut cA2 &&
	ip link set cA1 up && ip link set cA2 up; }; then
	die "cannot add the first links"
fi
log "control: $REPS repetitions; bond show with 2 links"
reps show-2 "$ZTBONDCTL" bond show dut --json || die "bond show failed"

first=$((LINKS - TIMED_ADDS + 1))
((first < 3)) && first=3
log "control: adding links 3..$LINKS (timed: $first..$LINKS)"
for ((i = 3; i < first; i++)); do echo "link set cA$i master dut"; done |
	ip -batch - || die "links 3..$((first - 1)) cannot join the bond"
for ((i = first; i <= LINKS; i++)); do
	timed link-add-64 "$ZTBONDCTL" link add dut "cA$i" || die "link add cA$i failed"
done
for ((i = 3; i <= LINKS; i++)); do echo "link set cA$i up"; done | ip -batch - ||
	die "links do not come up"
n=$(ctl_json dut | jq '.links | length')
[[ $n == "$LINKS" ]] || die "the bond has $n links, expected $LINKS"
reps show-64 "$ZTBONDCTL" bond show dut --json || die "bond show failed"

log "control: filling the flow table with pktgen"
pps=$(pktgen_run dut 103000 "udp_src_min 10000" "udp_src_max 11000" \
	"udp_dst_min 20000" "udp_dst_max 20103" "flag !UDPSRC_RND") ||
	die "pktgen failed"
FLOWS=$(flows)
log "control: $FLOWS flows in the table (pktgen $pps pps)"
reps show-64-flows "$ZTBONDCTL" bond show dut --json || die "bond show failed"
reps show-all-64-flows "$ZTBONDCTL" bond show --json || die "bond show (all) failed"
reps show-text-64-flows "$ZTBONDCTL" bond show dut || die "bond show (text) failed"

log "control: config apply and dump"
conf benchA 100 > "$ZTB_OUT/apply-a.json"
conf benchB 200 > "$ZTB_OUT/apply-b.json"
# A failing apply is a finding, not the end of the benchmark: it is logged,
# the status says so, and config dump is still measured.
failed=0
if "$ZTBONDCTL" config apply dut "$ZTB_OUT/apply-b.json" >> "$LOG" 2>&1; then
	for ((r = 0; r < REPS; r++)); do
		f=$ZTB_OUT/apply-a.json
		((r % 2)) && f=$ZTB_OUT/apply-b.json
		timed apply-64 "$ZTBONDCTL" config apply dut "$f" || { failed=1; break; }
	done
	reps apply-64-noop "$ZTBONDCTL" config apply dut "$f" || failed=1
else
	log "control: config apply of $LINKS links failed (see $LOG); apply not measured"
	failed=1
fi
reps dump-64 "$ZTBONDCTL" config dump dut || die "config dump failed"
after=$(flows)
log "control: $after flows in the table after the applies"

{
	echo "reps=$REPS"
	echo "timed_adds=$first..$LINKS"
	echo "links=$LINKS"
	echo "flow_table=$TABLE"
	echo "fill_packets=103000"
	echo "flows_after_fill=$FLOWS"
	echo "flows_after_apply=$after"
} > "$ZTB_OUT/params"
cleanup
exit "$failed"
