#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [--kernel 6.12|6.1] [--bench NAME[,NAME...]] [--skip-deps]
#                                   (make bench [QUICK=1] [BENCH=NAME,...])
#
# Boots one VM and runs the benchmarks in it, one guest script each
# (guest.sh runs them in turn); report.py turns their samples into medians
# and ratios:
#   failover  benchmark 4, outage of a UDP stream when the active link goes
#             down or is blackholed (failover.sh, udpseq.py)
#   control   benchmark 6, ztbondctl bond show / config apply on a bond with
#             64 links and 100 000 flows (control.sh)
#   scaling   benchmark 2, ztbond pps with 2..64 links and 100..1M flows
#             (scaling.sh)
#   tx_cost   benchmark 1, pps of ztbond, bonding, team, bare veth (tx_cost.sh)
#   aggregation  benchmark 3, iperf3 TCP goodput over 4 tbf-shaped links
#             (equal and 4:2:1:1) / the sum of their rates (aggregation.sh)
#   ztsim     benchmark 5, iperf3 through 1, 2 and 4 CPU-bound ztsim members
#             bonded by "ztbondctl zt up" (ztsim.sh); the VM gets as many
#             vCPUs as the host has (ZTBOND_VM_CPUS overrides)
# BENCH (or --bench) picks some of them, e.g. BENCH=failover; default all.
# Dependencies (iperf3, gnuplot-nox for the plots, ...) come from
# tools/testing/install-deps.sh, as for make check; --skip-deps skips it.
# BENCH_* variables of the environment reach the guest scripts (their
# headers list the knobs).
#
# QUICK=1: no warm-up round, one round, fewer contenders, modes, events and
# shorter samples (see each script's header): 2 min 55 s on a quiet host,
# about twice that with another TCG VM on the 2 CPUs (the module is rebuilt
# only when its sources changed); the full run, 71 min in the VM under TCG
# (ZTBOND_VM_TIMEOUT: 40 / 120 min).
# Results: build/bench/NAME.{json,md} per benchmark, build/bench/bench.{json,md}
# (all benchmarks of this run), tables on stdout, VM logs in build/bench/run/
# (module build in build/bench/<kver>/).
# Fails only if the VM or a set-up fails, never on speed.
{
set -uo pipefail

HERE=$(dirname "$(readlink -f "$0")")
# Own build tree (build/bench/<kver>/, build/bench/vm/): "make check" may run
# at the same time, and it rebuilds build/<kver>/ and re-stages its module
# tree; sharing it races (a half-written modules.dep made bonding fail to
# load once: "Unknown symbol tls_validate_xmit_skb").
export ZTBOND_BUILD=${ZTBOND_BENCH_BUILD:-$(cd "$HERE/../../.." && pwd)/build/bench}
# shellcheck source=../vm/common.sh
source "$HERE/../vm/common.sh"

ALL_BENCH="failover control scaling tx_cost aggregation ztsim"
series=6.12
benches=${BENCH:-}
deps=1
while (($#)); do
	case $1 in
	--kernel)   series=${2:?}; shift 2 ;;
	--kernel=*) series=${1#--kernel=}; shift ;;
	--bench)    benches=${2:?}; shift 2 ;;
	--bench=*)  benches=${1#--bench=}; shift ;;
	--skip-deps) deps=0; shift ;;
	-h|--help)  sed -n '4,/^{/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*)          die "unknown argument: $1" ;;
	esac
done

read -r -a list <<< "${benches//,/ }"
benches=${list[*]}
[[ -n $benches ]] || benches=$ALL_BENCH
for b in $benches; do
	[[ " $ALL_BENCH " == *" $b "* ]] || die "unknown benchmark '$b' (known: $ALL_BENCH)"
done

# QUICK: one measured round and no warm-up round (the first samples of a
# fresh VM are slower: QUICK numbers are a smoke test, not a comparison).
if [[ ${QUICK:-0} == 1 ]]; then
	count=${BENCH_COUNT:-30000} rounds=${BENCH_ROUNDS:-1} warmup=${BENCH_WARMUP:-0}
else
	count=${BENCH_COUNT:-200000} rounds=${BENCH_ROUNDS:-3} warmup=${BENCH_WARMUP:-1}
fi

k=$(pick_kver "$series") || die "no usable $series kernel installed"
bench=$ZTBOND_BUILD
out=$bench/run
rm -rf "$out"
mkdir -p "$out"

if ((deps)); then
	"$HERE/../install-deps.sh" > "$out/install-deps.log" 2>&1 ||
		{ tail -n 20 "$out/install-deps.log"; die "install-deps.sh failed"; }
fi

command -v teamd > /dev/null ||
	warn "teamd not installed (Debian package libteam-utils): team is skipped"

