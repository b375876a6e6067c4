#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# "ztbondctl zt" against ztsim on the host: the process manager's part that
# needs no ztbond module (--no-bond); the bond itself is tested in the VM
# (selftests/drivers/net/ztbond/ztbond_zt.sh).
#
#   bash tests/zt_ctl.sh [path/to/ztsim] [path/to/ztbondctl]
#
# One line per case ("PASS: ..." / "FAIL: ..."), then "N passed, N failed".

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh" "$@"
CTL=$(readlink -f "${2:-$HERE/../../../../ctl/ztbondctl}")
NW=8056c2e21c00c7a1

need ROOT ip jq python3 "$ZTSIM" "$CTL"

S=$$
UL=ztc-ul-$S
HUB=ztc-hub-$S
T=$(mktemp -d /tmp/zt-ctl-test.XXXXXX)
H=$T/home
export ZTSIM_STATE=$T/state
SLEEP_PID=

cleanup()
{
	local f

	for f in "$H"/*/member*/zerotier-one.pid; do
		[[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null
	done
	[[ -n $CENTRAL_PID ]] && kill "$CENTRAL_PID" 2>/dev/null
	[[ -n $SLEEP_PID ]] && kill "$SLEEP_PID" 2>/dev/null
	sleep 0.2
	ip netns del "$HUB" 2>/dev/null
	ip netns del "$UL" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

ip netns add "$UL" && ip netns add "$HUB" || exit 1
ip -n "$HUB" link set lo up
mkdir -p "$ZTSIM_STATE"
echo "$UL" > "$ZTSIM_STATE/underlay-netns"
echo "tok-$S" > "$T/token"
echo "bad-$S" > "$T/badtoken"
start_central "$HUB" "$ZTSIM_STATE" "$T/token" || { ko "Central stand-in did not start"; finish; exit 1; }
CURL=http://127.0.0.1:$CPORT

# zt ARGS...: ztbondctl zt in the hub namespace; rc, out, err
zt()
{
	ip netns exec "$HUB" "$CTL" zt "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

UP=(up --network "$NW" --count 2 --home "$H" --zerotier-one "$ZTSIM" --no-bond --timeout 20)
# members stay in REQUESTING_CONFIGURATION for 1.5 s, so that "up" is seen
# to report it even when a loaded host delays its first look
export ZTSIM_CONFIG_DELAY_MS=1500

pids() { awk 1 "$H"/ztbond0/member*/zerotier-one.pid 2>/dev/null | tr '\n' ' '; }
nodes() { cut -c1-10 "$H"/ztbond0/member*/identity.public 2>/dev/null | tr '\n' ' '; }
# live ztsim processes whose command line names this test's homes
strays()
{
	local n=0 p

	for p in /proc/[0-9]*; do
		[[ $(readlink "$p/exe" 2>/dev/null) == "$ZTSIM" ]] || continue
		tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q "$H" && n=$((n + 1))
	done
	echo $n
}
taps() { ip -n "$HUB" -o link show 2>/dev/null | grep -c 'ztbond0-'; }

# --- bad input: each a clear error, nothing started -----------------------------

bad()
{
	local desc=$1 want=$2

	shift 2
	zt "$@"
	if [[ $rc -eq 1 && $err == *"$want"* && $(strays) -eq 0 && ! -e $H/ztbond0/state.json ]]; then
		ok "$desc: \"$(head -n1 <<< "$err")\""
	else
		ko "$desc: rc $rc, stderr: $err"
	fi
}

bad "unknown network id format is refused" "a network id is 16 hex digits" \
	up --network 8056c2e21c00zz --count 2 --home "$H" --zerotier-one "$ZTSIM" --no-bond
bad "count out of range is refused" "--count \"0\"" \
	up --network "$NW" --count 0 --home "$H" --zerotier-one "$ZTSIM" --no-bond
bad "a missing zerotier-one binary is refused" "--zerotier-one $T/nope: not an executable" \
	up --network "$NW" --count 2 --home "$H" --zerotier-one "$T/nope" --no-bond
ip netns exec "$HUB" python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",19994)); s.listen(); time.sleep(60)' &
SLEEP_PID=$!
for _ in $(seq 50); do
	ip netns exec "$HUB" ss -Htln 'sport = :19994' | grep -q . && break
	sleep 0.1
done
bad "a port range that collides with a used port names the port" "port 19994 (member 1) is in use" \
	"${UP[@]}"
kill $SLEEP_PID; wait $SLEEP_PID 2>/dev/null; SLEEP_PID=
bad "an unreachable Central is an error before anything starts" "Central at http://127.0.0.1:1 unreachable" \
	"${UP[@]}" --central-token-file "$T/token" --central-url http://127.0.0.1:1
bad "a rejected Central token is an error before anything starts" "Central rejected the token" \
	"${UP[@]}" --central-token-file "$T/badtoken" --central-url "$CURL"
bad "an unknown option is refused" "unknown option \"--frobnicate\"" \
	"${UP[@]}" --frobnicate
bad "an address without a prefix is refused" "want ADDRESS/PREFIX" \
	up --network "$NW" --count 2 --home "$H" --zerotier-one "$ZTSIM" --address 10.1.2.3
bad "an address with --no-bond is refused" "cannot go with --no-bond" \
	"${UP[@]}" --address 10.1.2.3/24
bad "--config with --no-bond is refused" "cannot go with --no-bond" \
	"${UP[@]}" --config /dev/null
printf '{ "settings": { "defaultBondingPolicy": "balance-rr", "balance-rr": { "packetsPerLink": -1 } } }\n' > "$T/bad.json"
bad "a bad --config is refused before anything starts, with its errors" \
	"settings.balance-rr.packetsPerLink: -1" \
	up --network "$NW" --count 2 --home "$H" --zerotier-one "$ZTSIM" --config "$T/bad.json"
bad "down of a bond that is not up says so" "is not up" down --home "$H"

# --- up -------------------------------------------------------------------------------

zt "${UP[@]}"
check "up --count 2 starts two members, each with its tap (rc $rc; $(grep -c ': ready' <<< "$out") ready lines)" \
	test "$rc" = 0 -a "$(taps)" = 2 -a "$(grep -c ': ready' <<< "$out")" = 2
check "up shows progress per member (network status before ready)" \
	grep -q 'member 0 (port 19993): network status REQUESTING_CONFIGURATION' <<< "$out"
check "up warns, naming the consequence, that no member is an active bridge" \
	grep -q 'not an active bridge.*cannot resolve' <<< "$err"
m0=$H/ztbond0/member0
check "homes: devicemap, networks.d join and allowManaged=0, local.conf port and blacklist" \
	test "$(cat "$m0/devicemap")" = "$NW=ztbond0-0" -a -e "$m0/networks.d/$NW.conf" -a \
	"$(head -n1 "$m0/networks.d/$NW.local.conf")" = allowManaged=0 -a \
	"$(jq -c '.settings | [.primaryPort, .interfacePrefixBlacklist]' "$m0/local.conf")" = '[19993,["ztbond0"]]'
n0=$(nodes) p0=$(pids)
zt "${UP[@]}"
check "up twice starts nothing new (pids $p0-> $(pids))" \
	test "$rc" = 0 -a "$(pids)" = "$p0" -a "$(strays)" = 2 -a "$(taps)" = 2
zt up --network "$NW" --count 3 --home "$H" --zerotier-one "$ZTSIM" --no-bond
check "up with another --count while up is refused and changes nothing" \
	test "$rc" = 1 -a "$(pids)" = "$p0" -a "$(strays)" = 2
grep -q 'already up with network' <<< "$err" || ko "  (message: $err)"

zt status --home "$H" --json
check "status --json: node, port, pid, running, tap, network OK per member" \
	test "$(jq -r '[.members[] | "\(.node) \(.port) \(.pid) \(.running) \(.tap) \(.networkStatus)"] | join(",")' <<< "$out")" = \
	"$(cut -c1-10 "$m0/identity.public") 19993 $(cat "$m0/zerotier-one.pid") true ztbond0-0 OK,$(cut -c1-10 "$H/ztbond0/member1/identity.public") 19994 $(cat "$H/ztbond0/member1/zerotier-one.pid") true ztbond0-1 OK"
zt status --home "$H"
check "status (text) has a line per member" \
	test "$(grep -c ' running ztbond0-' <<< "$out")" = 2

# --- repair, down, identity ---------------------------------------------------------

kill -9 "$(cat "$H/ztbond0/member1/zerotier-one.pid")"
sleep 0.3
zt "${UP[@]}"
check "up after a member was killed restarts only that member (same node ids $n0)" \
	test "$rc" = 0 -a "$(nodes)" = "$n0" -a "$(cut -d' ' -f1 <<< "$(pids)")" = "$(cut -d' ' -f1 <<< "$p0")" -a \
	"$(cut -d' ' -f2 <<< "$(pids)")" != "$(cut -d' ' -f2 <<< "$p0")" -a "$(taps)" = 2

# A pid file that names someone else's process: never signalled.
sleep 300 &
SLEEP_PID=$!
cp "$m0/zerotier-one.pid" "$T/pid0"
echo "$SLEEP_PID" > "$m0/zerotier-one.pid"
zt down --home "$H"
check "down never signals a process that is not the member (pid file names a 'sleep'; rc $rc)" \
	test "$rc" = 1 -a -d "/proc/$SLEEP_PID"
cp "$T/pid0" "$m0/zerotier-one.pid"

zt down --home "$H"
check "down stops exactly its processes: no stray process, no tap, state gone, identities kept" \
	test "$rc" = 0 -a "$(strays)" = 0 -a "$(taps)" = 0 -a ! -e "$H/ztbond0/state.json" -a "$(nodes)" = "$n0"
check "the unrelated process is still alive after down" test -d "/proc/$SLEEP_PID"
kill "$SLEEP_PID"; SLEEP_PID=

zt "${UP[@]}"
check "up again after down: same node ids" test "$rc" = 0 -a "$(nodes)" = "$n0"
zt "${UP[@]}" --pin
want=$(python3 -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[0 % len(c)], c[1 % len(c)])')
got=$(for p in $(pids); do awk '/^Cpus_allowed_list/ { printf "%s ", $2 }' "/proc/$p/status"; done)
check "up --pin pins running member i to the i-th CPU ($want; got $got)" \
	test "$rc" = 0 -a "$got" = "$want "
kill -9 "$(cat "$H/ztbond0/member0/zerotier-one.pid")"
sleep 0.3
zt down --home "$H"
check "down after a member was killed by hand also succeeds" \
	test "$rc" = 0 -a "$(strays)" = 0 -a "$(taps)" = 0

# --- --foreground: a supervisor that restarts members ----------------------------

ip netns exec "$HUB" "$CTL" zt "${UP[@]}" --foreground > "$T/fg.log" 2>&1 &
FG=$!
for _ in $(seq 300); do grep -q supervising "$T/fg.log" && break; sleep 0.1; done
n0=$(nodes)
p1=$(awk 1 "$H/ztbond0/member1/zerotier-one.pid")
kill -9 "$p1"
t0=$SECONDS
for _ in $(seq 50); do grep -q "member 1: back as pid" "$T/fg.log" && break; sleep 0.1; done
back=$(grep -c 'member 1: back as pid' "$T/fg.log")
check "--foreground restarts a killed member within 5 s ($((SECONDS - t0)) s), same node ids, tap back" \
	test "$back" = 1 -a "$(nodes)" = "$n0" -a "$(strays)" = 2 -a "$(taps)" = 2
kill -TERM "$FG"
wait "$FG"
fgrc=$?
check "SIGTERM to the supervisor stops everything (rc $fgrc): no process, no tap, no state" \
	test "$fgrc" = 0 -a "$(strays)" = 0 -a "$(taps)" = 0 -a ! -e "$H/ztbond0/state.json"

# --- Central -----------------------------------------------------------------------------

zt "${UP[@]}" --central-token-file "$T/token" --central-url "$CURL"
zt status --home "$H" --json
check "with a Central token every member becomes an active bridge" \
	test "$(jq -r '[.members[].bridge] | join(",")' <<< "$out")" = true,true
check "Central saw the token on every member request" \
	test "$(grep -c "\"token\": \"tok-$S\", \"status\": 200" "$ZTSIM_STATE/central/requests.log")" -ge 3
zt down --home "$H"

# --- timeout --------------------------------------------------------------------------------

ip netns exec "$HUB" curl -s -o /dev/null -H "Authorization: token tok-$S" \
	-d '{"config":{"private":true}}' "$CURL/api/v1/network/$NW"
# new members (bond ztnew: new homes, new identities) are not authorized
zt up --network "$NW" --count 2 --bond ztnew --home "$H" --zerotier-one "$ZTSIM" --no-bond --timeout 3
check "a member that never gets OK: timeout names what is missing, started members are stopped" \
	test "$rc" = 1 -a "$(grep -c 'waiting for network status ACCESS_DENIED' <<< "$err")" = 2 -a \
	"$(strays)" = 0 -a "$(ip -n "$HUB" -o link | grep -c ztnew-)" = 0 -a ! -e "$H/ztnew/state.json"

finish
