# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Host-side helpers shared by install-deps.sh, run-check.sh and demo.sh.
# Source it; it defines functions and a few variables and runs nothing.
#
#   ZTBOND_ROOT        repository root
#   ZTBOND_BUILD       build/ under the repository (module copies, logs, VM files)
#   ZTBOND_CACHE       where the unpacked parts of linux-source-6.12 live
#                      (default /var/cache/ztbond if writable, else build/cache)
#   ZTBOND_ACCEL       force "kvm" or "tcg" (default: probe once, see vm_accel)
#   ZTBOND_KERNEL_BUILD
#                      a kernel built here (kbuild O= directory, with the
#                      modules_install tree in modroot/, as debug-kernel.sh
#                      makes it): its release is usable like an installed
#                      kernel (image, KDIR, module tree from that directory)
#   ZTBOND_IDLE_BUILDS=1  module builds at idle priority (nice 19, SCHED_IDLE)

ZTBOND_ROOT=${ZTBOND_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
ZTBOND_BUILD=${ZTBOND_BUILD:-$ZTBOND_ROOT/build}
ZTBOND_VMDIR="$ZTBOND_ROOT/tools/testing/vm"
if [[ -z ${ZTBOND_CACHE:-} ]]; then
	if mkdir -p /var/cache/ztbond 2>/dev/null && [[ -w /var/cache/ztbond ]]; then
		ZTBOND_CACHE=/var/cache/ztbond
	else
		ZTBOND_CACHE=$ZTBOND_BUILD/cache
	fi
fi
KSRC_TARBALL=/usr/src/linux-source-6.12.tar.xz
KSRC_DIR=$ZTBOND_CACHE/linux-source-6.12

# Colours only on a terminal.
if [[ -t 1 ]]; then
	C_RED=$'\e[31m' C_GRN=$'\e[32m' C_YEL=$'\e[33m' C_BLD=$'\e[1m' C_OFF=$'\e[0m'
else
	C_RED='' C_GRN='' C_YEL='' C_BLD='' C_OFF=''
fi

say()  { printf '%s\n' "$*"; }
info() { printf '%s==>%s %s\n' "$C_BLD" "$C_OFF" "$*"; }
warn() { printf '%sWARNING:%s %s\n' "$C_YEL" "$C_OFF" "$*" >&2; }
die()  { printf '%sERROR:%s %s\n' "$C_RED" "$C_OFF" "$*" >&2; exit 1; }

# Kernel selection -----------------------------------------------------------

# own_kver: the release of the kernel in ZTBOND_KERNEL_BUILD ("" if none).
own_kver()
{
	[[ -n ${ZTBOND_KERNEL_BUILD:-} ]] || return 0
	cat "$ZTBOND_KERNEL_BUILD/include/config/kernel.release" 2>/dev/null
}

# kver_is_own KVER: KVER is the kernel of ZTBOND_KERNEL_BUILD.
kver_is_own()
{
	[[ -n ${ZTBOND_KERNEL_BUILD:-} && $1 == "$(own_kver)" ]]
}

# Where a kernel's parts are: an installed Debian kernel's, or those of
# the kernel built in ZTBOND_KERNEL_BUILD.
kernel_image()  { if kver_is_own "$1"; then echo "$ZTBOND_KERNEL_BUILD/arch/x86/boot/bzImage"; else echo "/boot/vmlinuz-$1"; fi; }
kernel_kdir()   { if kver_is_own "$1"; then echo "$ZTBOND_KERNEL_BUILD"; else echo "/usr/src/linux-headers-$1"; fi; }
# kernel_modroot KVER: the directory holding lib/modules/KVER.
kernel_modroot() { if kver_is_own "$1"; then echo "$ZTBOND_KERNEL_BUILD/modroot"; else echo /; fi; }
kernel_moddir() { local r; r=$(kernel_modroot "$1"); echo "${r%/}/lib/modules/$1"; }

# build_cmd CMD...: CMD, at idle priority if ZTBOND_IDLE_BUILDS is set.
build_cmd()
{
	if [[ -n ${ZTBOND_IDLE_BUILDS:-} ]]; then
		nice -n 19 chrt -i 0 "$@"
	else
		"$@"
	fi
}

# kver_usable KVER: image, headers and module tree are all installed.
kver_usable()
{
	local k=$1

	[[ -r /boot/vmlinuz-$k && -d /usr/src/linux-headers-$k && \
	   -d /lib/modules/$k/kernel && -r /lib/modules/$k/modules.dep ]]
}

# pick_kver SERIES: newest usable kernel of a series ("6.1" or "6.12").
pick_kver()
{
	local series=$1 pat f k best=

	case $series in
	6.1)  pat='/boot/vmlinuz-6.1.0-*-amd64' ;;
	6.12) pat='/boot/vmlinuz-6.12.*-amd64' ;;
	*)    pat="/boot/vmlinuz-$series*-amd64" ;;
	esac
	# shellcheck disable=SC2086
	for f in $(ls -1 $pat 2>/dev/null | sort -V); do
		k=${f#/boot/vmlinuz-}
		kver_usable "$k" && best=$k
	done
	[[ -n $best ]] || return 1
	echo "$best"
}

