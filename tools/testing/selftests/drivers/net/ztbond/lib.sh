#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for the ztbond selftests. Source it from a test:
#
#	source "$(dirname "$(readlink -f "$0")")"/lib.sh
#
# It sources the kernel's net/lib.sh (setup_ns, cleanup_ns, cleanup_all_ns,
# busywait, slowwait, log_test, RET/EXIT_STATUS, ksft_* codes) and
# kselftest/ktap_helpers.sh from the kselftest tree this directory sits in
# (tools/testing/selftests/drivers/net/ztbond -> ../../../), and adds:
#
#   check_err RC MSG / check_fail RC MSG   as in net/forwarding/lib.sh
#   tests_run                              run ${TESTS:-$ALL_TESTS}
#   ztb_exit                               exit $EXIT_STATUS (0 pass, 1 fail, 4 skip)
#   ztb_skip MSG                           print and exit $ksft_skip
#   ztb_require_root / ztb_require_cmd CMD... / ztb_require_module /
#   ztb_require_ctl                        skip the whole test if unmet
#
#   ztb_bond_add NS DEV [POLICY]           create a ztbond device in NS
#                                          (POLICY needs ztbondctl)
#   ztb_enslave NS BOND LINK...            ip link set LINK master BOND; up
#   ztb_topo_create [POLICY] [NLINKS]      the standard topology (below)
#   ztb_topo_destroy / ztb_cleanup         remove namespaces (and all devices)
#
#   ztb_stat NS DEV COUNTER                one counter from
#                                          /sys/class/net/DEV/statistics
#   ztb_counters NS DEV...                 table of rx/tx packets/bytes/drops
#   ztb_tx_packets NS DEV / ztb_rx_packets NS DEV
#   ztb_data_stat NS LINK COUNTER          data counters of a bond link
#                                          (sysfs ones include control frames)
#   ztb_busiest_link NS CMD...             run CMD, print the link of the
#                                          topology whose tx grew the most
#   ztb_ping NS DST [COUNT]                quiet ping, returns ping's status
#   ztb_wait_ping NS DST [TIMEOUT_S]       wait until DST answers one ping
#   ztb_ctl NS ARGS...                     $ZTBONDCTL ARGS in NS
#   ztb_link_field NS LINK FIELD / ztb_bond_field NS FIELD
#                                          a field of "bond show zb0 --json"
#   ztb_fcmp A OP B                        floating point comparison
#
# Standard topology (ztb_topo_create): namespaces $NS_A and $NS_B; veth
# pairs a1-b1, a2-b2 (more with NLINKS); a<i> in NS_A enslaved to NS_A's
# zb0, b<i> in NS_B enslaved to NS_B's zb0; 10.0.0.1/24 and 2001:db8::1/64
# on A's zb0, 10.0.0.2/24 and 2001:db8::2/64 on B's. $ZTB_LINKS_A and
# $ZTB_LINKS_B list the links.
#
# Environment: ZTBONDCTL (path of ztbondctl, exported by the VM harness;
# falls back to ztbondctl in PATH or ctl/ztbondctl of the repository),
# ZTBOND_ROOT (repository), ZTBOND_KO (the built module).

ZTB_LIB_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")

# Find the kselftest framework: normally three levels up (the harness runs
# us from a copy of linux-source's tools/testing/selftests); KSFT_DIR or the
# unpacked linux-source cache otherwise.
__ztb_find_ksft()
{
	local d

	for d in "${KSFT_DIR:-}" "$ZTB_LIB_DIR/../../.." \
		 /var/cache/ztbond/linux-source-6.12/tools/testing/selftests \
		 "$ZTB_LIB_DIR/../../../../../../build/cache/linux-source-6.12/tools/testing/selftests"; do
		if [[ -n $d && -f $d/net/lib.sh && -f $d/kselftest/ktap_helpers.sh ]]; then
			readlink -f "$d"
			return 0
		fi
	done
	return 1
}

if ! KSFT_DIR=$(__ztb_find_ksft); then
	echo "SKIP: kselftest framework (net/lib.sh) not found; set KSFT_DIR"
	exit 4
fi
export KSFT_DIR

# net/lib.sh and ktap_helpers.sh must be sourced from their own directory
# names; they do not cd anywhere.
# shellcheck source=/dev/null
source "$KSFT_DIR/net/lib.sh"
# shellcheck source=/dev/null
source "$KSFT_DIR/kselftest/ktap_helpers.sh"

