#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-check.sh [--test NAME]... [--kernel 6.1|6.12]... [--skip-deps] [--debug-kernel]
#
# The whole ztbond test suite ("make check"):
#   1. install dependencies (tools/testing/install-deps.sh);
#   2. build ztbondctl once (and run its "make test"), and ztbond.ko for each
#      kernel in its own copy of the tree (build/<kver>/), with W=1 (no
#      warnings allowed) and sparse (C=2);
#   3. userspace unit tests (tools/testing/unit, if present) and a short
#      libFuzzer run over the engine (tools/testing/fuzz);
#   4. checkpatch over the module and uapi sources;
#   5. per kernel (Debian 6.1 and 6.12): boot a QEMU VM over the host's /
#      (9p), load ztbond, run the kselftests of
#      tools/testing/selftests/drivers/net/ztbond through the kernel's
#      kselftest runner, and check the guest's dmesg for splats;
#   6. summary; the last line is "N passed, N failed, N skipped" and the exit
#      status is non-zero on any failure.
#
# --test NAME    only selftests whose file name contains NAME (which may be
#                a shell pattern: "smoke", "ztbond_smoke.sh", "fail*"); repeatable
# --kernel SER   only this kernel series (6.1 or 6.12); repeatable
# --skip-deps    do not run install-deps.sh
# --vm-only      build, then only the selftests in the VMs: no host tests, unit
#                tests, fuzzing or checkpatch (a quick loop while developing;
#                "make check" runs everything)
# --all-kernels  every selftest on both kernels (make check-full); by
#                default the time-heavy engine scripts run on 6.12 only
#                (ONE_KERNEL_TESTS below), unless --test or --kernel is given
# --debug-kernel instead of Debian's kernels, the debug kernel of
#                vm/debug-kernel.sh (linux-source-6.12 with KASAN, lockdep,
#                kmemleak, DEBUG_NET, ...; built once, then cached): module
#                builds at idle priority, more VM memory, longer timeouts, a
#                kmemleak scan at the end of each VM, and any KASAN, lockdep,
#                kmemleak, DEBUG_OBJECTS or WARN report fails ("make check-debug")
#
# Environment: ZTBOND_STRESS=1 (the stress-capable selftests run their long
# cycle counts; "make stress"), ZTBOND_ACCEL=kvm|tcg (default: probe), ZTBOND_VM_TIMEOUT
# (seconds per VM; default 180 + 240 per test, at least 1500), ZTBOND_VM_MEM (MiB, 2048),
# ZTBOND_VM_CPUS (2), ZTBOND_CHECKPATCH_STRICT=1 (checkpatch --strict),
# ZTBOND_KBUILD_FLAGS (kbuild arguments for the module builds; default W=1).
# With --debug-kernel: ZTBOND_VM_MEM defaults to 4096, ZTBOND_DEBUG_KSFT_TIMEOUT
# (the kselftest timeout of each test, default 2700 s), the VM timeout grows by
# 420 s + 960 s a test, ZTBOND_VM_APPEND (more kernel command line) defaults
# to kasan_multi_shot and longer RCU stall / hung task timeouts.
#
# Logs: build/logs/ (module builds, sparse, unit tests, checkpatch, and per
# kernel <kver>/run<N>/{console.log,selftests.ktap,dmesg.txt}; run2... only
# when a VM died and a new one ran the remaining tests).

# The body is one compound command: bash reads all of it before running it,
# so editing this file while it runs cannot derail the run.
{
set -uo pipefail

HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=vm/common.sh
source "$HERE/vm/common.sh"

usage()
{
	awk 'NR >= 4 && /^#/ { sub(/^# ?/, ""); print; next } NR >= 4 { exit }' "$0"
	exit "${1:-0}"
}

FILTERS=()
SERIES=()
SKIP_DEPS=${ZTBOND_SKIP_DEPS:-}
VM_ONLY=
DEBUG_KERNEL=
ALL_KERNELS=
while (($#)); do
	case $1 in
	--test)      FILTERS+=("${2:?--test needs a name}"); shift 2 ;;
	--test=*)    FILTERS+=("${1#--test=}"); shift ;;
	--kernel)    SERIES+=("${2:?--kernel needs 6.1 or 6.12}"); shift 2 ;;
	--kernel=*)  SERIES+=("${1#--kernel=}"); shift ;;
	--skip-deps) SKIP_DEPS=1; shift ;;
	--vm-only)   VM_ONLY=1; shift ;;
	--debug-kernel) DEBUG_KERNEL=1; shift ;;
	--all-kernels) ALL_KERNELS=1; shift ;;
	-h|--help)   usage 0 ;;
	*)           echo "unknown argument: $1" >&2; usage 2 >&2 ;;
	esac