# kver_series KVER: "6.1" or "6.12" (short name used in case names);
# "6.12-debug" for the debug kernel of debug-kernel.sh.
kver_series()
{
	local k=$1

	case $k in
	*-ztbond-debug) k=${k#*.}; echo "${1%%.*}.${k%%.*}-debug" ;;
	6.1.*)  echo 6.1 ;;
	6.12.*) echo 6.12 ;;
	*)      echo "${k%%-*}" ;;
	esac
}

# Framework from linux-source-6.12 ------------------------------------------

# The parts of linux-source-6.12 we use: the kselftest framework and
# checkpatch. Unpacked once, re-unpacked when the package version changes.
KSRC_MEMBERS=(
	'linux-source-6.12/tools/testing/selftests/lib.mk'
	'linux-source-6.12/tools/testing/selftests/Makefile'
	'linux-source-6.12/tools/testing/selftests/kselftest*'
	'linux-source-6.12/tools/testing/selftests/run_kselftest.sh'
	'linux-source-6.12/tools/testing/selftests/net/lib.sh'
	'linux-source-6.12/tools/testing/selftests/net/forwarding/lib.sh'
	'linux-source-6.12/tools/testing/selftests/net/forwarding/forwarding.config.sample'
	'linux-source-6.12/scripts/checkpatch.pl'
	'linux-source-6.12/scripts/spelling.txt'
	'linux-source-6.12/scripts/const_structs.checkpatch'
)

ksrc_version()
{
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null
}

ksrc_ready()
{
	[[ -f $KSRC_DIR/.ztbond-unpacked && \
	   "$(cat "$KSRC_DIR/.ztbond-unpacked")" == "$(ksrc_version)" ]]
}

ksrc_unpack()
{
	local tmp

	ksrc_ready && return 0
	[[ -r $KSRC_TARBALL ]] || die "$KSRC_TARBALL missing (package linux-source-6.12)"
	info "unpacking kselftest framework and checkpatch from $KSRC_TARBALL into $KSRC_DIR"
	mkdir -p "$ZTBOND_CACHE"
	tmp=$(mktemp -d "$ZTBOND_CACHE/unpack.XXXXXX")
	xz -dc "$KSRC_TARBALL" | tar -x -C "$tmp" --wildcards "${KSRC_MEMBERS[@]}" ||
		{ rm -rf "$tmp"; die "unpacking $KSRC_TARBALL failed"; }
	ksrc_version > "$tmp/linux-source-6.12/.ztbond-unpacked"
	rm -rf "$KSRC_DIR"
	mv "$tmp/linux-source-6.12" "$KSRC_DIR"
	rmdir "$tmp"
}

# Builds ---------------------------------------------------------------------

# copy_tree DEST: copy the source tree (not build/, .git or build products)
# to DEST, keeping mtimes so that kbuild rebuilds only what changed.
copy_tree()
{
	local dest=$1

	mkdir -p "$dest"
	(cd "$ZTBOND_ROOT" && tar -c \
		--exclude=./build --exclude=./.git --exclude=./.ci \
		--exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
		--exclude='.*.cmd' --exclude='modules.order' --exclude='Module.symvers' \
		--exclude='*.a' --exclude='.tmp_versions' -f - .) |
	(cd "$dest" && tar -x -f -)
}

