#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh [--kernel 6.12|6.1] [--skip-deps]
#
# Boots a VM (default: the Debian 6.12 kernel), bonds two namespaces over two
# veth links with active-backup (ztbondctl), pings, shows per-link counters,
# takes the active link down and shows the ping surviving the failover.
# The guest side is demo-guest.sh; the full console log is kept under
# build/logs/demo-<kver>/.
# The body is one compound command: bash reads all of it before running it,
# so editing this file while it runs cannot derail the run.
{
set -uo pipefail

HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=common.sh
source "$HERE/common.sh"

series=6.12
skip_deps=
while (($#)); do
	case $1 in
	--kernel)   series=${2:?}; shift 2 ;;
	--kernel=*) series=${1#--kernel=}; shift ;;
	--skip-deps) skip_deps=1; shift ;;
	-h|--help)  sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*)          die "unknown argument: $1" ;;
	esac
done

if [[ -z $skip_deps ]]; then
	"$ZTBOND_ROOT/tools/testing/install-deps.sh" >/dev/null || die "install-deps.sh failed"
fi
ksrc_unpack
k=$(pick_kver "$series") || die "no usable $series kernel installed"

LOGS=$ZTBOND_BUILD/logs
out=$LOGS/demo-$k
rm -rf "$out"
mkdir -p "$out"

info "building ztbondctl and ztbond.ko for $k"
if [[ -f $ZTBOND_ROOT/ctl/Makefile ]]; then
	make -C "$ZTBOND_ROOT/ctl" > "$out/build-ztbondctl.log" 2>&1 ||
		warn "ztbondctl does not build (see $out/build-ztbondctl.log); the demo uses the default policy"
fi
build_module "$k" "$out/build-module.log" ||
	{ tail -n 30 "$out/build-module.log"; die "ztbond.ko does not build for $k"; }
stage_modules "$k" > "$out/depmod.log" 2>&1 || warn "depmod failed, see $out/depmod.log"

{
	vm_guest_env "$k" "$out" "$HERE/demo-guest.sh"
	printf 'ZTB_PRINTK=%q\n' 1
	printf 'KSFT_DIR=%q\n' "$KSRC_DIR/tools/testing/selftests"
} > "$out/guest.env"

accel=$(vm_accel "$k")
info "booting $k in QEMU ($accel); console log: $out/console.log"
t0=$SECONDS
vm_run "$k" "$out/guest.env" "$out/console.log" "${ZTBOND_VM_TIMEOUT:-600}" &
vmpid=$!
# Show the guest's narration: everything after the guest script starts,
# minus kernel messages.
tail -n +1 -F --pid="$vmpid" "$out/console.log" 2>/dev/null | tr -d '\r' | awk '
	/ztb-guest: .*ztbond module/ { on = 1; sub(/^.*ztb-guest: /, ""); print "[vm] " $0; fflush(); next }
	/ztb-guest: .*booted/ { sub(/^.*ztb-guest: /, ""); print "[vm] " $0; fflush(); next }
	/ztb-guest: .*done/ { on = 0; next }
	/ztb-(guest|initramfs):/ { print; fflush(); next }
	/^\[ *[0-9]+\.[0-9]+\]/ { if ($0 ~ /Oops|WARNING:|BUG:|Call Trace|refcount_t|Kernel panic/) print "[kernel] " $0; fflush(); next }
	on { print; fflush() }'
wait "$vmpid"
qrc=$?

say ""
if [[ ! -f $out/exitcode ]]; then
	die "the VM did not finish (qemu status $qrc); see $out/console.log"
fi
rc=$(cat "$out/exitcode")
if grep -aqE 'Oops|WARNING:|BUG:|Call Trace|refcount_t|unregister_netdevice: waiting' "$out/dmesg.txt" 2>/dev/null; then
	warn "the guest kernel logged a splat; see $out/dmesg.txt"
fi
info "demo finished in $((SECONDS - t0))s, status $rc"
exit "$rc"
}