: "${ZTBOND_ROOT:=$(readlink -f "$ZTB_LIB_DIR/../../../../../..")}"
if [[ -z ${ZTBONDCTL:-} ]]; then
	if command -v ztbondctl >/dev/null 2>&1; then
		ZTBONDCTL=$(command -v ztbondctl)
	else
		ZTBONDCTL=$ZTBOND_ROOT/ctl/ztbondctl
	fi
fi
export ZTBONDCTL ZTBOND_ROOT

# Framework-style result helpers -------------------------------------------

if ! declare -F check_err >/dev/null; then
check_err()
{
	local err=$1
	local msg=$2

	if ((err)); then
		ret_set_ksft_status "$ksft_fail" "$msg"
	fi
}
fi

if ! declare -F check_fail >/dev/null; then
check_fail()
{
	local err=$1
	local msg=$2

	check_err $((!err)) "$msg"
}
fi

if ! declare -F tests_run >/dev/null; then
tests_run()
{
	local current_test

	for current_test in ${TESTS:-$ALL_TESTS}; do
		RET=0
		retmsg=
		$current_test
	done
}
fi

ztb_exit()
{
	exit "$EXIT_STATUS"
}

ztb_skip()
{
	echo "SKIP: $*"
	exit "$ksft_skip"
}

ztb_require_root()
{
	[[ $(id -u) -eq 0 ]] || ztb_skip "must run as root"
}

ztb_require_cmd()
{
	local c

	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || ztb_skip "'$c' not installed"
	done
}

# The module must be loaded or loadable (modprobe, or insmod $ZTBOND_KO).
ztb_require_module()
{
	[[ -d /sys/module/ztbond ]] && return 0
	modprobe -q ztbond 2>/dev/null && return 0
	[[ -n ${ZTBOND_KO:-} && -f $ZTBOND_KO ]] && insmod "$ZTBOND_KO" 2>/dev/null && return 0
	ztb_skip "ztbond module not available"
}

ztb_require_ctl()
{
	[[ -x $ZTBONDCTL ]] || ztb_skip "ztbondctl not built ($ZTBONDCTL)"
}

ztb_ctl()
{
	local ns=$1; shift

	# zt reads its taps' sysfs: the namespace's own /sys (ip netns exec)
	if [[ $1 == zt ]]; then
		ip netns exec "$ns" "$ZTBONDCTL" "$@"
		return
	fi
	# -n enters the namespace like ip -n, without a second program
	# (ip netns exec costs 0.15 s a call under TCG)
	"$ZTBONDCTL" -n "$ns" "$@"
}

# Devices and topology ------------------------------------------------------

# ztb_bond_add NS DEV [POLICY]: without POLICY, "ip link add DEV type ztbond";
# with POLICY, "ztbondctl bond add DEV policy POLICY" (skips if no ztbondctl).
ztb_bond_add()
{
	local ns=$1 dev=$2 policy=${3:-}

	if [[ -z $policy ]]; then
		ip -n "$ns" link add "$dev" type ztbond
	else
		ztb_require_ctl
		ztb_ctl "$ns" bond add "$dev" policy "$policy"
	fi
}

# ztb_enslave NS BOND LINK...: enslave (links are down when created) and up.
ztb_enslave()
{
	local ns=$1 bond=$2 l; shift 2

	for l in "$@"; do
		ip -n "$ns" link set "$l" master "$bond" || return 1
	done
	for l in "$@"; do
		ip -n "$ns" link set "$l" up || return 1
	done
}

ZTB_LINKS_A=()
ZTB_LINKS_B=()

# ztb_topo_create [POLICY] [NLINKS]
ztb_topo_create()
{
	local policy=${1:-} n=${2:-2} i

	setup_ns NS_A NS_B || return 1
	ZTB_LINKS_A=() ZTB_LINKS_B=()
	for ((i = 1; i <= n; i++)); do
		ip link add "a$i" netns "$NS_A" type veth peer name "b$i" netns "$NS_B" || return 1
		ZTB_LINKS_A+=("a$i")
		ZTB_LINKS_B+=("b$i")
	done
	ztb_bond_add "$NS_A" zb0 "$policy" || return 1
	ztb_bond_add "$NS_B" zb0 "$policy" || return 1
	ztb_enslave "$NS_A" zb0 "${ZTB_LINKS_A[@]}" || return 1
	ztb_enslave "$NS_B" zb0 "${ZTB_LINKS_B[@]}" || return 1
	ip -n "$NS_A" addr add 10.0.0.1/24 dev zb0 || return 1
	ip -n "$NS_B" addr add 10.0.0.2/24 dev zb0 || return 1
	ip -n "$NS_A" addr add 2001:db8::1/64 dev zb0 nodad || return 1
	ip -n "$NS_B" addr add 2001:db8::2/64 dev zb0 nodad || return 1
	ip -n "$NS_A" link set zb0 up || return 1
	ip -n "$NS_B" link set zb0 up || return 1
}

