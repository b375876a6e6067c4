#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# install-deps.sh [--debug-kernel]: everything "make check", "make demo" and
# "make bench" need (and "make check-debug", with --debug-kernel), from Debian's archive. Idempotent: no apt at all when every package
# is already installed; the needed parts of linux-source-6.12 (kselftest framework,
# checkpatch) are unpacked once into $ZTBOND_CACHE.
set -euo pipefail

# shellcheck source=vm/common.sh
source "$(dirname "$(readlink -f "$0")")/vm/common.sh"

PACKAGES=(
	# build
	build-essential make gcc pkg-config bc kmod cpio xz-utils zstd gzip
	libnl-3-dev libnl-genl-3-dev libjson-c-dev libcurl4-openssl-dev sparse
	# libFuzzer target of the engine
	clang libclang-rt-14-dev
	# kernels (6.1 LTS through the meta packages, 6.12 LTS) and their headers
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-source-6.12
	# VM
	qemu-system-x86 busybox-static
	# tools the tests use inside the VM (the VM runs on the host's /)
	iproute2 iputils-ping iperf3 ethtool procps psmisc jq tcpdump libteam-utils
	# jq's implementation in Go: the guest runs the tests' jq as gojq
	# (guest-selftests.sh), eight times cheaper to start under TCG
	gojq
	# ztsim's host tests (curl for the local API)
	curl
	# make bench: the plots (report.py)
	gnuplot-nox
	coreutils util-linux perl python3
)
# install-deps.sh --debug-kernel: also what vm/debug-kernel.sh needs to
# build a kernel ("make check-debug")
[[ ${1:-} == --debug-kernel ]] && PACKAGES+=(flex bison libelf-dev)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done

if ((${#missing[@]})); then
	[[ $(id -u) -eq 0 ]] || die "missing packages (${missing[*]}); run as root"
	info "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt_opts=(-y -q -o Dpkg::Use-Pty=0 --no-install-recommends)
	# Update the lists once; retry the install after an update if it fails
	# with lists that are present but stale.
	if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
		apt-get -q update
		updated=1
	fi
	if ! apt-get install "${apt_opts[@]}" "${missing[@]}"; then
		[[ -z ${updated:-} ]] || die "apt-get install failed"
		apt-get -q update
		apt-get install "${apt_opts[@]}" "${missing[@]}" || die "apt-get install failed"
	fi
fi

ksrc_unpack

# Report what the suite will use.
for s in 6.1 6.12; do
	k=$(pick_kver "$s") || die "no usable $s kernel (need /boot/vmlinuz, /usr/src/linux-headers and /lib/modules of the same version)"
	say "kernel $s: $k"
done
say "kselftest framework and checkpatch: $KSRC_DIR"
