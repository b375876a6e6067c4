#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh [--config-only]
#
# The debug kernel of "make check-debug": Debian's linux-source-6.12,
# "make tinyconfig" + tools/testing/vm/debug.config (KASAN, lockdep,
# kmemleak, DEBUG_NET, ...), built out of tree in
#   $ZTBOND_CACHE/debug-kernel/<hash>/            (kbuild O=, KDIR for ztbond.ko)
#   $ZTBOND_CACHE/debug-kernel/<hash>/modroot/    (modules_install INSTALL_MOD_PATH)
# where <hash> covers the fragment, the linux-source-6.12 package version and
# the compiler, so a finished build is reused until one of them changes. The
# source is unpacked once into $ZTBOND_CACHE/debug-kernel/linux-source-6.12
# and never written to. Every compile runs under "nice -n 19 chrt -i 0": the
# build may take an hour or more, but it does not slow the VMs that share
# the host.
#
# Prints the build directory on stdout (everything else goes to stderr);
# --config-only stops after the configuration (and its check).
# Environment: ZTBOND_DEBUG_JOBS (make -j, default: number of CPUs).
set -euo pipefail

# shellcheck source=common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"

CONFIG_ONLY=
case ${1:-} in
--config-only) CONFIG_ONLY=1 ;;
'') ;;
*) die "usage: $0 [--config-only]" ;;
esac

frag=$ZTBOND_VMDIR/debug.config
base=$ZTBOND_CACHE/debug-kernel
src=$base/linux-source-6.12
idle=(nice -n 19 chrt -i 0)
jobs=${ZTBOND_DEBUG_JOBS:-$(nproc)}

for t in gcc make flex bison bc perl xz; do
	command -v "$t" >/dev/null || die "$t missing (tools/testing/install-deps.sh installs it)"
done
[[ -r /usr/include/gelf.h ]] || die "libelf-dev missing (objtool needs it; install-deps.sh installs it)"
[[ -r $KSRC_TARBALL ]] || die "$KSRC_TARBALL missing (package linux-source-6.12)"

mkdir -p "$base"
# One build at a time per cache (a second caller waits, then finds it done).
exec 9> "$base/.lock"
flock 9

# The whole source, unpacked once per package version.
ver=$(ksrc_version)
if [[ ! -f $src/.ztbond-unpacked || "$(cat "$src/.ztbond-unpacked")" != "$ver" ]]; then
	info "unpacking $KSRC_TARBALL ($ver) into $src" >&2
	rm -rf "$src" "$base/src.tmp"
	mkdir -p "$base/src.tmp"
	"${idle[@]}" tar -xJf "$KSRC_TARBALL" -C "$base/src.tmp"
	echo "$ver" > "$base/src.tmp/linux-source-6.12/.ztbond-unpacked"
	mv "$base/src.tmp/linux-source-6.12" "$src"
	rmdir "$base/src.tmp"
fi

hash=$( { cat "$frag"; echo "linux-source-6.12 $ver"; gcc --version | head -n 1; echo tinyconfig; } |
	sha256sum | cut -c1-12)
out=$base/$hash
done_marker=$out/.ztbond-built

if [[ -f $done_marker && -z $CONFIG_ONLY ]]; then
	info "debug kernel $(cat "$out/include/config/kernel.release") cached in $out" >&2
	echo "$out"
	exit 0
fi

mkdir -p "$out"
log=$out/build.log
kmake() { "${idle[@]}" make -C "$src" O="$out" "$@"; }

# Configure: tinyconfig, the fragment merged on top, olddefconfig. Redone
# only when there is no .config yet (the directory is named by the
# fragment's hash, so a .config here is always of this fragment).
if [[ ! -f $out/.config-merged ]]; then
	info "configuring the debug kernel in $out (tinyconfig + $(basename "$frag"))" >&2
	{
		kmake tinyconfig &&
		"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag" &&
		kmake olddefconfig
	} > "$out/config.log" 2>&1 || { tail -n 30 "$out/config.log" >&2; die "configuration failed"; }
	# Every value of the fragment must have survived (a missing dependency
	# silently drops an option otherwise).
	bad=0
	while IFS= read -r line; do
		if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			grep -qxF "$line" "$out/.config" || {
				warn "$line requested, .config has: $(grep -E "^(# )?${BASH_REMATCH[1]}[= ]" "$out/.config" || echo nothing)"
				bad=1
			}
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			! grep -q "^${BASH_REMATCH[1]}=" "$out/.config" || {
				warn "${BASH_REMATCH[1]} must be off, .config has: $(grep "^${BASH_REMATCH[1]}=" "$out/.config")"
				bad=1
			}
		fi
	done < "$frag"
	((bad == 0)) || { rm -f "$out/.config"; die "$frag does not apply (see above)"; }
	touch "$out/.config-merged"
fi
if [[ -n $CONFIG_ONLY ]]; then
	echo "$out"
	exit 0
fi

# Build: the image, the (few) modules, and their tree for the guest.
info "building the debug kernel in $out (make -j$jobs, log $log; an hour or more under load)" >&2
t0=$SECONDS
{
	kmake -j"$jobs" bzImage modules &&
	rm -rf "$out/modroot" &&
	kmake INSTALL_MOD_PATH="$out/modroot" modules_install
} > "$log" 2>&1 || { grep -E 'error|Error' "$log" | head -n 30 >&2; die "debug kernel build failed, see $log"; }
krel=$(cat "$out/include/config/kernel.release")
{
	echo "kernel $krel"
	echo "source linux-source-6.12 $ver"
	echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $((SECONDS - t0)) s (make -j$jobs)"
} > "$done_marker"
info "debug kernel $krel built in $(( (SECONDS - t0) / 60 )) min" >&2
echo "$out"
