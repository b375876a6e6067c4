# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Guest-side helpers shared by the benchmark scripts (tx_cost.sh,
# scaling.sh, control.sh, failover.sh). Source it; it defines functions and
# runs nothing.
#
#   log MSG...                 progress line on the console ("bench: ...",
#                              run.sh shows it) and in $ZTB_OUT/bench.log
#                              (there after the seconds since the script
#                              started: where the time goes)
#   pgset FILE CMD...          one pktgen command
#   pktgen_run DEV COUNT [CMD...]
#                              COUNT 64-byte UDP packets into DEV's xmit from
#                              kpktgend_0; prints pps. Default load: random
#                              source port 1..65534, destination port 9;
#                              CMDs (pktgen commands such as
#                              "udp_dst_max 1100" or "flag UDPDST_RND") are
#                              applied after the defaults
#   now_ms                     wall clock in ms (bash's EPOCHREALTIME)
#   median N...                median of integers
#   ctl_json BOND              "ztbondctl bond show BOND --json"
#   link_del DEV...            delete those of the root namespace's DEVs
#                              that exist, in one "ip -batch"
#
# Never name a device that does not exist to ip: iproute2 then falls back
# to if_nametoindex(), whose SIOCGIFINDEX makes the kernel try
# request_module("netdev-NAME"), one modprobe over 9p each, about a second
# under TCG (deleting 64 absent veths took 69 s).
#
# Environment: ZTB_OUT, ZTBONDCTL, BENCH_PKT_SIZE (default 64).

PG=/proc/net/pktgen
LOG=$ZTB_OUT/bench.log

log()
{
	printf 'bench: %s\n' "$*"
	printf '%4ds %s\n' "$SECONDS" "$*" >> "$LOG"
}

pgset()
{
	local file=$1; shift

	echo "$*" > "$file" || { log "pktgen: '$*' > $file failed"; return 1; }
}

pktgen_run()
{
	local dev=$1 count=$2 mac c f=$PG/$1; shift 2

	mac=$(cat "/sys/class/net/$dev/address")
	pgset "$PG/kpktgend_0" rem_device_all || return 1
	pgset "$PG/kpktgend_0" "add_device $dev" || return 1
	pgset "$f" "count $count" &&
	pgset "$f" "clone_skb 0" &&
	pgset "$f" "pkt_size ${BENCH_PKT_SIZE:-64}" &&
	pgset "$f" "delay 0" &&
	pgset "$f" "src_mac $mac" &&
	pgset "$f" "dst_mac 02:00:00:00:00:02" &&
	pgset "$f" "src_min 10.0.0.1" && pgset "$f" "src_max 10.0.0.1" &&
	pgset "$f" "dst 10.0.0.2" &&
	pgset "$f" "udp_src_min 1" && pgset "$f" "udp_src_max 65535" &&
	pgset "$f" "udp_dst_min 9" && pgset "$f" "udp_dst_max 9" &&
	pgset "$f" "flag UDPSRC_RND" || return 1
	for c in "$@"; do
		pgset "$f" "$c" || return 1
	done
	pgset "$PG/pgctrl" start || return 1
	# "start" returns when the threads stop running, but it looks only
	# 125 ms after waking them: on a slow VM, before the device started.
	# Wait for the device's result.
	for ((c = 0; c < 3000; c++)); do
		grep -q '[0-9]pps' "$f" && break
		sleep 0.1
	done
	grep -A1 '^Result' "$f" >> "$LOG"
	# "Result: OK: ..." then "  123456pps 63Mb/sec (...) errors: 0"
	grep -o '[0-9]\+pps' "$f" | head -1 | sed 's/pps$//'
	pgset "$PG/kpktgend_0" rem_device_all
}

now_ms()
{
	local t=${EPOCHREALTIME/./}

	echo $((t / 1000))
}

median()
{
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit 1
		if (NR % 2) print v[(NR + 1) / 2]
		else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

link_del()
{
	local d

	for d in "$@"; do
		[[ -e /sys/class/net/$d ]] && echo "link del $d"
	done | ip -force -batch - 2>/dev/null
	return 0
}

ctl_json()
{
	"$ZTBONDCTL" bond show "$1" --json
}
