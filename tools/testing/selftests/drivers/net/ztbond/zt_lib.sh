# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by the "ztbondctl zt" selftests (ztbond_zt*.sh); sourced after
# lib.sh. A hub namespace ($HUB) for "zt up", a client namespace ($CLI),
# an underlay namespace ($UL) that ztsim members talk through, and ztsim's
# Central stand-in in the hub (token in $T/token, port $CPORT).
#
#   zt ARGS...          ztbondctl zt ARGS in the hub
#   up_args             "up" arguments for two members with Central
#   nodes / pids        node ids / pids of the hub's members
#   procs               live ztsim processes of the hub's homes
#   links_json          names of the bond's links
#   start_client        a plain ztsim member in $CLI, tap ztc, 10.55.0.2/24
#   zt_setup / zt_cleanup
#   zt_require          skip unless root, module, ztbondctl, ztsim, tun

NW=8056c2e21c00b0d1
ZTSIM=$ZTBOND_ROOT/tools/testing/ztsim/ztsim
CENTRAL=$ZTBOND_ROOT/tools/testing/ztsim/central.py
T=
CENTRAL_PID=

zt_cleanup()
{
	local f

	if [[ -n $T ]]; then
		for f in "$T"/h/*/member*/zerotier-one.pid "$T"/client/zerotier-one.pid; do
			[[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null
		done
	fi
	[[ -n $CENTRAL_PID ]] && kill "$CENTRAL_PID" 2>/dev/null
	sleep 0.3
	cleanup_all_ns
	[[ -n $T ]] && rm -rf "$T"
}

zt()
{
	ztb_ctl "$HUB" zt "$@"
}

up_args()
{
	echo up --network "$NW" --count 2 --home "$T/h" --zerotier-one "$ZTSIM" \
		--central-token-file "$T/token" --central-url "http://127.0.0.1:$CPORT" \
		--timeout 30
}

nodes() { cut -c1-10 "$T"/h/ztbond0/member*/identity.public 2>/dev/null | tr '\n' ' '; }
pids() { awk 1 "$T"/h/ztbond0/member*/zerotier-one.pid 2>/dev/null | tr '\n' ' '; }

# live ztsim processes of this test's hub homes (candidates by command
# line, confirmed by executable)
procs()
{
	local n=0 p exe

	exe=$(readlink -f "$ZTSIM")
	for p in $(pgrep -f -- "$T/h/"); do
		[[ $(readlink "/proc/$p/exe" 2>/dev/null) == "$exe" ]] && n=$((n + 1))
	done
	echo $n
}

# zt_links_up NS N: the bond in NS has N links up
zt_links_up()
{
	[[ $(ztb_ctl "$1" --json bond show ztbond0 2>/dev/null |
	     jq '[.links[] | select(.state == "up")] | length') -eq $2 ]]
}

links_json()
{
	ztb_ctl "$HUB" --json bond show ztbond0 2>/dev/null |
		jq -r '[.links[].name] | sort | join(" ")' 2>/dev/null
}

zt_setup()
{
	T=$(mktemp -d) || return 1
	export ZTSIM_STATE=$T/state
	mkdir -p "$ZTSIM_STATE"
	setup_ns UL HUB CLI || { echo "setup_ns failed"; return 1; }
	echo "$UL" > "$ZTSIM_STATE/underlay-netns"
	echo "central-token" > "$T/token"
	ip netns exec "$HUB" python3 "$CENTRAL" --state "$ZTSIM_STATE" \
		--token-file "$T/token" --port-file "$T/central.port" \
		2>"$T/central.log" &
	CENTRAL_PID=$!
	# python's first start from a cold 9p root under TCG is slow
	if ! slowwait 60 test -s "$T/central.port"; then
		echo "Central stand-in did not start: $(cat "$T/central.log")"
		return 1
	fi
	CPORT=$(cat "$T/central.port")
}

start_client()
{
	mkdir -p "$T/client/networks.d"
	echo "$NW=ztc" > "$T/client/devicemap"
	: > "$T/client/networks.d/$NW.conf"
	ip netns exec "$CLI" "$ZTSIM" -U -d -p9993 "$T/client" 2>"$T/client.log" &&
		slowwait 20 ip -n "$CLI" link show ztc >/dev/null 2>&1 &&
		ip -n "$CLI" addr add 10.55.0.2/24 dev ztc
}

zt_require()
{
	ztb_require_root
	ztb_require_module
	ztb_require_ctl
	ztb_require_cmd ip python3 jq pgrep
	[[ -x $ZTSIM ]] || ztb_skip "ztsim not built ($ZTSIM; make ztsim)"
	# taps: tun is a module in Debian's kernels, and nothing here loads
	# it on demand for /dev/net/tun
	modprobe -q tun 2>/dev/null
	[[ -c /dev/net/tun ]] || ztb_skip "no /dev/net/tun"
}