# build_module KVER LOG: build kmod/ztbond.ko for KVER in build/KVER/
# (a copy of the tree: kbuild writes its objects next to the sources).
build_module()
{
	local k=$1 log=$2 copy=$ZTBOND_BUILD/$1

	copy_tree "$copy"
	# Full rebuild, so that the log holds every warning.
	find "$copy/kmod" \( -name '*.o' -o -name '*.ko' \) -delete
	build_cmd make -C "$(kernel_kdir "$k")" M="$copy/kmod" ZTBOND_ROOT="$copy" \
		${ZTBOND_KBUILD_FLAGS:-} modules > "$log" 2>&1 &&
	[[ -f $copy/kmod/ztbond.ko ]]
}

# stage_modules KVER: lay out build/KVER/modroot/lib/modules/KVER with the
# module tree of KVER (symlinked), our ztbond.ko in updates/, and the
# depmod output for both. depmod runs here on the host, where it takes
# seconds, instead of in the TCG guest. The guest binds it over its
# /lib/modules/KVER; the host's tree is not modified. For a kernel built
# here (ZTBOND_KERNEL_BUILD) the tree is a copy of its modules_install
# output, kernel/ included (a few modules at most).
stage_modules()
{
	local k=$1 ko=$ZTBOND_BUILD/$1/kmod/ztbond.ko
	local root=$ZTBOND_BUILD/$1/modroot
	local d=$root/lib/modules/$1 src

	src=$(kernel_moddir "$k")
	if [[ -f $d/modules.dep && -f $d/updates/ztbond.ko && \
	      $d/modules.dep -nt $ko && $d/modules.dep -nt $src/modules.dep ]] &&
	   cmp -s "$ko" "$d/updates/ztbond.ko"; then
		return 0
	fi
	rm -rf "$root"
	mkdir -p "$d/updates"
	if kver_is_own "$k"; then
		cp -a "$src/kernel" "$d/kernel" 2>/dev/null || mkdir "$d/kernel"
	else
		ln -s "$src/kernel" "$d/kernel"
	fi
	cp "$src"/modules.builtin* "$src/modules.order" "$d/"
	cp "$ko" "$d/updates/"
	depmod -b "$root" "$k" || return 1
	kver_is_own "$k" && return 0
	# The guest bind-mounts the real kernel/ here (see guest-init.sh).
	rm "$d/kernel"
	mkdir "$d/kernel"
}

# VM -------------------------------------------------------------------------

# initramfs_for KVER: path of the (cached) initramfs for KVER, built if
# missing or older than its inputs.
initramfs_for()
{
	local k=$1 out=$ZTBOND_BUILD/vm/initramfs-$1.cpio.gz

	if [[ ! -f $out || $ZTBOND_VMDIR/initramfs-init -nt $out || \
	      $ZTBOND_VMDIR/mkinitramfs.sh -nt $out || $(kernel_moddir "$k")/modules.dep -nt $out ]]; then
		mkdir -p "$ZTBOND_BUILD/vm"
		"$ZTBOND_VMDIR/mkinitramfs.sh" "$k" "$out" "$(kernel_modroot "$k")" >&2 || return 1
	fi
	echo "$out"
}

# vm_accel KVER: "kvm" if /dev/kvm boots a stock kernel here, else "tcg".
# /dev/kvm may exist and still not work (e.g. nested or PVM-only hosts), so
# boot the real kernel once and wait for the initramfs to answer. The answer
# is cached for the current host boot.
vm_accel()
{
	local k=$1 cache=$ZTBOND_BUILD/vm/accel.cache key log i rd pid

	if [[ -n ${ZTBOND_ACCEL:-} ]]; then
		echo "$ZTBOND_ACCEL"
		return
	fi
	key="$(cat /proc/sys/kernel/random/boot_id 2>/dev/null) $k"
	if [[ -f $cache && "$(head -1 "$cache")" == "$key" ]]; then
		tail -1 "$cache"
		return
	fi
	local acc=tcg
	if [[ -r /dev/kvm && -w /dev/kvm ]] && rd=$(initramfs_for "$k"); then
		log=$(mktemp)
		qemu-system-x86_64 -accel kvm -cpu host -m 256 -smp 1 -nographic -no-reboot \
			-nodefaults -serial stdio -kernel "$(kernel_image "$k")" -initrd "$rd" \
			-append "console=ttyS0 panic=-1 quiet ztb_probe=1" \
			</dev/null >"$log" 2>&1 &
		pid=$!
		for ((i = 0; i < 200; i++)); do
			if grep -aq 'ZTB-PROBE-OK' "$log"; then
				acc=kvm
				break
			fi
			grep -aqE 'KVM internal error|failed to initialize kvm|Could not access KVM' "$log" && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		rm -f "$log"
	fi
	mkdir -p "$(dirname "$cache")"
	printf '%s\n%s\n' "$key" "$acc" > "$cache"
	echo "$acc"
}