done
KERNEL_GIVEN=${#SERIES[@]}
((${#SERIES[@]})) || SERIES=(6.1 6.12)
if [[ -n $DEBUG_KERNEL ]]; then
	((${#SERIES[@]} == 2)) || [[ ${SERIES[0]} == 6.12 ]] ||
		die "--debug-kernel is a 6.12 kernel; --kernel ${SERIES[*]} does not go with it"
	SERIES=()
	# a long run in the background of a shared host: builds must not slow
	# the VMs (ours or others'); KASAN and kmemleak need memory
	export ZTBOND_IDLE_BUILDS=1
	: "${ZTBOND_VM_MEM:=4096}"
	export ZTBOND_VM_MEM
	# every KASAN report, not only the first; stall and hung-task
	# detectors (they panic the guest) scaled to a kernel several times
	# slower under TCG
	# acpi=noirq: under KASAN and TCG the AML of QEMU's PCI routing (_PRT)
	# runs into ACPICA's 30 s loop timeout at every boot; virtio uses MSI-X
	: "${ZTBOND_VM_APPEND=kasan_multi_shot rcupdate.rcu_cpu_stall_timeout=60 sysctl.kernel.hung_task_timeout_secs=360 acpi=noirq}"
	export ZTBOND_VM_APPEND
fi

# Module builds use W=1 (the module is meant to be warning-free with it).
ZTBOND_KBUILD_FLAGS=${ZTBOND_KBUILD_FLAGS-W=1}
export ZTBOND_KBUILD_FLAGS

LOGS=$ZTBOND_BUILD/logs
mkdir -p "$LOGS"
T_START=$SECONDS

# Results ---------------------------------------------------------------------

N_PASS=0 N_FAIL=0 N_SKIP=0
SUMMARY=()	# one line per case group, printed at the end
FAILED=()	# names of failed cases

declare -A GROUPS_SEEN=() GROUP_RES=()
GROUP_ORDER=()

# record NAME pass|fail|skip [NOTE]
record()
{
	local name=$1 res=$2 note=${3:-} g=host

	[[ $name =~ (^|-)(6\.[0-9]+(-debug)?)(/|$) ]] && g=${BASH_REMATCH[2]}
	[[ -n ${GROUPS_SEEN[$g]:-} ]] || { GROUPS_SEEN[$g]=1; GROUP_ORDER+=("$g"); }
	GROUP_RES[$g.$res]=$(( ${GROUP_RES[$g.$res]:-0} + 1 ))
	case $res in
	pass) N_PASS=$((N_PASS + 1)); say "  ${C_GRN}PASS${C_OFF} $name${note:+  ($note)}" ;;
	skip) N_SKIP=$((N_SKIP + 1)); say "  ${C_YEL}SKIP${C_OFF} $name${note:+  ($note)}" ;;
	*)    N_FAIL=$((N_FAIL + 1)); FAILED+=("$name${note:+ ($note)}")
	      say "  ${C_RED}FAIL${C_OFF} $name${note:+  ($note)}" ;;
	esac
}

elapsed()
{
	local s=$1

	printf '%dm%02ds' $((s / 60)) $((s % 60))
}

# record_host_tests NAME LOG RC: one case per check of a host test script
# (ztbondctl's grammar tests, ztsim's tests): its passes from the closing
# "N passed, N failed" line of LOG, each "FAIL: ..." line as a failed case,
# and one failed case when it exited RC != 0 without saying what failed.
record_host_tests()
{
	local name=$1 log=$2 rc=$3 cp cf ci nf=0 l

	read -r cp cf < <(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' \
		"$log" | tail -n 1)
	((rc == 0)) && : "${cp:=1}"
	for ((ci = 0; ci < ${cp:-0}; ci++)); do
		record "$name#$((ci + 1))" pass >/dev/null
	done
	((${cp:-0})) && say "  ${C_GRN}PASS${C_OFF} $name  (${cp} cases)"
	while IFS= read -r l; do
		record "$name: ${l#FAIL: }" fail
		nf=$((nf + 1))
	done < <(grep '^FAIL: ' "$log")
	if ((rc != 0 && nf == 0)); then
		tail -n 20 "$log" | sed 's/^/    /'
		record "$name" fail "see $log"
	fi
}

# 1. Dependencies ---------------------------------------------------------------

if [[ -z $SKIP_DEPS ]]; then
	info "dependencies"
	"$HERE/install-deps.sh" ${DEBUG_KERNEL:+--debug-kernel} || die "install-deps.sh failed"
else
	ksrc_unpack
fi

KVERS=()
for s in "${SERIES[@]}"; do
	if k=$(pick_kver "$s"); then
		KVERS+=("$k")
	else
		record "kernel-$s" fail "no installed $s kernel with headers and modules"
	fi
done
# The debug kernel: built (an hour or more) or found in the cache.
if [[ -n $DEBUG_KERNEL ]]; then
	info "debug kernel (tools/testing/vm/debug-kernel.sh, log in its build directory)"
	t0=$SECONDS
	if ZTBOND_KERNEL_BUILD=$("$HERE/vm/debug-kernel.sh") &&
	   k=$(cat "$ZTBOND_KERNEL_BUILD/include/config/kernel.release"); then
		export ZTBOND_KERNEL_BUILD
		KVERS+=("$k")
		record "kernel-$(kver_series "$k")" pass "$k in $ZTBOND_KERNEL_BUILD, $(elapsed $((SECONDS - t0)))"
	else
		record kernel-6.12-debug fail "the debug kernel did not build"
	fi
fi

# 2. Builds -------------------------------------------------------------------

info "build ztbondctl"
if [[ -f $ZTBOND_ROOT/ctl/Makefile ]]; then
	if build_cmd make -C "$ZTBOND_ROOT/ctl" > "$LOGS/build-ztbondctl.log" 2>&1; then
		record build-ztbondctl pass
		# ztbondctl's own command-line tests, when it has them.
		if [[ -z $VM_ONLY ]] && grep -q '^test:' "$ZTBOND_ROOT/ctl/Makefile"; then
			make -C "$ZTBOND_ROOT/ctl" test > "$LOGS/ctl-test.log" 2>&1
			record_host_tests ztbondctl-tests "$LOGS/ctl-test.log" $?
		fi
	else
		tail -n 30 "$LOGS/build-ztbondctl.log" | sed 's/^/    /'
		record build-ztbondctl fail "see $LOGS/build-ztbondctl.log"
	fi
else
	record build-ztbondctl skip "no ctl/Makefile yet"
fi

# ztsim, the zerotier-one stand-in: built warning-free, and its own tests
# (namespaces and taps on this host, no VM) counted case by case, as
# ztbondctl's.
info "build ztsim and run its host tests"
ZTSIM_DIR=$ZTBOND_ROOT/tools/testing/ztsim
if [[ -f $ZTSIM_DIR/Makefile ]]; then
	zlog=$LOGS/build-ztsim.log
	if build_cmd make -B -C "$ZTSIM_DIR" > "$zlog" 2>&1; then
		if grep -q 'warning:' "$zlog"; then
			grep -A3 'warning:' "$zlog" | head -n 20 | sed 's/^/    /'
			record build-ztsim fail "compiler warnings, see $zlog"
		else
			record build-ztsim pass
		fi
		if [[ -n $VM_ONLY ]]; then
			:
		elif [[ $(id -u) -ne 0 ]]; then
			record ztsim-tests skip "needs root (network namespaces, taps)"
		else
			make -C "$ZTSIM_DIR" check > "$LOGS/ztsim-test.log" 2>&1
			record_host_tests ztsim-tests "$LOGS/ztsim-test.log" $?
		fi
	else
		tail -n 30 "$zlog" | sed 's/^/    /'
		record build-ztsim fail "see $zlog"
	fi
else
	record build-ztsim skip "no tools/testing/ztsim yet"
fi

declare -A BUILT=()
for k in "${KVERS[@]}"; do
	s=$(kver_series "$k")
	info "build ztbond.ko for $k (build/$k)"
	blog=$LOGS/build-$k.log
	if build_module "$k" "$blog"; then
		BUILT[$k]=1
		record "build-$s" pass
		# The module is meant to be warning-free with W=1 ...
		nwarn=$(grep -c 'warning:' "$blog")
		if ((nwarn)); then
			grep -A3 'warning:' "$blog" | head -n 40 | sed 's/^/    /'
			record "warnings-$s" fail "$nwarn compiler warnings (${ZTBOND_KBUILD_FLAGS}), see $blog"
		else
			record "warnings-$s" pass "${ZTBOND_KBUILD_FLAGS:-no extra flags}"
		fi
		# ... and clean under sparse.
		slog=$LOGS/sparse-$k.log
		if ! command -v sparse >/dev/null; then
			record "sparse-$s" skip "sparse not installed"
		elif ! build_cmd make -C "$(kernel_kdir "$k")" M="$ZTBOND_BUILD/$k/kmod" \
				ZTBOND_ROOT="$ZTBOND_BUILD/$k" C=2 modules > "$slog" 2>&1; then
			record "sparse-$s" fail "make C=2 failed, see $slog"
		elif grep -qE '(warning|error):' "$slog"; then
			grep -E '(warning|error):' "$slog" | head -n 20 | sed 's/^/    /'
			record "sparse-$s" fail "$(grep -cE '(warning|error):' "$slog") sparse reports, see $slog"
		else
			record "sparse-$s" pass
		fi
	else
		say "${C_RED}    module build for $k FAILED:${C_OFF}"
		grep -E 'error|Error|No rule|No such file' "$blog" | head -n 40 | sed 's/^/    /'
		say "    ... full log: $blog"
		record "build-$s" fail "ztbond.ko does not build for $k"
	fi
done

# 3. Unit tests -----------------------------------------------------------------

if [[ -n $VM_ONLY ]]; then
	:
elif info "userspace unit tests"; [[ -f $ZTBOND_ROOT/tools/testing/unit/Makefile ]]; then
	ulog=$LOGS/unit.log
	make -C "$ZTBOND_ROOT/tools/testing/unit" run > "$ulog" 2>&1
	urc=$?
	read -r up uf us < <(awk '
		/^[[:space:]]*ok [0-9]+/ { if ($0 ~ /# *SKIP/) s++; else p++; next }
		/^[[:space:]]*not ok [0-9]+/ { f++; next }
		match($0, /[0-9]+ passed, [0-9]+ failed/) {
			split(substr($0, RSTART, RLENGTH), a, /[ ,]+/); lp = a[1]; lf = a[3]; seen = 1
			if (match($0, /[0-9]+ skipped/)) ls = substr($0, RSTART, RLENGTH) + 0
		}
		END {
			if (p + f + s == 0 && seen) { p = lp; f = lf; s = ls }
			printf "%d %d %d\n", p, f, s
		}' "$ulog")
	N_PASS=$((N_PASS + up)) N_FAIL=$((N_FAIL + uf)) N_SKIP=$((N_SKIP + us))
	say "  unit: $up passed, $uf failed, $us skipped (log: $ulog)"
	if ((uf)); then
		grep -E '^[[:space:]]*not ok' "$ulog" | head -n 30 | sed 's/^/    /'
		FAILED+=("unit: $uf failed")
	fi
	if ((urc != 0 && uf == 0)); then
		tail -n 20 "$ulog" | sed 's/^/    /'
		record unit-tests fail "make run exited $urc"
	elif ((up + uf + us == 0)); then
		record unit-tests fail "no results parsed from $ulog"
	fi
	SUMMARY+=("unit tests: $up passed, $uf failed, $us skipped")
else
	record unit-tests skip "no tools/testing/unit/Makefile yet"
fi

# libFuzzer over the engine (kmod/engine/): a short, seeded run
flog=$LOGS/fuzz.log
if [[ -n $VM_ONLY ]]; then
	:
elif info "engine fuzzing (libFuzzer)"; ! command -v clang >/dev/null; then
	record fuzz-engine fail "clang not installed (install-deps.sh installs it)"
elif make -C "$ZTBOND_ROOT/tools/testing/fuzz" run > "$flog" 2>&1; then
	record fuzz-engine pass "$(grep -o 'Done [0-9]* runs' "$flog" | tail -1)"
else
	tail -n 30 "$flog" | sed 's/^/    /'
	record fuzz-engine fail "see $flog"
fi

# 4. checkpatch -----------------------------------------------------------------

info "checkpatch"
shopt -s nullglob
cp_files=()
for f in "$ZTBOND_ROOT"/kmod/*.c "$ZTBOND_ROOT"/kmod/*.h "$ZTBOND_ROOT"/kmod/engine/*.[ch] \
	 "$ZTBOND_ROOT"/uapi/linux/*.h; do
	cp_files+=("${f#"$ZTBOND_ROOT"/}")
done
shopt -u nullglob
if [[ -n $VM_ONLY ]]; then
	:
elif ((${#cp_files[@]})); then
	cp_flags=(--no-tree -f --terse --show-types)
	[[ -n ${ZTBOND_CHECKPATCH_STRICT:-} ]] && cp_flags+=(--strict)
	(cd "$ZTBOND_ROOT" && perl "$KSRC_DIR/scripts/checkpatch.pl" "${cp_flags[@]}" "${cp_files[@]}") \
		> "$LOGS/checkpatch.log" 2>&1
	cprc=$?
	if ((cprc == 0)); then
		record checkpatch pass "${#cp_files[@]} files"
	else
		grep -E '^[^ ]+:[0-9]+: (ERROR|WARNING|CHECK)' "$LOGS/checkpatch.log" | head -n 30 | sed 's/^/    /'
		record checkpatch fail "$(grep -cE ': (ERROR|WARNING|CHECK):' "$LOGS/checkpatch.log") issues, see $LOGS/checkpatch.log"
	fi
else
	record checkpatch skip "no sources yet"
fi

# 5. Selftests in VMs -----------------------------------------------------------

# The kselftest tree the guest runs from: a copy of linux-source's framework
# with our selftest directory at drivers/net/ztbond, so that the Makefile's
# "include ../../../lib.mk" is the real lib.mk.
KSFT=$ZTBOND_BUILD/ksft/tools/testing/selftests
rm -rf "$ZTBOND_BUILD/ksft"
mkdir -p "$KSFT/drivers/net"
cp -a "$KSRC_DIR/tools/testing/selftests/." "$KSFT/"
cp -a "$ZTBOND_ROOT/tools/testing/selftests/drivers/net/ztbond" "$KSFT/drivers/net/ztbond"
KSFT_ZT=$KSFT/drivers/net/ztbond

ALL_TESTS=$(make -s --no-print-directory -C "$KSFT_ZT" \
	--eval 'ztb-print-progs: ; @echo $(TEST_PROGS)' ztb-print-progs 2>/dev/null)
TESTS=()
for t in $ALL_TESTS; do
	if ((${#FILTERS[@]} == 0)); then
		TESTS+=("$t")
		continue
	fi
	for f in "${FILTERS[@]}"; do
		# shellcheck disable=SC2053
		if [[ $t == *$f* ]]; then
			TESTS+=("$t")
			break
		fi
	done
done
# CI's 90 minutes: the whole suite takes 33 to 39 minutes a kernel under
# TCG on a two-CPU host (more when the host's neighbours steal CPU), so
# make check runs these scripts -- long measurement windows, iperf3 runs,
# netem and tbf, all of it in the engine and the policies, the same C on
# every kernel -- on 6.12 only, and says so with a skipped case each on
# 6.1. Everything that talks to version-dependent kernel API (device and
# link life cycle, netlink, rtnl, namespaces, churn, hostile frames,
# memory, fuzzing, the zerotier stand-in) runs on both. make check-full
# (--all-kernels) runs every script on both kernels, as do --test and
# --kernel runs.
ONE_KERNEL_TESTS=(ztbond_aware.sh ztbond_hub.sh ztbond_measure.sh ztbond_policies.sh
		  ztbond_quality.sh ztbond_reorder.sh)
ONE_KERNEL=6.12
((${#FILTERS[@]} || KERNEL_GIVEN)) || [[ -n $ALL_KERNELS || -n $DEBUG_KERNEL || -n ${ZTBOND_STRESS:-} ]] &&
	ONE_KERNEL_TESTS=()

if ((${#TESTS[@]} == 0)); then
	if ((${#FILTERS[@]})); then
		record selftests fail "no selftest matches '${FILTERS[*]}' (have: ${ALL_TESTS:-none})"
	else
		record selftests fail "no ztbond_*.sh selftests found"
	fi
fi

DMESG_BAD='Oops|WARNING:|BUG:|kernel BUG at|refcount_t|unregister_netdevice: waiting|Call Trace|UBSAN|general protection fault|Kernel panic|INFO: task .* blocked|self-detected stall|rcu_.* detected stalls'
# The debug kernel's reports (most start with BUG: or WARNING: already;
# named here so that none is missed): KASAN, lockdep, RCU lockdep,
# might_sleep, kmemleak (the guest's scan, appended to dmesg.txt),
# DEBUG_OBJECTS, the netdev/netns reference trackers.
[[ -n $DEBUG_KERNEL ]] &&
	DMESG_BAD+='|BUG: KASAN|possible circular locking|WARNING: possible|inconsistent lock state|suspicious RCU usage|BUG: sleeping function called from invalid context|unreferenced object|ODEBUG:|ref_tracker:'

# Live progress from the console log of the running VM.
follow_console()
{
	local log=$1 pid=$2 tag=$3 aw=(awk)

	# The live log gives each test's and each case's time, so a slow
	# run says where the time went: mawk (Debian's awk) reads a pipe in
	# blocks unless interactive, which would time the lines when the
	# block arrives, not when the test ended.
	awk -W version 2>&1 | head -n 1 | grep -q mawk && aw=(awk -W interactive)
	tail -n +1 -F --pid="$pid" "$log" 2>/dev/null | "${aw[@]}" -v tag="$tag" -v bad="$DMESG_BAD" '
		{ sub(/\r$/, "") }
		/^# selftests: / { sub(/^# selftests: [^:]*: /, ""); printf "  [%s] running %s\n", tag, $0; fflush(); t0 = tc = systime(); next }
		/^(not )?ok [0-9]+ selftests: / {
			sub(/selftests: [^:]*: /, "")
			if (t0) { t = systime(); $0 = $0 sprintf("  (%dm%02ds)", (t - t0) / 60, (t - t0) % 60) }
			printf "  [%s] %s\n", tag, $0; fflush(); next
		}
		/^# TEST: / {
			t = systime()
			printf "  [%s]   %s  (%ds)\n", tag, substr($0, 3), tc ? t - tc : 0; tc = t; fflush(); next
		}
		/^# (SKIP|FAIL)/ { printf "  [%s]   %s\n", tag, substr($0, 3); fflush(); next }
		$0 ~ bad { if (nbad++ < 4) printf "  [%s] !! %s\n", tag, $0; fflush(); next }
		/ztb-(guest|initramfs):/ { printf "  [%s] %s\n", tag, $0; fflush(); next }'
}

# parse_ktap FILE SERIES: record one case per subtest (the "TEST: ... [ OK ]"
# lines of net/lib.sh's log_test) of each top-level test; a test script
# without such lines counts as one case, and a script that failed although
# none of its subtests did (it crashed, timed out, exited early) adds one
# failed case of its own.
parse_ktap()
{
	local file=$1 s=$2 line name res note desc nsub=0 nfail=0

	while IFS= read -r line; do
		line=${line%$'\r'}
		# log_test's reason for a failure is the tab-indented line after it
		if [[ $line =~ ^#\ ?$'\t'(.+)$ ]] && ((nsub)) &&
		   [[ ${SUBCASES[nsub - 1]} == fail\|* && ${SUBCASES[nsub - 1]} != *$'\x1f'* ]]; then
			SUBCASES[nsub - 1]+=$'\x1f'${BASH_REMATCH[1]}
			continue
		fi
		if [[ $line =~ ^#\ TEST:\ (.*[^ ])\ +\[\ *(OK|FAIL|SKIP|XFAIL)\ *\]$ ]]; then
			desc=${BASH_REMATCH[1]}
			case ${BASH_REMATCH[2]} in
			OK|XFAIL) res=pass ;;
			SKIP)     res=skip ;;
			*)        res=fail; nfail=$((nfail + 1)) ;;
			esac
			nsub=$((nsub + 1))
			SUBCASES+=("$res|$desc")
			continue
		fi
		[[ $line =~ ^(not\ )?ok\ [0-9]+\ selftests:\ [^:]+:\ ([^ ]+)(\ #\ (.*))?$ ]] || continue
		name=${BASH_REMATCH[2]}
		note=${BASH_REMATCH[4]}
		if [[ -n ${DONE_TESTS[$name]:-} ]]; then
			SUBCASES=() nsub=0 nfail=0
			continue
		fi
		if [[ -n ${BASH_REMATCH[1]} ]]; then
			res=fail
		elif [[ $note == SKIP* ]]; then
			res=skip
		else
			res=pass
		fi
		DONE_TESTS[$name]=1
		local c
		for c in "${SUBCASES[@]}"; do
			desc=${c#*|}
			record "$s/$name: ${desc%%$'\x1f'*}" "${c%%|*}" \
			       "$([[ $desc == *$'\x1f'* ]] && echo "${desc#*$'\x1f'}")"
		done
		if ((nsub == 0)) || { [[ $res == fail ]] && ((nfail == 0)); }; then
			record "$s/$name" "$res" "$note"
		fi
		SUBCASES=() nsub=0 nfail=0
	done < "$file"
	return 0
}

# show_splat FILE: the first kernel splat of FILE with its call trace.
show_splat()
{
	tr -d '\r' < "$1" | awk -v bad="$DMESG_BAD" '
		!on && $0 ~ bad { on = 1 }
		on { print "    | " $0; n++ }
		on && (/<\/TASK>|end trace|Kernel Offset/ || n >= 40) { exit }'
}

# write_env FILE KVER OUT TESTS...: the guest's environment (guest-init.sh).
write_env()
{
	local f=$1 k=$2 o=$3; shift 3

	local ko=

	[[ -n ${BUILT[$k]:-} ]] && ko=$ZTBOND_BUILD/$k/kmod/ztbond.ko
	{
		vm_guest_env "$k" "$o" "$ZTBOND_VMDIR/guest-selftests.sh" "$ko"
		printf 'ZTB_KSFT_DIR=%q\n' "$KSFT_ZT"
		printf 'ZTB_TESTS=%q\n' "$*"
		[[ -n ${ZTBOND_STRESS:-} ]] && printf 'ZTBOND_STRESS=%q\n' "$ZTBOND_STRESS"
		[[ -n $DEBUG_KERNEL ]] && printf 'ZTB_KSFT_TIMEOUT=%q\n' "${ZTBOND_DEBUG_KSFT_TIMEOUT:-2700}"
		true
	} > "$f"
}

# A VM that dies (kernel panic: the guest panics on soft lockups, hung tasks
# and RCU stalls) or hangs (killed at its timeout) fails the test it was
# running; a new VM then runs the tests that remain, so one crash does not
# hide the other results.
run_kernel()
{
	local k=$1 s out accel run rout tmo t0 vmpid fpid qrc dm left t why r
	local remaining splat nscan nleak boot_retry= modrec=

	s=$(kver_series "$k")
	if [[ -z ${BUILT[$k]:-} && -z ${ZTBOND_BOOT_WITHOUT_MODULE:-} ]]; then
		say "${C_YEL}==> skipping the $k VM: ztbond.ko did not build${C_OFF}"
		return
	fi
	((${#TESTS[@]})) || return
	# the tests this kernel runs (see ONE_KERNEL_TESTS)
	local ktests=() t1 one
	for t1 in "${TESTS[@]}"; do
		one=
		[[ $s != "$ONE_KERNEL" && " ${ONE_KERNEL_TESTS[*]} " == *" $t1 "* ]] && one=1
		if [[ -n $one ]]; then
			record "$s/$t1" skip "make check runs it on $ONE_KERNEL only; make check-full on both kernels"
		else
			ktests+=("$t1")
		fi
	done
	((${#ktests[@]})) || return
	if [[ -n ${BUILT[$k]:-} ]] && ! stage_modules "$k" > "$LOGS/depmod-$k.log" 2>&1; then
		warn "depmod for $k failed (see $LOGS/depmod-$k.log); the guest will insmod only"
	fi

	out=$LOGS/$k
	rm -rf "$out"
	mkdir -p "$out"
	accel=$(vm_accel "$k")
	declare -A DONE_TESTS=()
	SUBCASES=()
	remaining=("${ktests[@]}")
	splat=
	run=0
	while ((${#remaining[@]})); do
		run=$((run + 1))
		rout=$out/run$run
		mkdir -p "$rout"
		write_env "$rout/guest.env" "$k" "$rout" "${remaining[@]}"
		# a hung kernel must not hold CI for hours: 4 min a test, at least
		# 25 min (the longest tests take about 7 min under TCG)
		tmo=$((180 + 240 * ${#remaining[@]}))
		((tmo < 1500)) && tmo=1500
		# stress runs take an hour or more under TCG
		[[ -n ${ZTBOND_STRESS:-} ]] && tmo=$((tmo + 3600 * ${#remaining[@]}))
		# KASAN, lockdep and kmemleak make TCG several times slower
		[[ -n $DEBUG_KERNEL ]] && tmo=$((tmo + 420 + 960 * ${#remaining[@]}))
		tmo=${ZTBOND_VM_TIMEOUT:-$tmo}
		info "selftests on $k (QEMU $accel, ${#remaining[@]} tests, timeout $(elapsed "$tmo"), logs $rout)"
		t0=$SECONDS
		vm_run "$k" "$rout/guest.env" "$rout/console.log" "$tmo" &
		vmpid=$!
		follow_console "$rout/console.log" "$vmpid" "$s" &
		fpid=$!
		wait "$vmpid"
		qrc=$?
		wait "$fpid" 2>/dev/null
		say "  [$s] VM finished in $(elapsed $((SECONDS - t0))) (boot to test script: $(awk '{print $1 "s"}' "$rout/boot-uptime" 2>/dev/null || echo '?'))"

		# A guest that died before its init script ran (no boot-uptime)
		# never had ztbond.ko loaded: under TCG the kernel itself now
		# and then oopses while booting (int3 in sched_clock_cpu, a
		# static key patched under another vCPU's stale translation).
		# Boot once more, saying so, rather than fail every test.
		if [[ ! -f $rout/boot-uptime && ! -f $rout/exitcode && -z $boot_retry ]]; then
			boot_retry=1
			warn "the $k VM died while booting, before ztbond.ko could be loaded ($(tr -d '\r' < "$rout/console.log" | grep -a -m1 -oE 'Oops: .*|Kernel panic - .*' || echo "qemu status $qrc")); booting again, log kept in $rout"
			continue
		fi

		if [[ -z $modrec ]]; then
			modrec=1
			case $(cat "$rout/modload" 2>/dev/null) in
			ok)     record "$s/module-load" pass ;;
			failed) record "$s/module-load" fail "$(head -c 300 "$rout/modprobe.err" | tr '\n' ' ')" ;;
			skipped) record "$s/module-load" skip "no module" ;;
			*)      record "$s/module-load" fail "the VM died before loading the module" ;;
			esac
		fi

		# Results: the guest's KTAP file; if the VM did not finish (the
		# file may not have reached the host), the same lines from the
		# console log.
		if [[ -f $rout/exitcode && -f $rout/selftests.ktap ]]; then
			parse_ktap "$rout/selftests.ktap" "$s"
		else
			parse_ktap <(tr -d '\r' < "$rout/console.log") "$s"
		fi

		# dmesg: the guest's own copy, or the console log if the VM died.
		dm=$rout/dmesg.txt
		[[ -f $dm ]] || dm=$rout/console.log
		if grep -aqE "$DMESG_BAD" "$dm"; then
			[[ -n $splat ]] || splat=$dm
			show_splat "$dm"
		fi

		left=()
		for t in "${remaining[@]}"; do
			[[ -n ${DONE_TESTS[$t]:-} ]] || left+=("$t")
		done
		remaining=("${left[@]}")
		((${#remaining[@]})) || break

		if [[ -f $rout/exitcode ]]; then
			# The runner finished but printed no result for these.
			for t in "${remaining[@]}"; do
				record "$s/$t" fail "no result"
			done
			break
		fi
		if [[ ! -f $rout/modload ]]; then
			for t in "${remaining[@]}"; do
				record "$s/$t" fail "not run: the VM died before the tests"
			done
			break
		fi
		if ((qrc == 137 || qrc == 124)); then
			why="VM hung, killed after $(elapsed "$tmo")"
		elif grep -aq 'Kernel panic' "$rout/console.log"; then
			why=$(tr -d '\r' < "$rout/console.log" | grep -a -m1 -o 'Kernel panic - .*')
		else
			why="VM died (qemu status $qrc)"
		fi
		t=${remaining[0]}
		DONE_TESTS[$t]=1
		record "$s/$t" fail "$why while it ran; see $rout/console.log"
		remaining=("${remaining[@]:1}")
		((${#remaining[@]})) && info "restarting the $k VM for the ${#remaining[@]} remaining tests"
	done
	unset DONE_TESTS

	if [[ -n $splat ]]; then
		record "dmesg-clean-$s" fail "kernel splat, see $splat"
	else
		record "dmesg-clean-$s" pass
	fi

	# The debug kernel: each VM ends with a kmemleak scan (guest-init.sh).
	if [[ -n $DEBUG_KERNEL ]]; then
		nscan=0 nleak=0
		for r in "$out"/run*; do
			[[ $(cat "$r/kmemleak.status" 2>/dev/null) == ok ]] || continue
			nscan=$((nscan + 1))
			nleak=$((nleak + $(grep -c '^unreferenced object' "$r/kmemleak.txt" || true)))
		done
		if ((nleak)); then
			record "kmemleak-$s" fail "$nleak unreferenced objects, see $out/run*/kmemleak.txt"
		elif ((nscan == 0)); then
			record "kmemleak-$s" fail "no kmemleak scan ran (see $out/run*/kmemleak.status, console.log)"
		else
			record "kmemleak-$s" pass "$nscan scans, no leak"
		fi
	fi
}

# One kernel after the other: two TCG guests side by side on two host CPUs
# each take two to three times as long (the tests are CPU-bound under TCG).
for k in "${KVERS[@]}"; do
	run_kernel "$k"
done

# 6. Summary ------------------------------------------------------------------

say ""
info "summary ($(elapsed $((SECONDS - T_START))); logs in $LOGS)"
for g in "${GROUP_ORDER[@]}"; do
	case $g in
	host) label="builds, tools, checkpatch" ;;
	*)    label="kernel $g" ;;
	esac
	say "  $(printf '%-27s' "$label:") ${GROUP_RES[$g.pass]:-0} passed, ${GROUP_RES[$g.fail]:-0} failed, ${GROUP_RES[$g.skip]:-0} skipped"
done
for l in "${SUMMARY[@]}"; do
	say "  $l"
done
if ((${#FAILED[@]})); then
	say "  failed:"
	for f in "${FAILED[@]}"; do
		say "    ${C_RED}$f${C_OFF}"
	done
fi
say "$N_PASS passed, $N_FAIL failed, $N_SKIP skipped"
exit $((N_FAIL == 0 ? 0 : 1))
}