ztb_topo_destroy()
{
	cleanup_all_ns
}

# ztbond devices other than the test's own (NS_A and NS_B): in the initial
# namespace or in any other named namespace. A test that unloads the module
# must not take them down.
ztb_other_bonds()
{
	local ns

	ip -o link show type ztbond 2>/dev/null
	for ns in $(ip netns list | awk '{ print $1 }'); do
		[[ $ns == "${NS_A:-}" || $ns == "${NS_B:-}" ]] && continue
		ip -n "$ns" -o link show type ztbond 2>/dev/null
	done
}

ztb_cleanup()
{
	cleanup_all_ns
}

# zt_rules NS DEV: ZeroTier Central's default flow rules on DEV, both ways
# (drop not ethertype ipv4 and not arp and not ipv6); zt_rules_del undoes it.
zt_rules()
{
	local ns=$1 dev=$2 dir

	# one tc for the nine commands (-batch stops at the first error):
	# under TCG each tc costs about 0.13 s to start
	{
		echo "qdisc add dev $dev clsact"
		for dir in ingress egress; do
			echo "filter add dev $dev $dir protocol ip prio 1 matchall action pass"
			echo "filter add dev $dev $dir protocol arp prio 2 matchall action pass"
			echo "filter add dev $dev $dir protocol ipv6 prio 3 matchall action pass"
			echo "filter add dev $dev $dir protocol all prio 4 matchall action drop"
		done
	} | tc -n "$ns" -batch -
}

zt_rules_del()
{
	tc -n "$1" qdisc del dev "$2" clsact
}

# ztb_zt_topo NLINKS POLICY [bond KEY VALUE...]: a fresh NS_A/NS_B pair of
# bonds with NLINKS links under ZeroTier's default rules, both sides set
# alike, once A reaches B.
ztb_zt_topo()
{
	local n=$1 policy=$2 l; shift 2

	ztb_topo_destroy
	ztb_topo_create "" "$n" || return 1
	for l in "${ZTB_LINKS_A[@]}"; do zt_rules "$NS_A" "$l" || return 1; done
	for l in "${ZTB_LINKS_B[@]}"; do zt_rules "$NS_B" "$l" || return 1; done
	ztb_ctl "$NS_A" bond set zb0 policy "$policy" "$@" &&
	ztb_ctl "$NS_B" bond set zb0 policy "$policy" "$@" &&
	ztb_wait_ping "$NS_A" 10.0.0.2 20
}

# pktgen ----------------------------------------------------------------------

# ztb_pktgen NS DEV CMD...: pktgen's first thread in NS sends from DEV only,
# set up by the CMDs (pktgen device commands, one an argument), all in one
# "ip netns exec" (each costs 0.2 s under TCG). Start it with "start" to
# /proc/net/pktgen/pgctrl, which returns when pktgen stops.
ztb_pktgen()
{
	local ns=$1 dev=$2

	shift 2
	# shellcheck disable=SC2016 # expanded by the inner shell
	ip netns exec "$ns" sh -c '
		dev=$1; shift
		echo rem_device_all > /proc/net/pktgen/kpktgend_0 &&
		echo "add_device $dev" > /proc/net/pktgen/kpktgend_0 || exit 1
		for c; do echo "$c" > "/proc/net/pktgen/$dev" || exit 1; done
	' sh "$dev" "$@"
}

# ztb_pktgen_clear NS: pktgen's first thread in NS lets go of its devices
ztb_pktgen_clear()
{
	ip netns exec "$1" sh -c 'echo rem_device_all > /proc/net/pktgen/kpktgend_0'
}

# Counters ------------------------------------------------------------------

# ztb_stat NS DEV COUNTER (rx_packets, tx_packets, rx_bytes, tx_dropped, ...)
ztb_stat()
{
	local ns=$1 dev=$2 c=$3

	ip netns exec "$ns" cat "/sys/class/net/$dev/statistics/$c"
}

