#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ztsim host tests: ztsim members in their own network namespaces, joined
# through an underlay namespace, with the Central stand-in setting bridges.
#
#   bash tests/ztsim.sh [path/to/ztsim]
#
# Needs root (namespaces, taps), ip, jq, curl and python3. One line per
# case ("PASS: ..." / "FAIL: ..."), then "N passed, N failed"; exits 1 on
# any failure.
#
# Members (network NW, default flow rules unless a case changes them):
#   A (ns a) 10.77.0.1   B (ns b) 10.77.0.2   C (ns c) 10.77.0.3
#   D (ns d) active bridge (set through the Central stand-in), no address

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh" "$@"
FRAME=$HERE/frame.py
NW=8056c2e21c000001
NW2=8056c2e21c0000a2
NWP=8056c2e21c0000b3

need ROOT ip jq curl python3 "$ZTSIM"

S=$$
UL=zts-ul-$S
T=$(mktemp -d /tmp/ztsim-test.XXXXXX)
export ZTSIM_STATE=$T/state
NSES=()

cleanup()
{
	local f ns

	for f in "$T"/*/zerotier-one.pid; do
		[[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null
	done
	[[ -n $CENTRAL_PID ]] && kill "$CENTRAL_PID" 2>/dev/null
	sleep 0.2
	for ns in "${NSES[@]}" "$UL"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

mkns()
{
	ip netns add "$1" || exit 1
	ip -n "$1" link set lo up
	NSES+=("$1")
}

mkns "$UL"
mkdir -p "$ZTSIM_STATE"
echo "$UL" > "$ZTSIM_STATE/underlay-netns"

# Central stand-in, in the underlay namespace.
echo "sekrit-$S" > "$T/token"
start_central "$UL" "$ZTSIM_STATE" "$T/token"

# central METHOD PATH [BODY] [TOKEN]: prints the HTTP status, body in $T/c.out
central()
{
	ip netns exec "$UL" curl -s -o "$T/c.out" -w '%{http_code}' -X "$1" \
		${4+-H "Authorization: token $4"} ${3:+-d "$3"} \
		"http://127.0.0.1:$CPORT$2"
}

# api MEMBER PATH [curl args...]: local API of a member, JSON on stdout
api()
{
	local m=$1 p=$2

	shift 2
	ip netns exec "ns-$m-$S" curl -s -m 5 \
		-H "X-ZT1-Auth: $(cat "$T/$m/authtoken.secret")" "$@" \
		"http://127.0.0.1:$(cat "$T/$m/zerotier-one.port")$p"
}

field() { api "$1" "/network/${3:-$NW}" | jq -r "$2"; }
node() { api "$1" /status | jq -r .address; }

# wait_ok MEMBER [NWID]: network status OK and the tap present
wait_ok()
{
	local i

	for i in $(seq 50); do
		[[ $(field "$1" .status "${2:-$NW}" 2>/dev/null) == OK ]] && return 0
		sleep 0.1
	done
	return 1
}

# start MEMBER PORT [env...]: a member in namespace ns-MEMBER-$S, tap ztMEMBER
start()
{
	local m=$1 port=$2 ns=ns-$1-$S

	shift 2
	[[ -e /run/netns/$ns ]] || mkns "$ns"
	mkdir -p "$T/$m/networks.d"
	echo "$NW=zt$m" > "$T/$m/devicemap"
	: > "$T/$m/networks.d/$NW.conf"
	env "$@" ip netns exec "$ns" "$ZTSIM" -U -d "-p$port" "$T/$m" 2>>"$T/$m.log"
	for _ in $(seq 50); do [[ -s $T/$m/zerotier-one.pid ]] && break; sleep 0.1; done
}

stop()
{
	local pid

	pid=$(cat "$T/$1/zerotier-one.pid" 2>/dev/null) || return 1
	kill "$pid"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}

mac() { field "$1" .mac; }
ctr() { field "$1" ".ztsim.$2"; }

# deliver SENDER "frame.py args" -> prints how many of A B C D saw MARKER,
# as "A=n B=n C=n D=n"
MK=0
deliver()
{
	local snd=$1 m out=
	shift
	MK=$((MK + 1))
	local marker="ztsim-mark-$S-$MK"
	rm -f "$T"/ready.*
	for m in A B C D; do
		[[ $m == "$snd" ]] && continue
		ip netns exec "ns-$m-$S" python3 "$FRAME" recv "zt$m" "$marker" 5 \
			"$T/ready.$m" > "$T/recv.$m" &
	done
	# every receiver listens before the frame goes out (python3 starts
	# slowly on a loaded host: up to 30 s)
	for _ in $(seq 600); do
		[[ $(ls "$T"/ready.* 2>/dev/null | wc -l) -eq 3 ]] && break
		sleep 0.05
	done
	ip netns exec "ns-$snd-$S" python3 "$FRAME" "${@//MARKER/$marker}"
	wait
	for m in A B C D; do
		[[ $m == "$snd" ]] && continue
		out+="$m=$(cat "$T/recv.$m") "
	done
	echo "${out% }"
}

# deliver_until WANT ARGS...: deliver until the result is WANT, for up to
# 5 s: subscriptions (rescanned every 250 ms) and Central's rules (re-read
# by the members) take effect asynchronously. Prints the last result.
deliver_until()
{
	local want=$1 res i
	shift
	for ((i = 0; i < 10; i++)); do
		res=$(deliver "$@")
		[[ $res == "$want" ]] && break
		sleep 0.5
	done
	echo "$res"
}

# --- start -------------------------------------------------------------------

[[ -n $CPORT ]] || { ko "Central stand-in did not start: $(cat "$ZTSIM_STATE/central.log")"; finish; exit 1; }

start A 9993
start B 9993
start C 9993
start D 9993
for m in A B C D; do
	wait_ok "$m" || ko "member $m reached OK ($(cat "$T/$m.log"))"
done
ip -n "ns-A-$S" addr add 10.77.0.1/24 dev ztA
ip -n "ns-B-$S" addr add 10.77.0.2/24 dev ztB
ip -n "ns-C-$S" addr add 10.77.0.3/24 dev ztC
ND=$(node D)

# Central: bad tokens are refused, a good one makes D a bridge.
r1=$(central POST "/api/v1/network/$NW/member/$ND" '{"config":{"activeBridge":true}}')
r2=$(central POST "/api/v1/network/$NW/member/$ND" '{"config":{"activeBridge":true}}' wrong)
check "Central stand-in: no token 401, wrong token 403 (got $r1, $r2), nothing recorded" \
	test "$r1" = 401 -a "$r2" = 403 -a ! -e "$ZTSIM_STATE/central/$NW/$ND.json"
r3=$(central POST "/api/v1/network/$NW/member/$ND" \
	'{"name":"d","config":{"activeBridge":true}}' "sekrit-$S")
for _ in $(seq 30); do [[ $(field D .bridge) == true ]] && break; sleep 0.1; done
check "Central stand-in: good token records activeBridge ($r3), member D reports bridge" \
	test "$r3" = 200 -a "$(field D .bridge)" = true -a "$(field A .bridge)" = false
r4=$(central POST "/api/v1/network/$NW/member/$ND" '{"config":{"activeBridge":"yes"}}' "sekrit-$S")
check "Central stand-in: a non-boolean activeBridge is 400 ($r4) and changes nothing" \
	test "$r4" = 400 -a "$(jq -r .config.activeBridge "$ZTSIM_STATE/central/$NW/$ND.json")" = true
sleep 0.5	# members re-read Central's state

# --- the tap -------------------------------------------------------------------

nA=$(node A)
want=$(python3 - "$nA" "$NW" <<'EOF'
import sys
a, nw = int(sys.argv[1], 16), int(sys.argv[2], 16)
f = (nw & 0xfe) | 0x02
f = 0x32 if f == 0x52 else f
m = (f << 40) | a
for i, s in enumerate((8, 16, 24, 32, 40)):
    m ^= ((nw >> s) & 0xff) << (32 - 8 * i)
print(":".join(f"{(m >> (40 - 8 * i)) & 0xff:02x}" for i in range(6)))
EOF
)
check "tap ztA (devicemap) has MTU 2800, is up, MAC $want derived from node and network id" \
	test "$(ip -n "ns-A-$S" -j link show ztA | jq -r '.[0] | "\(.mtu) \(.address) \(.flags | index("UP") != null)"')" = "2800 $want true" -a "$(mac A)" = "$want"

# --- forwarding -------------------------------------------------------------------

check "ping between two members (A -> B)" \
	ip netns exec "ns-A-$S" ping -c 3 -i 0.2 -W 2 -q 10.77.0.2

MA=$(mac A) MB=$(mac B) MC=$(mac C) MD=$(mac D)
FOREIGN=0a:12:34:56:78:9a	# first octet is not the network's (02)

d0=$(ctr A txDropSourceMac)
res=$(deliver A send ztA "$MB" "$FOREIGN" 0800 MARKER)
d1=$(ctr A txDropSourceMac)
check "non-bridge member cannot send a foreign source MAC (seen: $res; dropped $d0 -> $d1)" \
	test "$res" = "B=0 C=0 D=0" -a "$d1" -eq $((d0 + 1))

res=$(deliver D send ztD "$MB" "$FOREIGN" 0800 MARKER)
check "bridge member can send a foreign source MAC (seen: $res)" \
	test "$res" = "A=0 B=1 C=0"

res=$(deliver B send ztB "$FOREIGN" "$MB" 0800 MARKER)
check "a MAC learned from a bridge routes to that bridge only (seen: $res)" \
	test "$res" = "A=0 C=0 D=1"

res=$(deliver A send ztA "$MB" "$MA" 0800 MARKER)
check "unicast to B's MAC reaches B only, not C nor the bridge (seen: $res)" \
	test "$res" = "B=1 C=0 D=0"

res=$(deliver A send ztA 0a:77:77:77:77:77 "$MA" 0800 MARKER)
check "unicast to an unknown non-member MAC goes to the bridges only (seen: $res)" \
	test "$res" = "B=0 C=0 D=1"

res=$(deliver A arp ztA "$MA" 10.77.0.1 10.77.0.2 MARKER)
check "ARP request for B's address reaches B and the bridge only (seen: $res)" \
	test "$res" = "B=1 C=0 D=1"

res=$(deliver A arp ztA "$MA" 10.77.0.1 10.77.0.99 MARKER)
check "ARP request for an address on no tap reaches the bridge only (seen: $res)" \
	test "$res" = "B=0 C=0 D=1"

res=$(deliver A send ztA ff:ff:ff:ff:ff:ff "$MA" 0800 MARKER)
check "broadcast (not ARP) reaches every member (seen: $res)" \
	test "$res" = "B=1 C=1 D=1"

ip -n "ns-C-$S" maddr add 33:33:00:00:12:34 dev ztC
res=$(deliver_until "B=0 C=1 D=1" A send ztA 33:33:00:00:12:34 "$MA" 86dd MARKER)
check "multicast reaches members whose tap joined the group, and bridges (seen: $res)" \
	test "$res" = "B=0 C=1 D=1"

d0=$(ctr A txDropRules)
res=$(deliver A send ztA "$MB" "$MA" 88b5 MARKER)
d1=$(ctr A txDropRules)
check "default flow rules drop ethertype 0x88b5 (seen: $res; dropped $d0 -> $d1)" \
	test "$res" = "B=0 C=0 D=0" -a "$d1" -eq $((d0 + 1))

r=$(central POST "/api/v1/network/$NW" '{"config":{"rules":[{"type":"ACTION_ACCEPT"}]}}' "sekrit-$S")
res=$(deliver_until "B=1 C=0 D=0" A send ztA "$MB" "$MA" 88b5 MARKER)
check "accept-all rules from Central ($r) let ethertype 0x88b5 through (seen: $res)" \
	test "$res" = "B=1 C=0 D=0"
central POST "/api/v1/network/$NW" '{"config":{"rules":[{"type":"MATCH_ETHERTYPE","not":true,"etherType":2048},{"type":"MATCH_ETHERTYPE","not":true,"etherType":2054},{"type":"MATCH_ETHERTYPE","not":true,"etherType":34525},{"type":"ACTION_DROP"},{"type":"ACTION_ACCEPT"}]}}' "sekrit-$S" >/dev/null
res=$(deliver_until "B=0 C=0 D=0" A send ztA "$MB" "$MA" 88b5 MARKER)
check "Central's default rule set (as JSON) drops 0x88b5 again (seen: $res)" \
	test "$res" = "B=0 C=0 D=0"

# --- local API ---------------------------------------------------------------------

portA=$(cat "$T/A/zerotier-one.port")
c1=$(ip netns exec "ns-A-$S" curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$portA/status")
c2=$(ip netns exec "ns-A-$S" curl -s -o /dev/null -w '%{http_code}' -H "X-ZT1-Auth: nope" "http://127.0.0.1:$portA/status")
c3=$(ip netns exec "ns-A-$S" curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$portA/status?auth=$(cat "$T/A/authtoken.secret")")
a4=$(api A /status | jq -r .address)
check "local API: no token 401, wrong token 401 ($c1, $c2); ?auth= $c3; X-ZT1-Auth gives address $a4" \
	test "$c1" = 401 -a "$c2" = 401 -a "$c3" = 200 -a "$a4" = "$(cut -c1-10 "$T/A/identity.secret")"

b1=$(api A "/network/$NW2" -o /dev/null -w '%{http_code}' -X POST -d '{"allowManaged":"no"}')
b2=$(api A /network/xyz -o /dev/null -w '%{http_code}' -X POST -d '{}')
check "local API: bad body 400 ($b1), bad network id 404 ($b2), nothing joined" \
	test "$b1" = 400 -a "$b2" = 404 -a "$(api A /network | jq length)" = 1 -a ! -e "$T/A/networks.d/$NW2.conf"

ip netns exec "ns-A-$S" python3 - "$portA" <<'EOF' >/dev/null 2>&1
import socket, sys
port = int(sys.argv[1])
bad = [b"\x00\xff" * 100 + b"\r\n\r\n",
       b"GET /status HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n",
       b"POST /network/8056c2e21c000001 HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
       b"GET /status HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
       b"GET\r\n\r\n", b"POST /network/8056c2e21c000001 HTTP/1.1\r\nContent-Length: 10\r\n\r\nab"]
for r in bad:
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(2)
    try:
        s.sendall(r)
        s.recv(100)
    except OSError:
        pass
    s.close()
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
EOF
check "local API: malformed, oversized and truncated requests and 40 idle connections leave it answering" \
	test "$(api A /status | jq -r .address)" = "$a4"

cp "$T/A/identity.secret" "$T/id.saved"
mkdir -p "$T/X"
echo garbage > "$T/X/identity.secret"
ip netns exec "ns-A-$S" "$ZTSIM" -U -d -p0 "$T/X" 2>"$T/X.err"
xrc=$?
check "a malformed identity.secret is an error (exit $xrc: $(cat "$T/X.err")) and is left untouched" \
	test "$xrc" = 1 -a "$(cat "$T/X/identity.secret")" = garbage -a ! -e "$T/X/zerotier-one.pid"

st=$(api A "/network/$NW2" -X POST -d '{"allowManaged":false}' | jq -r .status)
wait_ok A "$NW2"
dev=$(field A .portDeviceName "$NW2")
mtu=$(ip netns exec "ns-A-$S" cat "/sys/class/net/${dev:-none}/mtu" 2>/dev/null)
check "local API: POST joins ($st, then OK on $dev, MTU $mtu), allowManaged=0 in networks.d" \
	test "$st" = REQUESTING_CONFIGURATION -a -n "$dev" -a "$mtu" = 2800 -a \
	"$(grep -c '^allowManaged=0' "$T/A/networks.d/$NW2.local.conf")" = 1
del=$(api A "/network/$NW2" -X DELETE | jq -r .result)
sleep 0.2
check "local API: DELETE leaves ($del): tap $dev gone, networks.d entry removed" \
	test "$del" = true -a ! -e "$T/A/networks.d/$NW2.conf" -a -z "$(ip -n "ns-A-$S" link show "$dev" 2>/dev/null)"

# --- private network: authorization from Central --------------------------------------

central POST "/api/v1/network/$NWP" '{"config":{"private":true}}' "sekrit-$S" >/dev/null
api B "/network/$NWP" -X POST -d '{}' >/dev/null
sleep 0.8
s1=$(field B .status "$NWP")
central POST "/api/v1/network/$NWP/member/$(node B)" '{"config":{"authorized":true}}' "sekrit-$S" >/dev/null
wait_ok B "$NWP"
s2=$(field B .status "$NWP")
check "private network: ACCESS_DENIED until Central authorizes ($s1 -> $s2)" \
	test "$s1" = ACCESS_DENIED -a "$s2" = OK
api B "/network/$NWP" -X DELETE >/dev/null

# --- identity ---------------------------------------------------------------------------

sum0=$(sha256sum < "$T/A/identity.secret")
id0=$(node A)
stop A
gone=$(ip -n "ns-A-$S" link show ztA 2>/dev/null | wc -l)
pidf=$([[ -e $T/A/zerotier-one.pid ]] && echo present || echo removed)
start A 9993
wait_ok A
check "identity persists across restarts ($id0 -> $(node A)); tap and pid file went with the process ($gone, $pidf)" \
	test "$id0" = "$(node A)" -a "$sum0" = "$(sha256sum < "$T/A/identity.secret")" -a "$gone" = 0 -a "$pidf" = removed
ip -n "ns-A-$S" addr add 10.77.0.1/24 dev ztA
check "ping works again after the restart" \
	ip netns exec "ns-A-$S" ping -c 3 -i 0.2 -W 2 -q 10.77.0.2

start E 0
p=$(cat "$T/E/zerotier-one.port")
check "-p0 picks a free port ($p) and writes it to zerotier-one.port" \
	test -n "$p" -a "$p" != 0 -a "$(api E /status | jq -r .config.settings.primaryPort)" = "$p"
stop E

# --- one core per process ------------------------------------------------------------------

# Members F and G burn 500 us of CPU per frame: at most 2000 frames/s each.
# /proc's CPU time per frame was seen at 440 us on a host loaded by three
# TCG guests (the burn reads the thread's CPU clock; /proc's accounting
# disagrees under contention), so the check asks for 400. G may hear a
# few frames of its own besides F's (neighbour discovery): 5% over F's
# count is allowed.
COST=500000
start F 9993 ZTSIM_CPU_COST_NS=$COST
start G 9993 ZTSIM_CPU_COST_NS=$COST
wait_ok F && wait_ok G
ip -n "ns-F-$S" addr add 10.78.0.1/24 dev ztF
ip -n "ns-G-$S" addr add 10.78.0.2/24 dev ztG
ip -n "ns-F-$S" neigh add 10.78.0.2 lladdr "$(mac G)" dev ztF nud permanent
pidF=$(cat "$T/F/zerotier-one.pid")
tx0=$(ctr F txFrames)
rx0=$(ctr G rxFrames)
cpu0=$(awk '{print $14 + $15}' "/proc/$pidF/stat")
t0=$(date +%s.%N)
sent=$(ip netns exec "ns-F-$S" python3 "$FRAME" blast 10.78.0.2 9 2 | awk '{print $2}')
t1=$(date +%s.%N)
cpu1=$(awk '{print $14 + $15}' "/proc/$pidF/stat")
sleep 1	# let the queue drain
cpu2=$(awk '{print $14 + $15}' "/proc/$pidF/stat")
tx1=$(ctr F txFrames)
rx1=$(ctr G rxFrames)
read -r rate offered cores per_frame < <(awk -v tx=$((tx1 - tx0)) -v s="$sent" \
	-v c1=$((cpu1 - cpu0)) -v c2=$((cpu2 - cpu0)) -v hz="$(getconf CLK_TCK)" \
	-v t0="$t0" -v t1="$t1" 'BEGIN {
		w = t1 - t0
		printf "%d %d %.2f %d\n", tx / (w + 1), s / w, c1 / hz / w,
			(tx ? c2 / hz / tx * 1e6 : 0) }')
check "CPU-bound member: offered $offered frames/s, forwarded $((tx1 - tx0)) (~$rate/s, cap 2000/s) on ${cores} cores at ${per_frame} us CPU/frame; G received $((rx1 - rx0))" \
	awk -v r="$rate" -v o="$offered" -v c="$cores" -v p="$per_frame" -v tx=$((tx1 - tx0)) -v rx=$((rx1 - rx0)) \
	'BEGIN { exit !(tx > 500 && r <= 2100 && o > 3 * r && c <= 1.05 && p >= 400 && rx <= tx * 1.05) }'

finish