info "building ztbondctl and ztbond.ko for $k"
make -C "$ZTBOND_ROOT/ctl" > "$out/build-ztbondctl.log" 2>&1 ||
	{ tail -n 30 "$out/build-ztbondctl.log"; die "ztbondctl does not build"; }
if [[ " $benches " == *" ztsim "* ]]; then
	make -C "$ZTBOND_ROOT/tools/testing/ztsim" > "$out/build-ztsim.log" 2>&1 ||
		{ tail -n 30 "$out/build-ztsim.log"; die "ztsim does not build"; }
	# CPU-bound members scale with the CPUs they get: all of the host's
	export ZTBOND_VM_CPUS=${ZTBOND_VM_CPUS:-$(nproc)}
fi
# The module build (a full rebuild, 30 s here) and depmod (15 s) are skipped
# when no source of the module is newer than the ztbond.ko built last time
# (ZTBOND_BENCH_REBUILD=1 forces them).
ko=$ZTBOND_BUILD/$k/kmod/ztbond.ko
if [[ ${ZTBOND_BENCH_REBUILD:-0} != 1 && -f $ko &&
      -z $(find "$ZTBOND_ROOT/kmod" "$ZTBOND_ROOT/uapi" "$ZTBOND_ROOT/Kbuild" \
		\( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) -newer "$ko" -print -quit) ]]; then
	echo "ztbond.ko up to date: $ko" > "$out/build-module.log"
else
	build_module "$k" "$out/build-module.log" ||
		{ tail -n 30 "$out/build-module.log"; die "ztbond.ko does not build for $k"; }
fi
stage_modules "$k" > "$out/depmod.log" 2>&1 || die "depmod failed, see $out/depmod.log"

{
	vm_guest_env "$k" "$out" "$HERE/guest.sh"
	printf 'BENCH_LIST=%q\n' "$benches"
	printf 'BENCH_QUICK=%q\n' "${QUICK:-0}"
	printf 'BENCH_COUNT=%q\n' "$count"
	printf 'BENCH_ROUNDS=%q\n' "$rounds"
	printf 'BENCH_WARMUP=%q\n' "$warmup"
	# the caller's knobs (BENCH_FO_TRIALS=..., see the guest scripts)
	for name in $(compgen -e BENCH_); do
		case $name in
		BENCH_LIST|BENCH_QUICK|BENCH_COUNT|BENCH_ROUNDS|BENCH_WARMUP) ;;
		*) printf '%s=%q\n' "$name" "${!name}" ;;
		esac
	done
} > "$out/guest.env"

accel=$(vm_accel "$k")
info "booting $k in QEMU ($accel): $benches; console: $out/console.log"
t0=$SECONDS
# other VMs on the same CPUs slow everything down: the report says how busy
# the host was
cut -d' ' -f1-3 /proc/loadavg > "$out/host-load"
# The full run took 39 min on a host loaded with other VMs before
# aggregation (about 25 min more) came: allow 120.
tmo=${ZTBOND_VM_TIMEOUT:-7200}
[[ ${QUICK:-0} == 1 ]] && tmo=${ZTBOND_VM_TIMEOUT:-2400}
vm_run "$k" "$out/guest.env" "$out/console.log" "$tmo" &
vmpid=$!
# Show the guest's progress lines.
tail -n +1 -F --pid="$vmpid" "$out/console.log" 2>/dev/null | tr -d '\r' |
	grep --line-buffered '^bench: ' | sed -u 's/^bench: /[vm] /'
wait "$vmpid"
qrc=$?
cut -d' ' -f1-3 /proc/loadavg >> "$out/host-load"

[[ -f $out/exitcode ]] || die "the VM did not finish (qemu status $qrc); see $out/console.log"
rc=$(cat "$out/exitcode")
[[ $(cat "$out/modload" 2>/dev/null) == ok ]] || die "ztbond did not load in the guest; see $out/"
if grep -aqE 'Oops|WARNING:|BUG:|Call Trace|refcount_t|unregister_netdevice: waiting' "$out/dmesg.txt" 2>/dev/null; then
	warn "the guest kernel logged a splat; see $out/dmesg.txt"
fi
info "VM finished in $((SECONDS - t0))s"

cmd="make bench"
[[ ${QUICK:-0} == 1 ]] && cmd+=" QUICK=1"
[[ $benches != "$ALL_BENCH" ]] && cmd+=" BENCH=${benches// /,}"
python3 "$HERE/report.py" --run "$out" --out-dir "$bench" --benchmarks "$benches" \
	--kernel "$k" --accel "$accel" --command "$cmd" ||
	warn "the report is incomplete"

bad=()
for b in $benches; do
	[[ $(cat "$out/$b/status" 2>/dev/null) == 0 ]] || bad+=("$b")
done
((${#bad[@]} == 0 && rc == 0)) ||
	die "set-up failed in: ${bad[*]:-guest} (see $out/<benchmark>/bench.log)"
exit 0
}
