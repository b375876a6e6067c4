#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh KVER OUT.cpio.gz [MODROOT]
#
# A tiny initramfs: static busybox, the virtio/9p modules of KVER
# (decompressed, in load order) and initramfs-init as /init. The init mounts
# the host's / over virtio-9p and switch_roots into it. MODROOT (default /)
# holds lib/modules/KVER: a kernel built here has its tree elsewhere (and
# virtio/9p built in, so no modules at all).
set -euo pipefail

k=${1:?kernel version}
out=${2:?output file}
modroot=${3:-/}
dopt=()
[[ $modroot == / ]] || dopt=(-d "$modroot")
here=$(cd "$(dirname "$0")" && pwd)

[[ -d $modroot/lib/modules/$k ]] || { echo "no $modroot/lib/modules/$k" >&2; exit 1; }
busybox=/bin/busybox
if ! "$busybox" --list 2>/dev/null | grep -qx switch_root || ldd "$busybox" >/dev/null 2>&1; then
	echo "$busybox is not a static busybox with switch_root (install busybox-static)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,dev,proc,sys,newroot,modules}
cp "$busybox" "$tmp/bin/busybox"
ln -s busybox "$tmp/bin/sh"

# Modules (and their dependencies, in order) needed to mount the 9p root.
# Built-in ones are reported as "builtin X" and skipped.
: > "$tmp/modules/order"
for m in virtio_pci 9pnet_virtio 9p; do
	modprobe "${dopt[@]}" -S "$k" --show-depends "$m"
done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' |
while read -r path; do
	name=$(basename "$path")
	case $name in
	*.ko.xz)  name=${name%.xz};  xz -dc "$path" > "$tmp/modules/$name" ;;
	*.ko.zst) name=${name%.zst}; zstd -qdc "$path" > "$tmp/modules/$name" ;;
	*.ko.gz)  name=${name%.gz};  gzip -dc "$path" > "$tmp/modules/$name" ;;
	*)        cp "$path" "$tmp/modules/$name" ;;
	esac
	echo "$name" >> "$tmp/modules/order"
done

install -m 0755 "$here/initramfs-init" "$tmp/init"
mkdir -p "$(dirname "$out")"
(cd "$tmp" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
echo "initramfs for $k: $out ($(tr '\n' ' ' < "$tmp/modules/order"))" >&2
