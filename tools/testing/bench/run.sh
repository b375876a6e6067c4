#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [--kernel 6.12|6.1]      (make bench [QUICK=1])
#
# Benchmark 1, transmit cost: boots one VM and measures with pktgen how many
# 64-byte UDP packets per second (random source ports) go into the xmit of
# bare veth, ztbond, Linux bonding and team (if teamd is installed), each
# bond over two veth links. The guest side is tx_cost.sh; report.py turns
# its samples into medians and ratios.
#
# QUICK=1: one measured round with short counts (a few minutes under TCG).
# Results: build/bench/tx_cost.{json,md}, table on stdout, VM logs in
# build/bench/run/ (module build in build/bench/<kver>/).
# Fails only if the VM or a contender's set-up fails,
# never on speed.
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

series=6.12
while (($#)); do
	case $1 in
	--kernel)   series=${2:?}; shift 2 ;;
	--kernel=*) series=${1#--kernel=}; shift ;;
	-h|--help)  sed -n '4,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*)          die "unknown argument: $1" ;;
	esac
done

if [[ ${QUICK:-0} == 1 ]]; then
	count=${BENCH_COUNT:-100000} rounds=1
else
	count=${BENCH_COUNT:-200000} rounds=${BENCH_ROUNDS:-3}
fi

k=$(pick_kver "$series") || die "no usable $series kernel installed"
bench=$ZTBOND_BUILD
out=$bench/run
rm -rf "$out"
mkdir -p "$out"

command -v teamd > /dev/null ||
	warn "teamd not installed (Debian package libteam-utils): team is skipped"

info "building ztbondctl and ztbond.ko for $k"
make -C "$ZTBOND_ROOT/ctl" > "$out/build-ztbondctl.log" 2>&1 ||
	{ tail -n 30 "$out/build-ztbondctl.log"; die "ztbondctl does not build"; }
build_module "$k" "$out/build-module.log" ||
	{ tail -n 30 "$out/build-module.log"; die "ztbond.ko does not build for $k"; }
stage_modules "$k" > "$out/depmod.log" 2>&1 || die "depmod failed, see $out/depmod.log"

{
	vm_guest_env "$k" "$out" "$HERE/tx_cost.sh"
	printf 'BENCH_COUNT=%q\n' "$count"
	printf 'BENCH_ROUNDS=%q\n' "$rounds"
} > "$out/guest.env"

accel=$(vm_accel "$k")
info "booting $k in QEMU ($accel): $count packets x (1 warm-up + $rounds) rounds; console: $out/console.log"
t0=$SECONDS
vm_run "$k" "$out/guest.env" "$out/console.log" "${ZTBOND_VM_TIMEOUT:-2400}" &
vmpid=$!
# Show the guest's progress lines.
tail -n +1 -F --pid="$vmpid" "$out/console.log" 2>/dev/null | tr -d '\r' |
	grep --line-buffered '^bench: ' | sed -u 's/^bench: /[vm] /'
wait "$vmpid"
qrc=$?

[[ -f $out/exitcode ]] || die "the VM did not finish (qemu status $qrc); see $out/console.log"
rc=$(cat "$out/exitcode")
[[ $(cat "$out/modload" 2>/dev/null) == ok ]] || die "ztbond did not load in the guest; see $out/"
if grep -aqE 'Oops|WARNING:|BUG:|Call Trace|refcount_t|unregister_netdevice: waiting' "$out/dmesg.txt" 2>/dev/null; then
	warn "the guest kernel logged a splat; see $out/dmesg.txt"
fi
info "VM finished in $((SECONDS - t0))s"

python3 "$HERE/report.py" --results "$out/results.tsv" --contenders "$out/contenders" \
	--out "$bench/tx_cost" --kernel "$k" --accel "$accel" \
	--count "$count" --rounds "$rounds" \
	--command "make bench${QUICK:+ QUICK=$QUICK}" || die "report failed"

((rc == 0)) || die "a contender could not be set up (see $out/bench.log)"
exit 0
}
