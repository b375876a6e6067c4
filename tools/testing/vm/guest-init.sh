#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test VM after switch_root into the host's / (over 9p).
# $1 is an env file written by the host (vm_run); it names the kernel, the
# build copy holding ztbond.ko, the output directory and the script to run
# (ZTB_SCRIPT). Common set-up here; the script does the work; then results
# are synced and the VM powers off. Nothing here modifies the host's tree
# except files under ZTB_OUT.

# The body is one compound command: bash reads all of it before running it,
# so editing this file while it runs cannot derail the run.
{
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8 TMPDIR=/tmp

phase()
{
	local up

	read -r up _ < /proc/uptime
	echo "ztb-guest: ${up}s $*" > /dev/console
}

poweroff_now()
{
	sync
	echo o > /proc/sysrq-trigger
	sleep 30
}

# Anything unexpected: power off rather than leave the host waiting for the
# timeout.
trap poweroff_now EXIT

mount -t proc proc /proc
phase "switch_root into the 9p root done"
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm

envfile=$1
if [[ ! -r $envfile ]]; then
	echo "ztb-guest: env file '$envfile' not readable" > /dev/console
	exit 1
fi
# Every variable of the env file is exported to the script.
set -a
# shellcheck disable=SC1090
. "$envfile"
set +a

# tmpfs_over DIR: a private tmpfs on DIR (/tmp, /run, ...), except that the
# host paths we need and that lie under DIR (the repository may be cloned
# in /tmp or /root) are bound back into it. The tmpfs is prepared on the
# side and then moved over DIR, while the host's DIR is still visible.
tmpfs_over()
{
	local dir=$1 st=/dev/.ztb-stage p k kept=()

	mkdir -p "$st"
	mount -n -t tmpfs tmpfs "$st" || return 1
	for p in "$ZTBOND_ROOT" "$ZTB_BUILD" "$ZTB_OUT" "${KSFT_DIR:-}" "$(dirname "$envfile")"; do
		[[ -n $p && $p == "$dir"/* ]] || continue
		for k in "${kept[@]}"; do
			[[ $p == "$k" || $p == "$k"/* ]] && continue 2
		done
		mkdir -p "$st/${p#"$dir"/}" && mount -n --bind "$p" "$st/${p#"$dir"/}" && kept+=("$p")
	done
	# -n: no utab in the /run being replaced
	mount -n --move "$st" "$dir"
}

for d in /tmp /run /root /var/tmp; do
	tmpfs_over "$d" || echo "ztb-guest: cannot mount a tmpfs on $d" > /dev/console
done
mkdir -p /run/netns /run/lock
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
ln -sf /proc/self/fd /dev/fd 2>/dev/null
ln -sf /proc/self/fd/0 /dev/stdin 2>/dev/null
ln -sf /proc/self/fd/1 /dev/stdout 2>/dev/null
ln -sf /proc/self/fd/2 /dev/stderr 2>/dev/null
hostname ztbond-vm
ip link set lo up
# Console: warnings and worse by default (the full log is saved as dmesg.txt).
echo "${ZTB_PRINTK:-5}" > /proc/sys/kernel/printk
mkdir -p "$ZTB_OUT"
cat /proc/uptime > "$ZTB_OUT/boot-uptime"
phase "booted $(uname -r)"

[[ $(uname -r) == "$ZTB_KVER" ]] ||
	echo "ztb-guest: running $(uname -r), expected $ZTB_KVER" > /dev/console

# Module tree: the host staged build/<kver>/modroot/lib/modules/<kver> with
# ztbond.ko in updates/, the depmod output covering it and an empty kernel/.
# Bind the real kernel/ into it and bind the whole over /lib/modules/<kver>,
# so that "modprobe ztbond" and autoload ("ip link add type ztbond") work
# without writing to the host's /lib/modules (bind mounts live in the guest).
# A kernel built here (ZTB_OWN_KERNEL: the debug kernel) has a complete
# staged tree, kernel/ included, and the host has no /lib/modules/<kver> to
# bind it over: a tmpfs on /lib/modules (in the guest only) gets one.
moddir=/lib/modules/$ZTB_KVER
stage=$ZTB_BUILD/modroot/lib/modules/$ZTB_KVER
if [[ -n ${ZTB_OWN_KERNEL:-} && -f $stage/modules.dep ]]; then
	{ [[ -d $moddir ]] || { mount -n -t tmpfs tmpfs /lib/modules && mkdir "$moddir"; }; } &&
	mount --rbind "$stage" "$moddir" ||
		echo "ztb-guest: cannot bind the staged module tree" > /dev/console
elif [[ -f $stage/modules.dep && -d $stage/kernel ]]; then
	mount --bind "$moddir/kernel" "$stage/kernel" &&
	mount --rbind "$stage" "$moddir" ||
		echo "ztb-guest: cannot bind the staged module tree" > /dev/console
fi

ZTB_MODLOAD=skipped
if [[ -n ${ZTBOND_KO:-} && -f $ZTBOND_KO ]]; then
	if modprobe ztbond 2> "$ZTB_OUT/modprobe.err" || insmod "$ZTBOND_KO" 2>> "$ZTB_OUT/modprobe.err"; then
		ZTB_MODLOAD=ok
	else
		ZTB_MODLOAD=failed
	fi
fi
echo "$ZTB_MODLOAD" > "$ZTB_OUT/modload"
phase "ztbond module: $ZTB_MODLOAD"
export ZTB_MODLOAD

rc=0
if [[ -x $ZTB_SCRIPT ]]; then
	"$ZTB_SCRIPT"
	rc=$?
else
	echo "ztb-guest: script '$ZTB_SCRIPT' not executable" > /dev/console
	rc=2
fi

phase "done (status $rc)"

# kmemleak (the debug kernel only): scan at the end, twice (an object
# found unreferenced once may be in flight; the second scan drops those),
# and add the report to dmesg.txt, where the host looks for
# "unreferenced object". kmemleak.status says whether the scan ran.
if [[ -e /sys/kernel/debug/kmemleak ]]; then
	phase "kmemleak scan"
	if echo scan > /sys/kernel/debug/kmemleak 2> "$ZTB_OUT/kmemleak.status" &&
	   sleep 6 && echo scan > /sys/kernel/debug/kmemleak 2>> "$ZTB_OUT/kmemleak.status"; then
		cat /sys/kernel/debug/kmemleak > "$ZTB_OUT/kmemleak.txt"
		echo ok > "$ZTB_OUT/kmemleak.status"
	fi
	nleak=$(grep -c '^unreferenced object' "$ZTB_OUT/kmemleak.txt" 2>/dev/null)
	phase "kmemleak scan done: ${nleak:-no scan,} leak reports"
fi
dmesg > "$ZTB_OUT/dmesg.txt" 2>&1
if [[ -s $ZTB_OUT/kmemleak.txt ]]; then
	{
		echo "ztb-guest: kmemleak report (/sys/kernel/debug/kmemleak after the scans):"
		cat "$ZTB_OUT/kmemleak.txt"
	} >> "$ZTB_OUT/dmesg.txt"
fi
echo "$rc" > "$ZTB_OUT/exitcode"
sync
poweroff_now
}