# ztb_data_stat NS LINK COUNTER: the data ztbond counted on LINK
# (tx_packets, rx_packets, tx_bytes, rx_bytes); the link's own sysfs
# counters also hold the quality engine's control frames.
ztb_data_stat()
{
	ztb_ctl "$1" bond show --json |
		jq -r --arg l "$2" --arg c "$3" \
			'(if type == "array" then .[] else . end) | .links[] | select(.name == $l) | .[$c]'
}

ztb_tx_packets() { ztb_stat "$1" "$2" tx_packets; }
ztb_rx_packets() { ztb_stat "$1" "$2" rx_packets; }

ztb_counters()
{
	local ns=$1 d; shift

	printf '%-8s %12s %12s %14s %14s %10s %10s\n' \
		dev rx_packets tx_packets rx_bytes tx_bytes rx_dropped tx_dropped
	for d in "$@"; do
		printf '%-8s %12s %12s %14s %14s %10s %10s\n' "$d" \
			"$(ztb_stat "$ns" "$d" rx_packets)" "$(ztb_stat "$ns" "$d" tx_packets)" \
			"$(ztb_stat "$ns" "$d" rx_bytes)" "$(ztb_stat "$ns" "$d" tx_bytes)" \
			"$(ztb_stat "$ns" "$d" rx_dropped)" "$(ztb_stat "$ns" "$d" tx_dropped)"
	done
}

# ztb_busiest_link NS CMD...: run CMD; print the link of NS (from the
# standard topology) whose tx_packets grew the most.
ztb_busiest_link()
{
	local ns=$1 l best= bestd=-1 d; shift
	local -a links
	local -A before

	if [[ $ns == "${NS_A:-}" ]]; then links=("${ZTB_LINKS_A[@]}"); else links=("${ZTB_LINKS_B[@]}"); fi
	for l in "${links[@]}"; do
		before[$l]=$(ztb_tx_packets "$ns" "$l")
	done
	"$@" >/dev/null 2>&1
	for l in "${links[@]}"; do
		d=$(( $(ztb_tx_packets "$ns" "$l") - before[$l] ))
		if ((d > bestd)); then
			bestd=$d
			best=$l
		fi
	done
	echo "$best"
}

# ztb_link_field NS LINK FIELD / ztb_bond_field NS FIELD: one field of
# NS's "bond show zb0 --json" (nothing when absent; false stays false).
ztb_link_field()
{
	ztb_ctl "$1" bond show zb0 --json |
		jq -r --arg l "$2" --arg f "$3" '.links[] | select(.name == $l) | .[$f] | select(. != null)'
}

ztb_bond_field()
{
	ztb_ctl "$1" bond show zb0 --json | jq -r --arg f "$2" '.[$f] | select(. != null)'
}

# ztb_fcmp A OP B: floating point comparison.
ztb_fcmp()
{
	# numbers, always: awk compares two strings that do not look like
	# numbers as strings
	awk -v a="$1" -v b="$3" "BEGIN { exit !((a + 0) $2 (b + 0)) }"
}

# Traffic -------------------------------------------------------------------

ztb_ping()
{
	local ns=$1 dst=$2 count=${3:-5}

	ip netns exec "$ns" ping -q -c "$count" -i 0.2 -W 2 "$dst" >/dev/null 2>&1
}

ztb_wait_ping()
{
	local ns=$1 dst=$2 tmo=${3:-20}

	slowwait "$tmo" ip netns exec "$ns" ping -q -c 1 -W 1 "$dst" >/dev/null 2>&1
}

# ztb_listening NS PORT: something listens on TCP PORT in NS.
ztb_listening()
{
	ip netns exec "$1" ss -Htln "sport = :$2" | grep -q .
}

# ztb_iperf_server NS ADDR PORT SECS: a one-shot iperf3 server in the
# background, for a client run of SECS seconds, listening when this returns.
# It ends on its own: a server whose client never came (or stalled) would
# otherwise keep the caller's "wait" and the whole test forever.
ztb_iperf_server()
{
	local ns=$1 addr=$2 port=$3 secs=$4

	ip netns exec "$ns" timeout $((secs + 45)) \
		iperf3 -s -1 -B "$addr" -p "$port" >/dev/null 2>&1 &
	slowwait 10 ztb_listening "$ns" "$port"
}