# vm_guest_env KVER OUT SCRIPT [KO]: the variables every guest script gets
# (guest-init.sh sources the env file vm_run passes), one per line; a caller
# appends its own. KO defaults to the module built for KVER; "" means none.
vm_guest_env()
{
	local k=$1 out=$2 script=$3 ko=${4-$ZTBOND_BUILD/$1/kmod/ztbond.ko}

	printf 'ZTB_KVER=%q\n' "$k"
	printf 'ZTB_REPO=%q\n' "$ZTBOND_ROOT"
	printf 'ZTBOND_ROOT=%q\n' "$ZTBOND_ROOT"
	printf 'ZTB_BUILD=%q\n' "$ZTBOND_BUILD/$k"
	printf 'ZTBOND_KO=%q\n' "$ko"
	printf 'ZTB_OUT=%q\n' "$out"
	printf 'ZTB_SCRIPT=%q\n' "$script"
	printf 'ZTBONDCTL=%q\n' "$ZTBOND_ROOT/ctl/ztbondctl"
	# a kernel built here: the guest has no /lib/modules/KVER of the host
	kver_is_own "$k" && printf 'ZTB_OWN_KERNEL=1\n'
	true
}

# vm_run KVER ENVFILE CONSOLELOG TIMEOUT: boot KVER with the 9p root and the
# guest env file; returns qemu's status (137 when killed at the timeout).
# ZTBOND_VM_APPEND: more kernel command line (run-check.sh --debug-kernel).
# The guest reads ENVFILE (a host path, seen at the same path over 9p).
# A soft lockup, hung task or RCU stall panics the guest, and the panic ends
# the VM (panic=-1 with -no-reboot), so a deadlock costs a minute or two, not
# the whole timeout. An oops or WARN does not stop the run; the host finds
# it in the guest's dmesg.
vm_run()
{
	local k=$1 envfile=$2 log=$3 tmo=$4 rd accel cpu

	rd=$(initramfs_for "$k") || return 1
	accel=$(vm_accel "$k")
	cpu=qemu64
	[[ $accel == kvm ]] && cpu=host
	# tsc=reliable: no clocksource watchdog. On a starved TCG host the
	# watchdog finds the TSC "skewed" against the HPET hundreds of seconds
	# in and marks it unstable, and the sched_clock static key flipped at
	# run time then dies in int3 text patching (Oops: int3 in
	# sched_clock_cpu, seen in a make bench run on 6.12): a guest crash
	# that says nothing about ztbond.
	# --foreground keeps qemu in our process group, so ^C stops it too.
	timeout --foreground --signal=KILL "$tmo" qemu-system-x86_64 \
		-accel "$accel" -cpu "$cpu" -m "${ZTBOND_VM_MEM:-2048}" -smp "${ZTBOND_VM_CPUS:-2}" \
		-nographic -no-reboot -nodefaults -serial stdio \
		-kernel "$(kernel_image "$k")" -initrd "$rd" \
		-fsdev local,id=hostroot,path=/,security_model=none,multidevs=remap \
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
		-append "console=ttyS0 tsc=reliable panic=-1 softlockup_panic=1 hung_task_panic=1 sysctl.kernel.panic_on_rcu_stall=1 loglevel=6 ztb_9pcache=${ZTBOND_9P_CACHE:-loose} ztb_init=$ZTBOND_VMDIR/guest-init.sh ztb_env=$envfile${ZTBOND_VM_APPEND:+ $ZTBOND_VM_APPEND}" \
		</dev/null >"$log" 2>&1
}
